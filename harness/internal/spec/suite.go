package spec

// Suite groups experiments that run one after the other, such as the
// pre-production gate or the weekly game day.
type Suite struct {
	// APIVersion must be gameday.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be Suite.
	Kind     string    `json:"kind"`
	Metadata Metadata  `json:"metadata"`
	Spec     SuiteSpec `json:"spec"`

	// File is the file the suite was read from.
	File string `json:"-"`
	// Experiments are the loaded experiments, in run order, with the suite's
	// defaults applied.
	Experiments []*Experiment `json:"-"`
}

// SuiteSpec lists the experiments and their shared defaults.
type SuiteSpec struct {
	// Defaults apply to every experiment that does not set the field itself.
	Defaults SuiteDefaults `json:"defaults,omitempty"`
	// Experiments run in this order.
	Experiments []SuiteEntry `json:"experiments"`
	// FailFast stops the suite at the first experiment that does not pass
	// (exit code 1, 3 or 4).
	FailFast bool `json:"failFast,omitempty"`
	// Cooldown is the pause between two experiments, for the system to
	// settle (default 10s).
	Cooldown Duration `json:"cooldown,omitempty"`
	// Regression are the thresholds of the regression gate (gameday gate
	// --compare-to); defaults for what is left out.
	Regression *Regression `json:"regression,omitempty"`
}

// SuiteDefaults are per-suite defaults.
type SuiteDefaults struct {
	// Target of every experiment that has none.
	Target *Target `json:"target,omitempty"`
}

// SuiteEntry is one experiment of a suite.
type SuiteEntry struct {
	// File is the experiment file, relative to the suite file.
	File string `json:"file"`
}
