package pipeline

import (
	"fmt"
	"slices"
	"strings"
)

// The jobs of the delivery workflow (.github/workflows/delivery.yml).
const (
	JobImages         = "images"
	JobPromoteDev     = "promote-dev"
	JobDevHealthy     = "dev-healthy"
	JobPromoteStaging = "promote-staging"
	JobStagingHealthy = "staging-healthy"
	JobGate           = "gate"
	JobPromoteProd    = "promote-prod"
	// EnvironmentProd is the GitHub environment whose required reviewers
	// approve a promotion to prod.
	EnvironmentProd = "production"
	// GateSuite is the suite the gate runs against staging.
	GateSuite = "experiments/suites/k8s-preprod-gate.yaml"
)

// stage is one link of the promotion chain: a job, what it must directly
// need, and the gameday command it must run.
type stage struct {
	job   string
	needs []string
	cmd   []string
	flags []string
}

var chain = []stage{
	{JobPromoteDev, []string{JobImages}, []string{"deploy", "promote"}, []string{"--environment dev"}},
	{JobDevHealthy, []string{JobPromoteDev}, []string{"deploy", "wait"}, []string{"--application petclinic-dev"}},
	{JobPromoteStaging, []string{JobDevHealthy}, []string{"deploy", "promote"}, []string{"--environment staging", "--from dev"}},
	{JobStagingHealthy, []string{JobPromoteStaging}, []string{"deploy", "wait"}, []string{"--application petclinic-staging"}},
	{JobGate, []string{JobStagingHealthy}, []string{"gate"}, []string{"--target kubernetes", "--publish", GateSuite}},
	{JobPromoteProd, []string{JobGate}, []string{"deploy", "promote"}, []string{"--environment prod", "--from staging"}},
}

// bypass are if: expressions that let a job run although a job it needs
// failed or was skipped.
var bypass = []string{"always()", "failure()", "cancelled()", "!success()"}

// PromotionGraph checks the delivery workflow: each stage needs the one
// before it directly and runs its gameday command; prod's promotion waits
// for an approval (environment production) and for the gate, which no
// condition bypasses; the gate's failure fails its job (no
// continue-on-error) and its JUnit and reports are kept even then; only
// prod's job promotes to prod; a failure is notified. It returns every
// problem found.
func PromotionGraph(w *Workflow) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, ok := w.On["push"]; !ok {
		add("the workflow does not run on a push (to main)")
	}
	for _, s := range chain {
		j, ok := w.Jobs[s.job]
		if !ok {
			add("no job %s", s.job)
			continue
		}
		for _, n := range s.needs {
			if !slices.Contains(j.Needs, n) {
				add("job %s does not need %s (needs %v)", s.job, n, []string(j.Needs))
			}
		}
		if !j.runs(s.cmd, s.flags...) {
			add("job %s does not run gameday %s %s", s.job, strings.Join(s.cmd, " "), strings.Join(s.flags, " "))
		}
		for _, b := range bypass {
			if strings.Contains(strings.ReplaceAll(j.If, " ", ""), b) {
				add("job %s runs if: %s, whatever the jobs it needs did", s.job, j.If)
			}
		}
		if continues(j.ContinueOnError) {
			add("job %s has continue-on-error: its failure would not stop the promotion", s.job)
		}
		for _, st := range j.Steps {
			if continues(st.ContinueOnError) && strings.Contains(st.Run, "gameday") {
				add("job %s: step %q has continue-on-error", s.job, st.Name)
			}
		}
	}
	if prod, ok := w.Jobs[JobPromoteProd]; ok && prod.EnvironmentName() != EnvironmentProd {
		add("job %s: environment %q, want %q (its required reviewers approve the promotion)", JobPromoteProd, prod.EnvironmentName(), EnvironmentProd)
	}
	if gate, ok := w.Jobs[JobGate]; ok {
		kept := false
		for _, st := range gate.Steps {
			if strings.HasPrefix(st.Uses, "actions/upload-artifact@") && strings.Contains(st.If, "always()") {
				kept = true
			}
		}
		if !kept {
			add("job %s does not keep its JUnit and reports when it fails (actions/upload-artifact, if: always())", JobGate)
		}
	}
	for name, j := range w.Jobs {
		if name != JobPromoteProd && j.runs([]string{"deploy", "promote"}, "--environment prod") {
			add("job %s promotes to prod: only %s may", name, JobPromoteProd)
		}
	}
	notified := false
	for _, j := range w.Jobs {
		if strings.Contains(j.If, "failure()") && j.runs([]string{"notify"}) && slices.Contains(j.Needs, JobPromoteProd) && slices.Contains(j.Needs, JobGate) {
			notified = true
		}
	}
	if !notified {
		add("no job notifies a failure (if: failure(), needing every stage, running gameday notify)")
	}
	return errs
}
