package probe

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/baseline"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// slowServer answers after its delay, or 503 while broken.
type slowServer struct {
	*httptest.Server
	delay  atomic.Int64
	broken atomic.Bool
}

func newSlowServer(t *testing.T, d time.Duration) *slowServer {
	s := &slowServer{}
	s.delay.Store(int64(d))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Duration(s.delay.Load()))
		if s.broken.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// relativeProbe is the runtime probe of an http probe of srv with tol.
func relativeProbe(t *testing.T, srv *slowServer, tol *spec.Tolerance) *Relative {
	t.Helper()
	p := baselines[spec.ProbeHTTP]()
	p.Name, p.Tolerance = "front-door", tol
	pr, err := New(p, Clients{TargetURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := pr.(*Relative)
	if !ok {
		t.Fatalf("a relative tolerance built a %T", pr)
	}
	return r
}

// history is n runs whose front door answered in 20 ms.
func history(n int) []baseline.Source {
	var out []baseline.Source
	for i := range n {
		out = append(out, baseline.Source{Run: "adhoc/run-" + string(rune('a'+i)), Values: []float64{0.019, 0.020, 0.021}})
	}
	return out
}

// TestRelativeTolerance measures a real HTTP server answering in 20 ms,
// then in 300 ms, against "<= 2 × baseline (margin at least 50 ms)":
// with enough runs the slow answers breach the learnt bound; with too few
// they are judged by the fixed fallback, or breach when the spec says
// fail; a failed measurement stays the inner probe's verdict and is not
// learnt.
func TestRelativeTolerance(t *testing.T) {
	rel := func(when string, fallback *spec.Threshold) *spec.Tolerance {
		return &spec.Tolerance{Threshold: fallback, Relative: &spec.RelativeTolerance{Op: spec.OpLE, Factor: 2, MinMargin: 0.05,
			Runs: 10, MinRuns: 3, WhenTooFewRuns: when}}
	}
	t0 := time.Now()
	for name, tc := range map[string]struct {
		tol        *spec.Tolerance
		runs       int
		fastOK     bool
		slowReason string // "" : the slow answer holds
	}{
		"three runs: the slow answer breaches the bound learnt from them": {
			tol: rel(spec.TooFewRunsFallback, &spec.Threshold{Op: spec.OpLT, Value: 1}), runs: 3, fastOK: true,
			slowReason: "is not <= 0.07 (<= 2 × baseline (margin at least 0.05): median 0.02, MAD ",
		},
		"one run of three needed: the fixed fallback judges, and the slow answer is within it": {
			tol: rel(spec.TooFewRunsFallback, &spec.Threshold{Op: spec.OpLT, Value: 1}), runs: 1, fastOK: true,
		},
		"one run of three needed: a fallback the slow answer breaches says why it was used": {
			tol: rel(spec.TooFewRunsFallback, &spec.Threshold{Op: spec.OpLT, Value: 0.2}), runs: 1, fastOK: true,
			slowReason: "is not < 0.2 (fixed tolerance: no baseline: 1 comparable run in the history, 3 needed)",
		},
		"too few runs and whenTooFewRuns fail: every sample breaches": {
			tol: rel(spec.TooFewRunsFail, nil), runs: 2, fastOK: false,
			slowReason: "no baseline: 2 comparable runs in the history, 3 needed (whenTooFewRuns: fail)",
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newSlowServer(t, 0)
			r := relativeProbe(t, srv, tc.tol)
			r.Learner.SetHistory(history(tc.runs))
			r.Learner.SetWindow(t0, t0.Add(time.Hour))
			fast := r.Check(t.Context(), t0)
			if fast.OK != tc.fastOK {
				t.Errorf("a fast answer (%gs): ok %v (%v), want %v", fast.Value, fast.OK, fast.Err, tc.fastOK)
			}
			srv.delay.Store(int64(300 * time.Millisecond))
			slow := r.Check(t.Context(), t0)
			switch {
			case tc.slowReason == "" && !slow.OK:
				t.Errorf("a slow answer (%gs) breached: %v", slow.Value, slow.Err)
			case tc.slowReason != "" && (slow.OK || slow.Err == nil || !strings.Contains(slow.Err.Error(), tc.slowReason)):
				t.Errorf("a slow answer (%gs): %v, want a breach saying %q", slow.Value, slow.Err, tc.slowReason)
			}
			t.Logf("fast %s (%v), slow %s (%v)", fast.Status, fast.Err, slow.Status, slow.Err)
		})
	}

	t.Run("a failed measurement is the probe's verdict and is not learnt", func(t *testing.T) {
		srv := newSlowServer(t, 0)
		r := relativeProbe(t, srv, rel(spec.TooFewRunsFallback, &spec.Threshold{Op: spec.OpLT, Value: 1}))
		r.Learner.SetHistory(history(3))
		r.Learner.SetWindow(t0, t0.Add(time.Second))
		srv.broken.Store(true)
		s := r.Check(t.Context(), t0)
		if s.Status != StatusBreached || !strings.Contains(s.Err.Error(), "status 503") {
			t.Errorf("a 503: %s %v", s.Status, s.Err)
		}
		srv.broken.Store(false)
		r.Check(t.Context(), t0.Add(500*time.Millisecond)) // a good one, learnt
		sum := r.Summary()
		if len(sum.Baseline.Sources) != 4 || sum.Baseline.Sources[0].Run != baseline.ThisRun || sum.Baseline.Sources[0].Samples != 1 {
			t.Errorf("sources %+v: want this run's one good sample and the 3 runs", sum.Baseline.Sources)
		}
		if !sum.Ready || sum.Bound == nil || sum.Margin == nil || *sum.Margin < 0.05 || sum.Fallback != "< 1" || sum.Rule != "<= 2 × baseline (margin at least 0.05)" {
			t.Errorf("summary %+v", sum)
		}
	})

	t.Run("the kind's probe is behind Unwrap", func(t *testing.T) {
		r := relativeProbe(t, newSlowServer(t, 0), rel(spec.TooFewRunsFail, nil))
		if h, ok := Unwrap(r).(*HTTP); !ok || h.Tolerance != nil {
			t.Errorf("Unwrap = %T %+v, want the HTTP probe without a tolerance", Unwrap(r), Unwrap(r))
		}
		if p := Unwrap(r.Probe); p != r.Probe {
			t.Error("Unwrap of a plain probe is not itself")
		}
	})
}
