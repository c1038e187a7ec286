package capacity

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Markdown is capacity.md: the answer, the two phases, every step with its
// figures, the criteria and what the search cost.
func Markdown(r *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Capacity `%s`: %s\n\n**%s.**\n\n", r.ID, r.Experiment, r.Answer.Line)
	fmt.Fprintf(&b, "On %s (%s), %s → %s. Cost: %s.", r.Target, r.TargetURL, r.Start.Format("2006-01-02 15:04:05Z"),
		r.End.Format("15:04:05Z"), r.Cost.Line())
	if r.Stopped != "" {
		fmt.Fprintf(&b, " Stopped early: %s.", r.Stopped)
	}
	fmt.Fprintf(&b, "\n\nA step holds when, over its measured window, at most %.2f%% of the requests fail, the 90th percentile of the per-second p95 is at most %.0f ms and of the p99 at most %.0f ms, and the load generator sent at least %.0f%% of the rate (else the step is inconclusive: the generator, not the target, was the limit).\n",
		100*r.Criteria.MaxErrorRatio, float64(r.Criteria.MaxP95), float64(r.Criteria.MaxP99), 100*r.Criteria.MinSent)
	b.WriteString("\n| phase | capacity | lowest that broke | outcome | steps |\n|---|---|---|---|---|\n")
	for _, p := range []*Phase{r.AllZones, r.ZoneDown} {
		if p == nil {
			continue
		}
		broke := "-"
		if p.Broke > 0 {
			broke = rate(p.Broke)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", p.Name, p.capacityText(), broke, p.Outcome, len(p.Steps))
	}
	b.WriteString("\n| step | phase | rate | outcome | errors | p95 | p99 | sent | requests | why |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Steps() {
		fmt.Fprintf(&b, "| %d | %s | %s | **%s** | %.2f%% | %.0f ms | %.0f ms | %.0f%% | %d | %s |\n", s.N, s.Phase, rate(s.Rate), s.Outcome,
			100*s.ErrorRatio, s.P95Ms, s.P99Ms, 100*s.Sent, s.Requests, strings.ReplaceAll(strings.Join(s.Reasons, "; "), "|", `\|`))
	}
	if len(r.ReadyByZone) > 0 {
		fmt.Fprintf(&b, "\nReplicas ready at the start: %d (%s); the zone fault failed %d.\n", r.Replicas, zonesText(r.ReadyByZone), r.LostReplicas)
	}
	return b.String()
}

func zonesText(m map[string]int) string {
	var parts []string
	for _, z := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", z, m[z]))
	}
	return strings.Join(parts, ", ")
}

// Text writes the steps as a table and the answer last, for a terminal.
func Text(w io.Writer, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tPHASE\tRATE\tOUTCOME\tERRORS\tP95\tP99\tSENT\tREQUESTS")
	for _, s := range r.Steps() {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.2f%%\t%.0fms\t%.0fms\t%.0f%%\t%d\n", s.N, s.Phase, rate(s.Rate), s.Outcome, 100*s.ErrorRatio,
			s.P95Ms, s.P99Ms, 100*s.Sent, s.Requests)
	}
	tw.Flush()
	for _, p := range []*Phase{r.AllZones, r.ZoneDown} {
		if p != nil {
			fmt.Fprintf(w, "%-16s %s (%s)\n", p.Name, p.capacityText(), p.Outcome)
		}
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "stopped          %s\n", r.Stopped)
	}
	fmt.Fprintf(w, "cost             %s\n", r.Cost.Line())
	fmt.Fprintln(w, r.Answer.Line)
}
