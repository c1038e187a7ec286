// Package probe measures the steady-state hypothesis of an experiment: HTTP,
// PromQL and LogQL probes, their tolerances, and a scheduler that runs each
// probe every interval within its mode's window.
//
// A probe never turns a failure to measure into a pass: an unreachable
// Prometheus or Loki is an error (the verdict is inconclusive), a LogQL
// probe without a Loki is skipped, and only a measured value within
// tolerance is ok.
package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
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

// Op compares a measured value with a threshold.
type Op string

// The comparison operators of a threshold tolerance.
const (
	OpLT Op = "<"
	OpLE Op = "<="
	OpGT Op = ">"
	OpGE Op = ">="
	OpEQ Op = "=="
	OpNE Op = "!="
)

// A Tolerance is what a probe's value must satisfy: a threshold (Op and
// Value) or an inclusive range (Min and Max, either may be open). The zero
// Tolerance accepts every measured value.
type Tolerance struct {
	Op    Op       `json:"op,omitempty" yaml:"op,omitempty"`
	Value float64  `json:"value,omitempty" yaml:"value,omitempty"`
	Min   *float64 `json:"min,omitempty" yaml:"min,omitempty"`
	Max   *float64 `json:"max,omitempty" yaml:"max,omitempty"`
}

// ErrInvalidTolerance is returned by Tolerance.Validate.
var ErrInvalidTolerance = errors.New("invalid tolerance")

// Threshold is the tolerance "value op v", e.g. Threshold(OpLT, 0.5).
func Threshold(op Op, v float64) Tolerance { return Tolerance{Op: op, Value: v} }

// Range is the tolerance min ≤ value ≤ max.
func Range(min, max float64) Tolerance { return Tolerance{Min: &min, Max: &max} }

// Validate reports a tolerance that mixes a threshold and a range, has an
// unknown operator, NaN bounds or a range whose min is above its max.
func (t Tolerance) Validate() error {
	isRange := t.Min != nil || t.Max != nil
	switch {
	case t.Op != "" && isRange:
		return fmt.Errorf("%w: both a threshold (%s) and a range: choose one", ErrInvalidTolerance, t.Op)
	case t.Op != "" && !validOp(t.Op):
		return fmt.Errorf("%w: unknown operator %q (want <, <=, >, >=, == or !=)", ErrInvalidTolerance, t.Op)
	case t.Op != "" && math.IsNaN(t.Value):
		return fmt.Errorf("%w: threshold is NaN", ErrInvalidTolerance)
	case t.Min != nil && math.IsNaN(*t.Min), t.Max != nil && math.IsNaN(*t.Max):
		return fmt.Errorf("%w: range bound is NaN", ErrInvalidTolerance)
	case t.Min != nil && t.Max != nil && *t.Min > *t.Max:
		return fmt.Errorf("%w: range min %g is above max %g", ErrInvalidTolerance, *t.Min, *t.Max)
	}
	return nil
}

func validOp(op Op) bool {
	switch op {
	case OpLT, OpLE, OpGT, OpGE, OpEQ, OpNE:
		return true
	}
	return false
}

// Holds reports whether v satisfies the tolerance. NaN never does.
func (t Tolerance) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch t.Op {
	case OpLT:
		return v < t.Value
	case OpLE:
		return v <= t.Value
	case OpGT:
		return v > t.Value
	case OpGE:
		return v >= t.Value
	case OpEQ:
		return v == t.Value
	case OpNE:
		return v != t.Value
	case "":
		return (t.Min == nil || v >= *t.Min) && (t.Max == nil || v <= *t.Max)
	}
	return false // an invalid operator never holds
}

// String renders the tolerance for reports: "< 0.5", "in [0.99, 1]".
func (t Tolerance) String() string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case t.Op != "":
		return string(t.Op) + " " + f(t.Value)
	case t.Min != nil && t.Max != nil:
		return "in [" + f(*t.Min) + ", " + f(*t.Max) + "]"
	case t.Min != nil:
		return ">= " + f(*t.Min)
	case t.Max != nil:
		return "<= " + f(*t.Max)
	}
	return "any value"
}

// Judge is the sample of a measured value v: ok within tolerance,
// breached outside it (Err says by how much).
func Judge(name string, at time.Time, t Tolerance, v float64) Sample {
	s := Sample{Probe: name, At: at, Value: v, Status: StatusBreached}
	if t.Holds(v) {
		s.Status, s.OK = StatusOK, true
	} else {
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
func onNoData(policy NoData, name string, at time.Time, t Tolerance, err error) Sample {
	switch policy {
	case NoDataZero:
		return Judge(name, at, t, 0)
	case NoDataError:
		return failed(name, at, StatusError, err)
	default:
		return failed(name, at, StatusBreached, err)
	}
}
