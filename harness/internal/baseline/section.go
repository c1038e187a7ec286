package baseline

// Section is the learned steady state of a run as its report shows it:
// a baseline per SLI of the load, and one per probe with a relative
// tolerance, each with its source runs, bound and margin.
type Section struct {
	// Comparable says which runs of the history count as comparable.
	Comparable string `json:"comparable"`
	// Runs are the history's runs the baselines learnt from, newest first.
	Runs []string `json:"runs"`
	// Note says what is missing ("no history configured").
	Note   string          `json:"note,omitempty"`
	SLIs   []SLI           `json:"slis,omitempty"`
	Probes []ProbeBaseline `json:"probes,omitempty"`
}

// The SLIs of the load whose baselines every report with a pre-fault
// window shows, read from the per-second timeline.
const (
	SLIErrorRatio = "error-ratio"
	SLIP95        = "p95"
	SLIP99        = "p99"
	// SLIThroughput is the requests per second per ready replica.
	SLIThroughput = "throughput-per-replica"
)

// SLIs lists the SLI names in report order, with their units.
var SLIs = []struct{ Name, Unit string }{
	{SLIErrorRatio, "ratio"}, {SLIP95, "ms"}, {SLIP99, "ms"}, {SLIThroughput, "req/s"},
}

// SLI is the baseline of one SLI of the load.
type SLI struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
	// ThisRun is the median of this run's pre-fault window (nil: none).
	ThisRun *float64 `json:"thisRun,omitempty"`
	// Baseline is learnt from this run's pre-fault window and the
	// history's runs'.
	Baseline Stats `json:"baseline"`
}

// ProbeBaseline is the baseline of a probe with a relative tolerance.
type ProbeBaseline struct {
	Probe string `json:"probe"`
	// Rule is the relative tolerance ("<= 1.2 × baseline").
	Rule string `json:"rule"`
	// Fallback is the fixed tolerance used while the baseline is not ready
	// ("" for none).
	Fallback string `json:"fallback,omitempty"`
	// WhenTooFewRuns is fallback or fail.
	WhenTooFewRuns string `json:"whenTooFewRuns"`
	// Ready: the rule applied (enough runs); Note says otherwise why not.
	Ready       bool   `json:"ready"`
	Note        string `json:"note,omitempty"`
	HistoryRuns int    `json:"historyRuns"`
	MinRuns     int    `json:"minRuns"`
	Baseline    Stats  `json:"baseline"`
	// Bound is the rule's bound on the final baseline; Margin its distance
	// from the median (nil when not ready).
	Bound  *float64 `json:"bound,omitempty"`
	Margin *float64 `json:"margin,omitempty"`
}
