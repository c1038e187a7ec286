package capacity

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// model is a service of known capacity over three zones of one replica:
// each second, the requests above the capacity fail 429; from the zone's
// injection on, a third of the capacity is gone. Its game days take no
// time: a fake clock moves by each step's length.
type model struct {
	capacity float64
	// sentAbove: from this rate on the generator sends only half (0:
	// never).
	sentAbove float64
	// oneZone: every replica in zone-a.
	oneZone bool
	now     time.Time
	rates   []float64
	lengths []time.Duration
}

func (m *model) clock() time.Time { return m.now }

func (m *model) run(_ context.Context, e *spec.Experiment, dir, suite, runID string) (*report.Report, string, error) {
	rate, length := e.Spec.Load.Profile.Constant.Rate, e.Spec.Load.Duration.D()
	m.rates, m.lengths = append(m.rates, rate), append(m.lengths, length)
	start := m.now
	m.now = m.now.Add(length)
	r := &report.Report{RunID: runID, Timings: report.Timings{Start: start, End: m.now}, Verdict: verdict.Verdict{Status: verdict.Held},
		Observations: []engine.Observation{{At: start, ReadyByZone: map[string]int{"zone-b": 1, "zone-c": 1, "zone-a": 1}, Desired: 3}}}
	if m.oneZone {
		r.Observations[0].ReadyByZone = map[string]int{"zone-a": 3}
	}
	injected := m.now.Add(time.Hour)
	if len(e.Spec.Faults) == 1 {
		injected = start.Add(e.Spec.Faults[0].StartAfter.D())
		r.Faults = []report.Fault{{Name: "zone-down", Kind: "PodChaos", Result: &verdict.FaultResult{Targets: []string{"petclinic-0"}, Injected: injected}}}
	}
	for s := range int(length / time.Second) {
		at := start.Add(time.Duration(s) * time.Second)
		c := m.capacity
		if !at.Before(injected) {
			c = m.capacity * 2 / 3
		}
		sent := rate
		if m.sentAbove > 0 && rate >= m.sentAbove {
			sent = rate / 2
		}
		ok := min(sent, c)
		r.Timeline = append(r.Timeline, report.Point{Offset: s, Target: rate, Requests: uint64(sent), Successes: uint64(ok), P95: 20, P99: 40})
	}
	path := filepath.Join(dir, suite, runID, report.FileJSON)
	return r, path, nil
}

func TestRunAgainstAModel(t *testing.T) {
	base, err := spec.LoadFile("../../../experiments/capacity.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		m          model
		peak       float64
		maxSeconds float64
		code       int
		answer     string
		stopped    string
		// want the capacities found within a step (0: not checked).
		all, zone float64
		needed    int
	}{
		"survives at the peak": {m: model{capacity: 90}, peak: 55, code: exitcode.OK, all: 90, zone: 60,
			answer: "survives losing zone-a at today's peak: yes, "},
		"a target in one zone has no zone to lose": {m: model{capacity: 90, oneZone: true}, peak: 55, code: exitcode.OK, all: 90,
			answer: "capacity 87 req/s with every zone; the loss of a zone was not measured (the target's ready replicas were in 1 zone(s) (zone-a 3): no zone to lose and keep serving)"},
		"does not survive: the replicas it would need": {m: model{capacity: 90}, peak: 70, code: exitcode.Failed, all: 90, zone: 60, needed: 6,
			answer: "survives losing zone-a at today's peak: no, "},
		"the lowest step already breaks: said, with its measurements": {m: model{capacity: 5}, peak: 1, code: exitcode.Failed,
			answer: "even the lowest step (10 req/s) broke the SLOs with every zone"},
		"the generator cannot send the rate: inconclusive, not a capacity": {m: model{capacity: 1000, sentAbove: 40}, code: exitcode.Infra,
			stopped: "the load generator sent 50% of the 40 req/s asked"},
		"the time budget ends the search before its steps": {m: model{capacity: 90}, maxSeconds: 100, code: exitcode.Infra,
			stopped: "time budget: 1m30s spent, a step of 15s would pass the 1m40s allowed"},
	} {
		t.Run(name, func(t *testing.T) {
			m := tc.m
			m.now = t0
			dir := t.TempDir()
			c := Config{Experiment: func() (*spec.Experiment, error) { return spec.LoadFile(base.File) }, Run: m.run, ID: "model",
				ReportsDir: dir, FirstZone: true, Criteria: DefaultCriteria(), Now: m.clock,
				Params: Params{MaxSeconds: tc.maxSeconds, CooldownSeconds: -1}}
			if tc.peak > 0 {
				c.Peak = GivenPeak(tc.peak)
			}
			r, err := Run(context.Background(), c)
			if got := exitcode.Of(err); got != tc.code {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.code)
			}
			t.Logf("rates %v: %s", m.rates, r.Answer.Line)
			if !strings.Contains(r.Answer.Line, tc.answer) || !strings.Contains(r.Stopped, tc.stopped) {
				t.Errorf("answer %q, stopped %q: want %q and %q", r.Answer.Line, r.Stopped, tc.answer, tc.stopped)
			}
			for _, ph := range []struct {
				p     *Phase
				known float64
			}{{r.AllZones, tc.all}, {r.ZoneDown, tc.zone}} {
				if ph.known > 0 && (ph.p == nil || ph.p.Outcome != Found || ph.p.Capacity > ph.known || ph.p.Broke <= ph.known ||
					ph.p.Broke > ph.p.Capacity*(1+DefaultResolution)+1e-9) {
					t.Errorf("phase %+v: want %g within one step", ph.p, ph.known)
				}
			}
			if r.Answer.ReplicasNeeded != tc.needed {
				t.Errorf("%d replicas needed, want %d", r.Answer.ReplicasNeeded, tc.needed)
			}
			if r.Cost.Steps != len(m.rates) || r.Cost.Steps != len(r.Steps()) || r.Cost.Steps > r.Cost.MaxSteps ||
				r.Cost.Seconds != m.now.Sub(t0).Seconds() {
				t.Errorf("cost %+v: want %d steps in %s", r.Cost, len(m.rates), m.now.Sub(t0))
			}
			for i, s := range r.Steps() {
				if want := m.lengths[i].Seconds(); s.Seconds != want {
					t.Errorf("step %d took %gs, want its game day's %gs", s.N, s.Seconds, want)
				}
				if s.Outcome == StepBroke && (s.ErrorRatio <= 0 || s.Requests == 0 || !strings.Contains(strings.Join(s.Reasons, " "), "http_429") && s.ErrorRatio > 0 && len(s.Reasons) == 0) {
					t.Errorf("step %d broke without its measurements: %+v", s.N, s)
				}
			}
			got, err := Read(filepath.Join(dir, Suite, "model", FileJSON))
			if err != nil || got.Answer.Line != r.Answer.Line || got.ExitCode != tc.code {
				t.Errorf("capacity.json: %v, %+v", err, got)
			}
			md, _ := os.ReadFile(filepath.Join(dir, Suite, "model", FileMD))
			if !strings.Contains(string(md), r.Answer.Line) {
				t.Errorf("capacity.md has no answer:\n%s", md)
			}
		})
	}
}
