// Package dora computes the delivery performance of a service in an
// environment (gameday dora): deployment frequency, change lead time,
// change failure rate, failed deployment recovery time and rework rate,
// each rated against the performance levels of a named DORA report (one
// data file, levels/*.yaml), per week and per month, with the reliability
// evidence of each deployment beside it: the error budget it burned and the
// game days run against it.
//
// Everything comes from real sources through small interfaces, each with an
// adapter named after its dependency: the git repository (Repository;
// dora/git, go-git), Argo CD's Application status (Application; dora/argocd,
// the Kubernetes API), Prometheus' ALERTS series and the SLOs' error budget
// (dora/prom), and the game-day run history (RunSource; dora/runs reads it
// through the history's index, internal/history). Analyze and Summarize are
// deterministic functions of what those return; docs/dora.md defines every
// metric exactly as computed here.
package dora

import (
	"context"
	"errors"
	"time"
)

// ErrRevisionNotFound: a deployed revision is not in the repository
// (force-pushed history, a stale clone, or a revision that is not a commit
// of this repository, such as a Helm chart version).
var ErrRevisionNotFound = errors.New("revision not found in the repository")

// Repository answers what the analysis asks of git.
type Repository interface {
	// Changes are the changes revision to brings over revision from
	// (from "" is not allowed: the oldest deployment is a baseline), oldest
	// first. An error wraps ErrRevisionNotFound when either is missing.
	Changes(from, to string) ([]Change, error)
	// IsAncestor reports whether a is a strict ancestor of b.
	IsAncestor(a, b string) (bool, error)
	// Tags are the tags pointing at revision (for "release 1.4.2").
	Tags(revision string) []string
}

// Change is one change as lead time counts it: a commit on the first-parent
// line of the deployed branch together with the commits it brought in (a
// merge commit: the commits of the merged branch; any other commit: itself).
type Change struct {
	// Head is the commit on the first-parent line (the merge, or the
	// commit itself).
	Head    string `json:"head"`
	Subject string `json:"subject"`
	Merge   bool   `json:"merge,omitempty"`
	// Commits is how many commits the change holds.
	Commits int `json:"commits"`
	// First is the time of its earliest commit (author time unless the
	// repository reads committer times), FirstCommit that commit.
	First       time.Time `json:"firstCommitAt"`
	FirstCommit string    `json:"firstCommit"`
}

// Application is what Argo CD knows about one service in one environment.
type Application struct {
	Name        string `json:"name"`
	Namespace   string `json:"namespace"`
	Environment string `json:"environment"`
	RepoURL     string `json:"repoURL,omitempty"`
	Path        string `json:"path,omitempty"`
	// History is status.history, oldest first: one entry per successful
	// sync operation.
	History []HistoryEntry `json:"-"`
	// HistoryLimit is spec.revisionHistoryLimit (Argo CD's default 10).
	HistoryLimit int `json:"historyLimit"`
	// The state now.
	SyncStatus       string    `json:"syncStatus,omitempty"`
	SyncRevision     string    `json:"syncRevision,omitempty"`
	HealthStatus     string    `json:"healthStatus,omitempty"`
	HealthSince      time.Time `json:"healthSince,omitzero"`
	OperationPhase   string    `json:"operationPhase,omitempty"`
	OperationMessage string    `json:"operationMessage,omitempty"`
	// OperationRevision and OperationFinished describe the last sync
	// operation.
	OperationRevision string    `json:"operationRevision,omitempty"`
	OperationFinished time.Time `json:"operationFinishedAt,omitzero"`
}

// HistoryEntry is one entry of status.history.
type HistoryEntry struct {
	ID          int64
	Revision    string
	DeployedAt  time.Time
	StartedAt   time.Time
	InitiatedBy string
}

// Alert is one interval during which an alert was firing.
type Alert struct {
	Name   string            `json:"alertname"`
	Labels map[string]string `json:"labels"`
	Start  time.Time         `json:"start"`
	// End is the last time it was seen firing; Resolved is false when it
	// was still firing at the end of the data read.
	End      time.Time `json:"end"`
	Resolved bool      `json:"resolved"`
}

// Run is one game day of the run history.
type Run struct {
	Suite      string    `json:"suite"`
	ID         string    `json:"runID"`
	Experiment string    `json:"experiment"`
	Status     string    `json:"status"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	// Path is its report.json.
	Path string `json:"path"`
	// Environment is where it ran (from its suite).
	Environment string `json:"environment,omitempty"`
}

// RunFailed is the run status that fails the deployment it ran against.
const RunFailed = "failed"

// Burn is the error budget one SLO burned while a deployment was live.
type Burn struct {
	SLO string `json:"slo"`
	// Budget is the fraction of the SLO window's error budget burned
	// (0.12: 12 % of the 30d budget).
	Budget *float64 `json:"budget"`
	Window string   `json:"window"`
	Error  string   `json:"error,omitempty"`
}

// Window is a span of time [From, To).
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Contains reports whether t is in [From, To).
func (w Window) Contains(t time.Time) bool { return !t.Before(w.From) && t.Before(w.To) }

// Days is the window's length in days.
func (w Window) Days() float64 { return w.To.Sub(w.From).Hours() / 24 }

// RunSource lists the game days of the run history (dora/runs: the index
// of internal/history over the reports tree).
type RunSource interface {
	// Runs returns the runs, and a warning per record it could not read.
	Runs(ctx context.Context) ([]Run, []string, error)
}
