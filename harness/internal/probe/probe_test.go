package probe

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// lt, ge and between are spec tolerances, as an experiment writes them.
func lt(v float64) *spec.Tolerance {
	return &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpLT, Value: v}}
}
func ge(v float64) *spec.Tolerance {
	return &spec.Tolerance{Threshold: &spec.Threshold{Op: spec.OpGE, Value: v}}
}
func between(lo, hi float64) *spec.Tolerance {
	return &spec.Tolerance{Range: &spec.Range{Min: lo, Max: hi}}
}

func TestJudge(t *testing.T) {
	at := time.Unix(100, 0)
	tests := map[string]struct {
		tol     *spec.Tolerance
		v       float64
		want    Status
		wantErr string
	}{
		"within a threshold":             {ge(0.99), 0.995, StatusOK, ""},
		"out of a threshold says why":    {ge(0.99), 0.5, StatusBreached, "availability: value 0.5 is not >= 0.99"},
		"within a range":                 {between(0.99, 1), 1, StatusOK, ""},
		"out of a range says why":        {between(0.99, 1), 0.9, StatusBreached, "availability: value 0.9 is not in [0.99, 1]"},
		"no tolerance takes any value":   {nil, -1e300, StatusOK, ""},
		"no tolerance still refuses NaN": {nil, math.NaN(), StatusBreached, "availability: value is NaN"},
		"NaN never holds a threshold":    {ge(0), math.NaN(), StatusBreached, "availability: value NaN is not >= 0"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := Judge("availability", at, tc.tol, tc.v)
			if s.Status != tc.want || s.OK != (tc.want == StatusOK) || s.Probe != "availability" || !s.At.Equal(at) {
				t.Fatalf("Judge = %+v, want status %s", s, tc.want)
			}
			if got := fmt.Sprint(s.Err); tc.wantErr != "" && got != tc.wantErr || tc.wantErr == "" && s.Err != nil {
				t.Errorf("reason %q, want %q", got, tc.wantErr)
			}
		})
	}
}

func TestSampleJSON(t *testing.T) {
	s := failed("logs", time.Unix(0, 0).UTC(), StatusSkipped, ErrNoLoki)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"probe":"logs","at":"1970-01-01T00:00:00Z","value":null,"ok":false,"status":"skipped","reason":"no loki configured: logql probe skipped"}`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}
