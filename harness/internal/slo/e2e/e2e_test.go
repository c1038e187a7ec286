// Package e2e_test runs the generated SLO rules on the sandbox's real
// Prometheus after real load on real PetClinic replicas: the recording
// rules produce their series, the report reads them, and the error-budget
// guard refuses a game day (and its watch trips) once server errors have
// burnt the budget.
package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

const root = "../../../.."

// hit sends n GET requests to each of urls, spread over the replicas.
func hit(t *testing.T, urls []string, path string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				resp, err := http.Get(u + path)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
}

func TestRulesReportAndGuardOnTheSandbox(t *testing.T) {
	rules, err := filepath.Abs(filepath.Join(root, slo.DirRules))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st := sandboxtest.Up(t, sandbox.Config{Replicas: 3, RulesDir: rules})
	t.Logf("sandbox up in %s with %d rule files", time.Since(start).Round(time.Millisecond), len(st.Prometheus.Rules))
	if len(st.Prometheus.Rules) != 5 {
		t.Fatalf("prometheus loads %v, want the 5 generated rule files", st.Prometheus.Rules)
	}
	set, err := slo.Load(filepath.Join(root, "slo"))
	if err != nil {
		t.Fatal(err)
	}
	var replicas []string
	for _, p := range st.Pods {
		if p.Labels[sandbox.LabelApp] == sandbox.AppPetclinic {
			replicas = append(replicas, p.URL)
		}
	}
	pc, err := prom.New(st.Prometheus.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	clients := slo.Clients{Prom: pc}
	ctx := t.Context()

	// One /oups per replica first: a new series' first value is invisible to
	// rate() (it has no earlier sample to grow from), so the burst below
	// must find the series there.
	hit(t, replicas, "/oups", 1)
	// Clean traffic on the API and the UI, all along (rate() needs the
	// counters to grow while Prometheus scrapes them).
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
				hit(t, replicas, "/petclinic/api/vets", 1)
				hit(t, replicas, "/", 1)
				post(t, replicas[0]+"/petclinic/api/owners")
			}
		}
	}()
	defer wg.Wait()
	defer close(done)
	ui := set.Find("ui-availability")
	for _, s := range set.SLOs {
		if s.Source == slo.SourcePrometheus {
			waitFor(t, pc, slo.RecordRemaining+s.Selector(), func(v float64) bool { return v == 1 })
		}
	}

	t.Run("the recording rules produce every series of every SLO over Prometheus", func(t *testing.T) {
		for _, s := range set.SLOs {
			if s.Source != slo.SourcePrometheus {
				continue
			}
			var missing []string
			for _, g := range s.Rules(slo.Options{}) {
				for _, r := range g.Rules {
					if r.Record == "" {
						continue
					}
					if _, err := pc.Query(ctx, r.Record+s.Selector(), time.Time{}); err != nil {
						missing = append(missing, fmt.Sprintf("%s: %v", r.Record, err))
					}
				}
			}
			if len(missing) > 0 {
				t.Errorf("%s: series missing:\n  %s", s.ID(), strings.Join(missing, "\n  "))
			}
		}
	})

	t.Run("the report reads the recorded series: full budgets, nothing burning", func(t *testing.T) {
		for _, s := range set.SLOs {
			if s.Source != slo.SourcePrometheus {
				continue
			}
			st, err := slo.ReadStatus(ctx, clients, s, time.Time{})
			if err != nil {
				t.Fatalf("%s: %v", s.ID(), err)
			}
			if st.Source != slo.FromRecorded || st.Remaining == nil || *st.Remaining != 1 || st.State != slo.StateOK {
				t.Errorf("%s: source %s, remaining %v, state %s; want recorded, 1, ok", s.ID(), st.Source, ptr(st.Remaining), st.State)
			}
			if a := (slo.Policy{MinRemaining: 0.25}).Admit(st, nil); a.Outcome != slo.Admitted {
				t.Errorf("%s: %s (%s), want admitted", s.ID(), a.Outcome, a.Detail)
			}
		}
	})

	// 500s: PetClinic's /oups fails on purpose (Spring PetClinic's
	// CrashController), a real server error of the UI SLO.
	hit(t, replicas, "/oups", 100)
	waitFor(t, pc, slo.RecordRemaining+ui.Selector(), func(v float64) bool { return v < 0.25 })

	t.Run("the guard refuses once 500s burnt the UI budget below the policy", func(t *testing.T) {
		st, err := slo.ReadStatus(ctx, clients, ui, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		a := (slo.Policy{MinRemaining: 0.25}).Admit(st, nil)
		t.Logf("%s: %s", a.Outcome, a.Detail)
		if a.Outcome != slo.Refused || !strings.Contains(a.Detail, "petclinic-ui-availability has -") || !strings.Contains(a.Detail, "policy at least 25%") {
			t.Errorf("got %s: %s; want refused, naming the SLO and its figures", a.Outcome, a.Detail)
		}
		if st.DataSpan <= 0 || st.DataSpan > time.Since(start)+time.Minute {
			t.Errorf("data span %s, want about the sandbox's age (%s)", st.DataSpan, time.Since(start).Round(time.Second))
		}
		if st.State != slo.StatePage || len(st.Routes) == 0 || st.Routes[0].Route != "/oups" || st.Routes[0].ErrorRatio != 1 {
			t.Errorf("state %s, routes %+v; want page and /oups burning at 100%%", st.State, st.Routes)
		}
		// The budget left over time, from the recorded series: whole at
		// first, below the policy at the end.
		// (Seconds of data here: a step of a second.)
		h, err := slo.ReadHistory(ctx, clients, ui, start, time.Now(), time.Second)
		whole := slices.ContainsFunc(h, func(p slo.HistoryPoint) bool { return p.Remaining == 1 })
		if err != nil || len(h) < 2 || !whole || h[len(h)-1].Remaining >= 0.25 {
			t.Errorf("history %v (%v): want points from 100%% down below 25%%", h, err)
		}
		st.History = h
		rep := &slo.Report{At: time.Now(), Prometheus: st.SLO.Name, MinRemaining: 0.25, SLOs: []*slo.Status{st}}
		md := string(rep.Markdown())
		html, err := rep.HTML()
		if err != nil || !strings.Contains(md, "| `/oups` |") || !strings.Contains(string(html), "<svg") || !strings.Contains(string(html), "<polyline") {
			t.Errorf("markdown %s\nhtml error %v: want /oups and an SVG chart", md, err)
		}
	})

	t.Run("the watch aborts a run while 500s burn faster than the cap", func(t *testing.T) {
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					hit(t, replicas, "/oups", 5)
					hit(t, replicas, "/", 5)
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
		defer close(stop)
		began := time.Now()
		trip := (slo.Policy{BurnRateCap: slo.DefaultBurnRateCap, CheckEvery: time.Second, MinEvents: 20}).Watch(wctx, clients, []*slo.SLO{ui}, began)
		if trip == nil {
			t.Fatal("the watch did not trip in 60 s")
		}
		t.Logf("tripped after %s: %s", time.Since(began).Round(time.Millisecond), trip.Reason)
		if trip.SLO != ui.ID() || trip.Burn <= slo.DefaultBurnRateCap {
			t.Errorf("trip %+v, want the UI SLO above %g×", trip, slo.DefaultBurnRateCap)
		}
	})
}

// waitFor polls q until check holds (at most 45 s: rate() needs two
// scrapes, the rules an evaluation).
func waitFor(t *testing.T, pc *prom.Client, q string, check func(float64) bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	var v float64
	var err error
	for time.Now().Before(deadline) {
		v, err = pc.Query(t.Context(), q, time.Time{})
		if err == nil && check(v) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%s: %v (%v) after 45 s", q, v, err)
}

// post creates an owner through the API: a write.
func post(t *testing.T, u string) {
	body := `{"firstName":"Slo","lastName":"Guard","address":"1 Loop St","city":"Local","telephone":"0123456789"}`
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func ptr(p *float64) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
