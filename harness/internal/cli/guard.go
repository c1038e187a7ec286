package cli

import (
	ucli "github.com/urfave/cli/v2"

	"github.com/gamedayhq/gameday/harness/internal/slo"
)

// Flags of the error-budget guard (run, gate).
const (
	flagBudgetMin   = "budget-policy-min"
	flagBurnRateCap = "burn-rate-cap"
	flagNoGuard     = "no-budget-guard"
	flagGuardStrict = "budget-guard-strict"
)

// guardFlags are the flags of the error-budget guard.
func guardFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: flagSLODir, Value: slo.DefaultDir, Usage: "OpenSLO specs the error-budget guard checks (no such directory: the guard is skipped, unless the flag is set)"},
		&ucli.Float64Flag{Name: flagBudgetMin, Value: slo.DefaultMinRemaining, Usage: "refuse to start (exit 4) when an SLO has less than this share of its error budget left"},
		&ucli.Float64Flag{Name: flagBurnRateCap, Value: slo.DefaultBurnRateCap, Usage: "abort the run (exit 4) when an SLO burns faster than this over the run so far (at most 5m); 0: no cap"},
		&ucli.BoolFlag{Name: flagGuardStrict, Usage: "refuse to start when an SLO has no data or cannot be read (default: true for gate, a CI gate must not pass without budget data; false for run, which admits and says so)"},
		&ucli.BoolFlag{Name: flagNoGuard, Usage: "no error-budget guard (the report records that it was off)"},
	}
}
