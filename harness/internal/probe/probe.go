// Package probe measures the steady-state hypothesis of an experiment: HTTP,
// PromQL and LogQL probes judged against their spec's tolerance, the one
// translation of each spec probe kind into its runtime probe (kinds.go), and
// a scheduler that runs each probe every interval within its mode's window.
//
// A probe never turns a failure to measure into a pass: an unreachable
// Prometheus or Loki is an error (the verdict is inconclusive), a LogQL
// probe without a Loki is skipped, and only a measured value within
// tolerance is ok.
package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Status is the outcome of one check.
type Status string

const (
	// StatusOK: the value was measured and is within tolerance.
	StatusOK Status = "ok"
	// StatusBreached: the value is out of tolerance, or the system under
	// test failed to answer (an HTTP probe's connection refused).
	StatusBreached Status = "breached"
	// StatusError: the measurement itself failed (Prometheus or Loki
	// unreachable, a bad query): neither held nor breached.
	StatusError Status = "error"
	// StatusSkipped: the probe could not run here (no Loki configured).
	StatusSkipped Status = "skipped"
)

// A Sample is the result of one check.
type Sample struct {
	Probe  string
	At     time.Time
	Value  float64 // NaN when nothing was measured
	OK     bool    // Status == StatusOK
	Status Status
	Err    error // why it breached, errored or was skipped
}

// MarshalJSON writes NaN as null and the error as its text.
func (s Sample) MarshalJSON() ([]byte, error) {
	w := struct {
		Probe  string    `json:"probe"`
		At     time.Time `json:"at"`
		Value  *float64  `json:"value"`
		OK     bool      `json:"ok"`
		Status Status    `json:"status"`
		Reason string    `json:"reason,omitempty"`
	}{Probe: s.Probe, At: s.At, OK: s.OK, Status: s.Status}
	if !math.IsNaN(s.Value) && !math.IsInf(s.Value, 0) {
		w.Value = &s.Value
	}
	if s.Err != nil {
		w.Reason = s.Err.Error()
	}
	return json.Marshal(w)
}

// A Probe measures one thing.
type Probe interface {
	Name() string
	// Check measures at `at` (PromQL and LogQL probes evaluate their query
	// at that instant; an HTTP probe measures now). It never panics and
	// always returns a Sample with Probe and At set.
	Check(ctx context.Context, at time.Time) Sample
}

// Judge is the sample of a measured value v: ok within tolerance,
// breached outside it (Err says by how much). A nil tolerance accepts
// every measured value (NaN is never measured).
func Judge(name string, at time.Time, t *spec.Tolerance, v float64) Sample {
	s := Sample{Probe: name, At: at, Value: v, Status: StatusBreached}
	switch {
	case t == nil && !math.IsNaN(v), t != nil && t.Holds(v):
		s.Status, s.OK = StatusOK, true
	case t == nil:
		s.Err = fmt.Errorf("%s: value is NaN", name)
	default:
		s.Err = fmt.Errorf("%s: value %g is not %s", name, v, t)
	}
	return s
}

// failed is the sample of a check that measured nothing.
func failed(name string, at time.Time, st Status, err error) Sample {
	return Sample{Probe: name, At: at, Value: math.NaN(), Status: st, Err: err}
}

// NoData says what a query probe makes of an empty answer (or NaN).
type NoData string

const (
	// NoDataBreach: an empty answer breaches the hypothesis: the steady
	// state could not be shown to hold. Default of PromQL probes.
	NoDataBreach NoData = "breach"
	// NoDataZero: an empty answer is the value 0, as for a count of error
	// log lines when none was logged. Default of LogQL probes.
	NoDataZero NoData = "zero"
	// NoDataError: an empty answer is a measurement error (inconclusive).
	NoDataError NoData = "error"
)

// onNoData turns an empty answer into a sample per policy.
func onNoData(policy NoData, name string, at time.Time, t *spec.Tolerance, err error) Sample {
	switch policy {
	case NoDataZero:
		return Judge(name, at, t, 0)
	case NoDataError:
		return failed(name, at, StatusError, err)
	default:
		return failed(name, at, StatusBreached, err)
	}
}
