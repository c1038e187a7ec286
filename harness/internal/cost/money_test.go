package cost_test

import (
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/cost"
)

func TestMoney(t *testing.T) {
	tests := map[string]struct {
		usd  float64
		want string
	}{
		"zero":                                    {0, "$0.00"},
		"dollars with cents and commas":           {12345.678, "$12,345.68"},
		"below a dollar: four decimals, trimmed":  {0.0207, "$0.0207"},
		"tiny: two significant digits":            {0.0000013, "$0.0000013"},
		"a floating residue of a difference is 0": {1.9e-20, "$0.00"},
		"a negative residue too":                  {-3e-17, "$0.00"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := cost.Money(tt.usd); got != tt.want {
				t.Errorf("Money(%g) = %q, want %q", tt.usd, got, tt.want)
			}
		})
	}
}
