package probe

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestToleranceHolds(t *testing.T) {
	tests := map[string]struct {
		tol  Tolerance
		v    float64
		want bool
	}{
		"below a < threshold":                {Threshold(OpLT, 0.5), 0.49, true},
		"at a < threshold":                   {Threshold(OpLT, 0.5), 0.5, false},
		"at a <= threshold":                  {Threshold(OpLE, 0.5), 0.5, true},
		"above a > threshold":                {Threshold(OpGT, 0.99), 0.995, true},
		"at a > threshold":                   {Threshold(OpGT, 0.99), 0.99, false},
		"at a >= threshold":                  {Threshold(OpGE, 0.99), 0.99, true},
		"equal to an == threshold":           {Threshold(OpEQ, 3), 3, true},
		"different from an == threshold":     {Threshold(OpEQ, 3), 2, false},
		"different from a != threshold":      {Threshold(OpNE, 0), 1, true},
		"inside a range":                     {Range(0.99, 1), 0.995, true},
		"on a range's lower bound":           {Range(0.99, 1), 0.99, true},
		"on a range's upper bound":           {Range(0.99, 1), 1, true},
		"below a range":                      {Range(0.99, 1), 0.98, false},
		"above a range":                      {Range(0, 0.01), 0.02, false},
		"under an open-ended max":            {Tolerance{Max: ptr(10.0)}, -1e9, true},
		"NaN within an open range":           {Tolerance{}, math.NaN(), false},
		"NaN against a != threshold":         {Threshold(OpNE, 0), math.NaN(), false},
		"any value for the zero tolerance":   {Tolerance{}, 1e300, true},
		"positive infinity above a range":    {Range(0, 1), math.Inf(1), false},
		"an unknown operator never holds":    {Threshold("~", 1), 1, false},
		"infinity satisfies a > threshold":   {Threshold(OpGT, 1), math.Inf(1), true},
		"negative zero equals zero":          {Threshold(OpEQ, 0), math.Copysign(0, -1), true},
		"a range of one value holds exactly": {Range(2, 2), 2, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.tol.Holds(tc.v); got != tc.want {
				t.Errorf("%s holds %g = %v, want %v", tc.tol, tc.v, got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestToleranceValidate(t *testing.T) {
	tests := map[string]struct {
		tol     Tolerance
		wantErr string
	}{
		"a threshold":                {Threshold(OpLT, 1), ""},
		"a range":                    {Range(0, 1), ""},
		"an open range":              {Tolerance{Min: ptr(0.0)}, ""},
		"no constraint":              {Tolerance{}, ""},
		"a threshold and a range":    {Tolerance{Op: OpLT, Max: ptr(1.0)}, "both a threshold (<) and a range"},
		"an unknown operator":        {Threshold("=<", 1), `unknown operator "=<"`},
		"a NaN threshold":            {Threshold(OpLT, math.NaN()), "threshold is NaN"},
		"a NaN bound":                {Tolerance{Min: ptr(math.NaN())}, "range bound is NaN"},
		"a range with min above max": {Range(2, 1), "range min 2 is above max 1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.tol.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (!errors.Is(err, ErrInvalidTolerance) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want ErrInvalidTolerance mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestToleranceString(t *testing.T) {
	for got, want := range map[string]string{
		Threshold(OpLT, 0.5).String():       "< 0.5",
		Range(0.99, 1).String():             "in [0.99, 1]",
		Tolerance{Min: ptr(0.9)}.String():   ">= 0.9",
		Tolerance{Max: ptr(250.0)}.String(): "<= 250",
		Tolerance{}.String():                "any value",
		Threshold(OpGE, 1e-06).String():     ">= 1e-06",
	} {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestJudge(t *testing.T) {
	at := time.Unix(100, 0)
	ok := Judge("availability", at, Threshold(OpGE, 0.99), 0.995)
	if !ok.OK || ok.Status != StatusOK || ok.Err != nil || ok.Value != 0.995 || ok.Probe != "availability" || !ok.At.Equal(at) {
		t.Errorf("within tolerance: %+v", ok)
	}
	bad := Judge("availability", at, Threshold(OpGE, 0.99), 0.5)
	if bad.OK || bad.Status != StatusBreached || bad.Err == nil || bad.Err.Error() != "availability: value 0.5 is not >= 0.99" {
		t.Errorf("out of tolerance: %+v", bad)
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
