package dora

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// The kinds of deployment.
const (
	// KindDeploy is a deployment of a new revision.
	KindDeploy = "deploy"
	// KindRollback is a deployment of a revision that is a strict ancestor
	// of the one running before: history going back.
	KindRollback = "rollback"
	// KindRedeploy is a sync of the revision already running: listed, not
	// counted as a deployment.
	KindRedeploy = "redeploy"
)

// The kinds of failure evidence.
const (
	EvidenceRollback = "rollback"
	EvidenceAlert    = "alert"
	EvidenceGate     = "gate"
	EvidenceHealth   = "health"
)

// Input is everything known about one service in one environment.
type Input struct {
	Service string
	App     Application
	Repo    Repository
	// Alerts are the SLO fast-burn alerts of the service in the
	// environment (already filtered by the alert matcher).
	Alerts []Alert
	// Runs are the game days run in the environment.
	Runs []Run
	// FailureWindow: an alert that starts firing within it after a
	// deployment (and before the next) fails that deployment.
	FailureWindow time.Duration
	// Now is when the analysis runs: failures still open are open now.
	Now time.Time
	// AlertsNotRead says why no alert was read ("" when they were, even
	// none): the change failure rate then counts rollbacks and failed
	// gates only, and every output says so beside it.
	AlertsNotRead string
}

// Deployment is one entry of the Application's history, analysed.
type Deployment struct {
	ID          int64     `json:"id"`
	Revision    string    `json:"revision"`
	Tags        []string  `json:"tags,omitempty"`
	DeployedAt  time.Time `json:"deployedAt"`
	InitiatedBy string    `json:"initiatedBy,omitempty"`
	Kind        string    `json:"kind"`
	// Counted: a deployment for the metrics (a redeploy is not).
	Counted bool `json:"counted"`
	// Baseline: the oldest deployment that can be delimited is missing (the
	// oldest entry Argo CD keeps, or all earlier revisions are not in the
	// repository): its changes are unknown.
	Baseline bool `json:"baseline,omitempty"`
	// RevisionMissing: the revision is not in the repository.
	RevisionMissing bool `json:"revisionMissing,omitempty"`
	// Changes are the changes this deployment shipped first, with their
	// lead times.
	Changes []LeadTime `json:"changes,omitempty"`
	// Redeployed counts changes it carried that an earlier deployment had
	// already shipped (after a rollback).
	Redeployed int `json:"redeployedChanges,omitempty"`
	// Until is when the next counted deployment replaced it (zero: live).
	Until   time.Time `json:"until,omitzero"`
	Failure *Failure  `json:"failure,omitempty"`
	// Rework: an unplanned deployment made because of an earlier failed
	// one (ReworkFor): a rollback, or a deployment while that failure was
	// open and already detected.
	Rework    bool  `json:"rework,omitempty"`
	ReworkFor int64 `json:"reworkFor,omitempty"`
	// Budget is the error budget each SLO burned while it was live.
	Budget []Burn `json:"budget,omitempty"`
	// Runs are the game days run while it was live.
	Runs []Run `json:"runs,omitempty"`
	// VersionRuns are the game days other environments ran against the
	// same revision (a staging gate before prod).
	VersionRuns []Run `json:"versionRuns,omitempty"`
	// alerts are the alert intervals among its evidence.
	alerts []Alert
}

// LeadTime is a change with its lead time: from its first commit to the
// deployment that shipped it. Negative (a commit time after the deploy
// time: clock skew) is reported as measured.
type LeadTime struct {
	Change
	Seconds  float64 `json:"leadTimeSeconds"`
	Negative bool    `json:"negative,omitempty"`
}

// Failure says why a deployment failed and when it recovered.
type Failure struct {
	Evidence []Evidence `json:"evidence"`
	// DetectedAt is the earliest evidence.
	DetectedAt time.Time `json:"detectedAt"`
	// RecoveredAt is zero while it is not recovered; RecoveredBy says how.
	RecoveredAt     time.Time `json:"recoveredAt,omitzero"`
	RecoveredBy     string    `json:"recoveredBy,omitempty"`
	RecoverySeconds *float64  `json:"recoverySeconds,omitempty"`
}

// Evidence is one reason a deployment failed, with what proves it.
type Evidence struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Detail string    `json:"detail"`
	// Ref is the evidence itself: the rollback's revision, the alert's
	// labels, the run's report.json.
	Ref string `json:"ref"`
}

// Missing is a deployed revision not found in the repository.
type Missing struct {
	Revision     string    `json:"revision"`
	DeploymentID int64     `json:"deploymentID"`
	DeployedAt   time.Time `json:"deployedAt"`
}

// Analysis is the timeline of one service in one environment.
type Analysis struct {
	Service     string       `json:"service"`
	Environment string       `json:"environment"`
	App         Application  `json:"application"`
	Deployments []Deployment `json:"-"`
	Missing     []Missing    `json:"-"`
	Notes       []string     `json:"-"`
	// AlertsNotRead is the input's.
	AlertsNotRead string `json:"-"`
}

// Analyze builds the deployment timeline of in: kinds, changes and lead
// times, failures with their evidence and recovery, rework, the game days
// run against each deployment.
func Analyze(in Input) (*Analysis, error) {
	a := &Analysis{Service: in.Service, Environment: in.App.Environment, App: in.App, AlertsNotRead: in.AlertsNotRead}
	hist := slices.Clone(in.App.History)
	sort.SliceStable(hist, func(i, j int) bool {
		if !hist[i].DeployedAt.Equal(hist[j].DeployedAt) {
			return hist[i].DeployedAt.Before(hist[j].DeployedAt)
		}
		return hist[i].ID < hist[j].ID
	})
	if in.App.HistoryLimit > 0 && len(hist) >= in.App.HistoryLimit {
		a.Notes = append(a.Notes, fmt.Sprintf("Argo CD keeps the last %d syncs of %s (spec.revisionHistoryLimit) and all are in use: deployments before %s are forgotten; raise the limit to see further back",
			in.App.HistoryLimit, in.App.Name, hist[0].DeployedAt.UTC().Format(time.RFC3339)))
	}
	seen := map[string]bool{}    // change heads already shipped
	found := map[string]bool{}   // revisions known to be in the repository
	missing := map[string]bool{} // revisions known to be missing
	lastCounted := -1
	for k, h := range hist {
		d := Deployment{ID: h.ID, Revision: h.Revision, DeployedAt: h.DeployedAt, InitiatedBy: h.InitiatedBy, Kind: KindDeploy, Counted: true}
		if in.Repo != nil {
			d.Tags = in.Repo.Tags(h.Revision)
		}
		switch {
		case k > 0 && h.Revision == hist[k-1].Revision:
			d.Kind, d.Counted = KindRedeploy, false
		case lastCounted >= 0:
			prev := a.Deployments[lastCounted]
			back, err := in.Repo.IsAncestor(h.Revision, prev.Revision)
			if err == nil && back {
				d.Kind = KindRollback
				a.Deployments[lastCounted].fail(Evidence{Kind: EvidenceRollback, At: h.DeployedAt,
					Detail: fmt.Sprintf("rolled back to %s by deployment %d", short(h.Revision), h.ID), Ref: h.Revision})
			}
		}
		// The changes: from the latest earlier revision in the repository.
		from := ""
		for j := k - 1; j >= 0; j-- {
			if found[hist[j].Revision] {
				from = hist[j].Revision
				break
			}
		}
		if d.Kind != KindRedeploy {
			var changes []Change
			var err error
			if from != "" {
				changes, err = in.Repo.Changes(from, h.Revision)
			} else {
				// Nothing earlier to delimit it: probe the revision only.
				_, err = in.Repo.IsAncestor(h.Revision, h.Revision)
				d.Baseline = err == nil
			}
			switch {
			case errors.Is(err, ErrRevisionNotFound):
				d.RevisionMissing = true
				d.Baseline = false
			case err != nil:
				return nil, fmt.Errorf("%s in %s: deployment %d (%s): %w", in.Service, a.Environment, h.ID, short(h.Revision), err)
			}
			for _, c := range changes {
				if seen[c.Head] {
					d.Redeployed++
					continue
				}
				seen[c.Head] = true
				lt := h.DeployedAt.Sub(c.First).Seconds()
				d.Changes = append(d.Changes, LeadTime{Change: c, Seconds: lt, Negative: lt < 0})
			}
		} else if missing[h.Revision] {
			d.RevisionMissing = true
		}
		if d.RevisionMissing {
			missing[h.Revision] = true
			if d.Counted {
				a.Missing = append(a.Missing, Missing{Revision: h.Revision, DeploymentID: h.ID, DeployedAt: h.DeployedAt})
			}
		} else if d.Kind != KindRedeploy {
			found[h.Revision] = true
		}
		if d.Counted {
			if lastCounted >= 0 {
				a.Deployments[lastCounted].Until = h.DeployedAt
			}
			lastCounted = len(a.Deployments)
		}
		a.Deployments = append(a.Deployments, d)
	}
	a.evidence(in, lastCounted)
	a.recover()
	a.rework()
	return a, nil
}

func (d *Deployment) fail(e Evidence) {
	if d.Failure == nil {
		d.Failure = &Failure{}
	}
	d.Failure.Evidence = append(d.Failure.Evidence, e)
	if d.Failure.DetectedAt.IsZero() || e.At.Before(d.Failure.DetectedAt) {
		d.Failure.DetectedAt = e.At
	}
}

// evidence adds the alerts, failed game days and the health now.
func (a *Analysis) evidence(in Input, last int) {
	for i := range a.Deployments {
		d := &a.Deployments[i]
		if !d.Counted {
			continue
		}
		until := d.Until
		if until.IsZero() {
			until = in.Now
		}
		alertEnd := d.DeployedAt.Add(in.FailureWindow)
		if alertEnd.After(until) {
			alertEnd = until
		}
		for _, al := range in.Alerts {
			if al.Start.After(d.DeployedAt) && !al.Start.After(alertEnd) {
				d.alerts = append(d.alerts, al)
				d.fail(Evidence{Kind: EvidenceAlert, At: al.Start,
					Detail: fmt.Sprintf("%s firing %s after the deployment", al.Name, human(al.Start.Sub(d.DeployedAt))), Ref: labelText(al.Labels)})
			}
		}
		for _, r := range in.Runs {
			if r.Start.Before(d.DeployedAt) || !r.Start.Before(until) {
				continue
			}
			d.Runs = append(d.Runs, r)
			if r.Status == RunFailed {
				d.fail(Evidence{Kind: EvidenceGate, At: r.End,
					Detail: fmt.Sprintf("game day %s (%s) failed", r.Experiment, r.ID), Ref: r.Path})
			}
		}
		if i == last {
			switch h := in.App.HealthStatus; h {
			case "Degraded", "Missing":
				at := in.App.HealthSince
				if at.IsZero() || at.Before(d.DeployedAt) {
					at = in.Now
				}
				d.fail(Evidence{Kind: EvidenceHealth, At: at, Detail: "Argo CD reports the application " + h + " now", Ref: in.App.Namespace + "/" + in.App.Name})
			}
		}
	}
}

// recover sets when each failed deployment recovered: at the next counted
// deployment that did not fail, or, when its only evidence is alerts that
// all resolved, when the last of them resolved; whichever comes first.
func (a *Analysis) recover() {
	for i := range a.Deployments {
		d := &a.Deployments[i]
		if !d.Counted || d.Failure == nil {
			continue
		}
		f := d.Failure
		for j := i + 1; j < len(a.Deployments); j++ {
			n := a.Deployments[j]
			if n.Counted && n.Failure == nil {
				f.RecoveredAt = n.DeployedAt
				f.RecoveredBy = fmt.Sprintf("%s %d (%s)", n.Kind, n.ID, short(n.Revision))
				break
			}
		}
		if end, ok := d.alertsResolved(); ok && (f.RecoveredAt.IsZero() || end.Before(f.RecoveredAt)) {
			f.RecoveredAt, f.RecoveredBy = end, "alerts resolved"
		}
		if !f.RecoveredAt.IsZero() {
			s := f.RecoveredAt.Sub(d.DeployedAt).Seconds()
			f.RecoverySeconds = &s
		}
	}
}

// alertsResolved is when the last alert of a failure whose evidence is
// only alerts resolved (ok false otherwise).
func (d *Deployment) alertsResolved() (time.Time, bool) {
	var end time.Time
	for _, e := range d.Failure.Evidence {
		if e.Kind != EvidenceAlert {
			return time.Time{}, false
		}
	}
	for _, r := range d.alerts {
		if !r.Resolved {
			return time.Time{}, false
		}
		if r.End.After(end) {
			end = r.End
		}
	}
	return end, !end.IsZero()
}

// rework marks the deployments made because of an earlier failure.
func (a *Analysis) rework() {
	for k := range a.Deployments {
		d := &a.Deployments[k]
		if !d.Counted {
			continue
		}
		for j := k - 1; j >= 0; j-- {
			p := a.Deployments[j]
			if !p.Counted {
				continue
			}
			if d.Kind == KindRollback {
				d.Rework, d.ReworkFor = true, p.ID
				break
			}
			f := p.Failure
			if f == nil {
				break
			}
			open := f.RecoveredAt.IsZero() || !f.RecoveredAt.Before(d.DeployedAt)
			if open && f.DetectedAt.Before(d.DeployedAt) {
				d.Rework, d.ReworkFor = true, p.ID
			}
			break
		}
	}
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func labelText(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
