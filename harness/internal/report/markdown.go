package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/verdict"
)

// Markdown is report.md: a verdict line, the probes, the faults with their
// detect and recover times, and the load, for a GitHub job summary.
func Markdown(r *Report) ([]byte, error) {
	var b bytes.Buffer
	v := r.Verdict
	fmt.Fprintf(&b, "## Game day `%s`: %s\n\n", r.Experiment.Name, strings.ToUpper(string(v.Status)))
	fmt.Fprintf(&b, "**Verdict: %s** (exit %d, %s) · score %s · error budget consumed %s of %s\n\n",
		strings.ToUpper(string(v.Status)), r.ExitCode, exitcode.Name(r.ExitCode), pct(v.Score.Percent),
		pct(100*v.Budget.Consumed), objective(v.Budget.Objective))
	fmt.Fprintf(&b, "Run `%s` of suite `%s` on %s (%s), %s → %s (%s of %s planned).\n\n",
		r.RunID, r.Suite, r.Target.Kind, r.Target.URL, stamp(r.Timings.Start), stamp(r.Timings.End),
		secs(r.Timings.ActualSeconds), secs(r.Timings.PlannedSeconds))
	for _, reason := range v.Reasons {
		fmt.Fprintf(&b, "- %s\n", mdCell(reason))
	}
	if len(r.Decisions) > 0 {
		b.WriteString("\n### Decisions\n\n| decision | outcome | detail |\n|---|---|---|\n")
		for _, d := range r.Decisions {
			fmt.Fprintf(&b, "| %s | **%s** | %s |\n", d.Name, d.Outcome, mdCell(d.Detail))
		}
	}
	b.WriteString("\n### Probes\n\n| probe | type | mode | tolerance | result | samples (ok/breached/error) | reasons |\n|---|---|---|---|---|---|---|\n")
	for _, p := range r.Probes {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | **%s** | %d (%d/%d/%d) | %s |\n", p.Name, p.Type, p.Mode,
			mdCell(p.Tolerance), strings.ToUpper(string(p.Result)), p.Samples, p.OK, p.Breached, p.Errors,
			mdCell(strings.Join(p.Reasons, "; ")))
	}
	b.WriteString("\n### Faults\n\n")
	if len(r.Faults) == 0 {
		b.WriteString("No fault.\n")
	} else {
		b.WriteString("| fault | kind | planned | targets | injected | recovered | time to detect | time to recover |\n|---|---|---|---|---|---|---|---|\n")
		for _, f := range r.Faults {
			planned := fmt.Sprintf("+%s for %s", secs(f.StartAfter), secs(f.Duration))
			kind := f.Kind
			if f.Action != "" {
				kind += " " + f.Action
			}
			if f.Result == nil {
				fmt.Fprintf(&b, "| %s | %s | %s | - | not injected | - | - | - |\n", f.Name, kind, planned)
				continue
			}
			res := f.Result
			fmt.Fprintf(&b, "| %s | %s | %s | %s | +%s | %s | %s | %s |\n", f.Name, kind, planned,
				mdCell(strings.Join(res.Targets, ", ")), rel(r.Timings.Start, res.Injected), relOrNot(r.Timings.Start, res.Recovered),
				detect(res), recoverText(res))
		}
	}
	if zones, rows := ReadyByZone(r); len(rows) > 0 {
		b.WriteString("\n### Replicas ready per zone\n\nWhen the count changed (every observation is in report.json).\n\n| at | " +
			strings.Join(zones, " | ") + " | desired |\n|---" + strings.Repeat("|---", len(zones)+1) + "|\n")
		for _, row := range rows {
			fmt.Fprintf(&b, "| +%s | %s | %d |\n", row.At, strings.Join(row.cells(), " | "), row.Desired)
		}
	}
	b.WriteString("\n### Load\n\n")
	for _, line := range LoadLines(r.Load) {
		fmt.Fprintf(&b, "%s\n", mdCell(line))
	}
	b.WriteString(costMarkdown(r.Cost))
	b.WriteString(baselineMarkdown(r.Baselines))
	b.WriteString(comparisonMarkdown(r.Comparison))
	return b.Bytes(), nil
}

func detect(f *verdict.FaultResult) string {
	if f.Detect == nil {
		return "not detected"
	}
	return fmt.Sprintf("%s (%s)", f.Detect.Round(time.Millisecond), f.DetectedBy)
}

func recoverText(f *verdict.FaultResult) string {
	if len(f.Recoveries) == 0 {
		return "-"
	}
	var out []string
	for _, rc := range f.Recoveries {
		state := "MISSED"
		if rc.Met {
			state = "met"
		}
		d := "never"
		if rc.After != nil {
			d = rc.After.Round(time.Millisecond).String()
		}
		out = append(out, fmt.Sprintf("%s: %s (%s, within %s)", rc.Probe, d, state, rc.Within))
	}
	return strings.Join(out, "; ")
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func pct(p float64) string { return fmt.Sprintf("%.1f%%", p) }

func objective(o float64) string { return fmt.Sprintf("the %g%% objective", 100*o) }

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Millisecond).String()
}

func ms(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func rel(start, t time.Time) string { return t.Sub(start).Round(time.Millisecond).String() }

func relOrNot(start, t time.Time) string {
	if t.IsZero() {
		return "NOT RECOVERED"
	}
	return "+" + rel(start, t)
}

// JUnit is junit.xml: one testcase per probe and one for the verdict.
func JUnit(r *Report) ([]byte, error) {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Error     *failure `xml:"error,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		XMLName   xml.Name   `xml:"testsuite"`
		Name      string     `xml:"name,attr"`
		Tests     int        `xml:"tests,attr"`
		Failures  int        `xml:"failures,attr"`
		Errors    int        `xml:"errors,attr"`
		Skipped   int        `xml:"skipped,attr"`
		Time      string     `xml:"time,attr"`
		Timestamp string     `xml:"timestamp,attr"`
		Cases     []testcase `xml:"testcase"`
	}
	class := "gameday." + r.Suite + "." + r.Experiment.Name
	ts := testsuite{Name: r.Suite + "/" + r.Experiment.Name, Time: fmt.Sprintf("%.3f", r.Timings.ActualSeconds),
		Timestamp: r.Timings.Start.UTC().Format(time.RFC3339)}
	for _, p := range r.Probes {
		tc := testcase{Name: "probe " + p.Name, Classname: class, Time: "0",
			SystemOut: fmt.Sprintf("%s probe, mode %s, tolerance %s: %d samples, %d ok, %d breached, %d errors; result %s",
				p.Type, p.Mode, p.Tolerance, p.Samples, p.OK, p.Breached, p.Errors, p.Result)}
		text := strings.Join(p.Reasons, "\n")
		switch p.Result {
		case verdict.Fail:
			tc.Failure = &failure{Message: firstLine(p.Reasons), Type: "breached", Text: text}
			ts.Failures++
		case verdict.Error:
			tc.Error = &failure{Message: firstLine(p.Reasons), Type: "unmeasured", Text: text}
			ts.Errors++
		case verdict.Skipped:
			tc.Skipped = &skipped{Message: firstLine(p.Reasons)}
			ts.Skipped++
		case verdict.Warn:
			tc.SystemOut += "\nwarning: " + text
		}
		ts.Cases = append(ts.Cases, tc)
	}
	// Decisions (the error-budget guard's): a refusal is an error.
	for _, d := range r.Decisions {
		tc := testcase{Name: "decision " + d.Name, Classname: class, Time: "0", SystemOut: d.Outcome + ": " + d.Detail}
		if d.Outcome == "refused" {
			tc.Error = &failure{Message: d.Outcome, Type: "refused", Text: d.Detail}
			ts.Errors++
		}
		ts.Cases = append(ts.Cases, tc)
	}
	// The load generator: an error when it could not hold the rate.
	if g := r.Load.Generator; g.MaxInFlight > 0 {
		lines := GeneratorLines(g)
		tc := testcase{Name: "load generator", Classname: class, Time: "0", SystemOut: strings.Join(lines, "\n")}
		if s := g.Saturation; s != nil {
			tc.Error = &failure{Message: s.Message(), Type: "saturated", Text: strings.Join(lines, "\n")}
			ts.Errors++
		}
		ts.Cases = append(ts.Cases, tc)
	}
	// The regression gate: a case per compared metric, failed when it
	// regressed; a gate that fails without a reference fails its own case.
	if c := r.Comparison; c != nil {
		if len(c.Reference) == 0 {
			tc := testcase{Name: "regression gate", Classname: class, Time: "0", SystemOut: c.Headline()}
			if c.Failed {
				tc.Failure = &failure{Message: c.Headline(), Type: "no-reference", Text: strings.Join(c.Reasons, "\n")}
				ts.Failures++
			}
			ts.Cases = append(ts.Cases, tc)
		}
		for _, row := range c.Rows {
			cells := row.Cells()
			tc := testcase{Name: "regression " + row.Name(), Classname: class, Time: "0",
				SystemOut: fmt.Sprintf("this run %s, reference %s, change %s, allowed %s: %s %s", cells[1], cells[2], cells[3], cells[4], cells[5], cells[6])}
			if row.Verdict == RowRegressed {
				tc.Failure = &failure{Message: row.Name() + " regressed", Type: "regressed", Text: tc.SystemOut}
				ts.Failures++
			}
			ts.Cases = append(ts.Cases, tc)
		}
	}
	v := r.Verdict
	vc := testcase{Name: "verdict", Classname: class, Time: ts.Time,
		SystemOut: fmt.Sprintf("verdict %s, exit %d, score %s, error budget consumed %s", v.Status, r.ExitCode, pct(v.Score.Percent), pct(100*v.Budget.Consumed))}
	msg := fmt.Sprintf("hypothesis %s (exit %d)", v.Status, r.ExitCode)
	switch v.Status {
	case verdict.Failed:
		vc.Failure = &failure{Message: msg, Type: string(v.Status), Text: strings.Join(v.Reasons, "\n")}
		ts.Failures++
	case verdict.Aborted, verdict.Inconclusive:
		vc.Error = &failure{Message: msg, Type: string(v.Status), Text: strings.Join(v.Reasons, "\n")}
		ts.Errors++
	}
	ts.Cases = append(ts.Cases, vc)
	ts.Tests = len(ts.Cases)
	b, err := xml.MarshalIndent(ts, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

func firstLine(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// ZoneRow is the replicas ready per zone at one observation.
type ZoneRow struct {
	At      time.Duration
	Ready   []int // in the order of the zones
	Desired int
}

func (z ZoneRow) cells() []string {
	out := make([]string, len(z.Ready))
	for i, n := range z.Ready {
		out[i] = fmt.Sprint(n)
	}
	return out
}

// ReadyByZone condenses the report's observations into the zones seen and
// one row per change of the ready counts (the first and last always),
// offsets from the start of the run.
func ReadyByZone(r *Report) (zones []string, rows []ZoneRow) {
	seen := map[string]bool{}
	for _, o := range r.Observations {
		for z := range o.ReadyByZone {
			if !seen[z] {
				seen[z] = true
				zones = append(zones, z)
			}
		}
	}
	slices.Sort(zones)
	for i, o := range r.Observations {
		row := ZoneRow{At: max(o.At.Sub(r.Timings.Start), 0).Round(time.Second), Desired: o.Desired}
		for _, z := range zones {
			row.Ready = append(row.Ready, o.ReadyByZone[z])
		}
		if n := len(rows); n > 0 && i < len(r.Observations)-1 && slices.Equal(rows[n-1].Ready, row.Ready) && rows[n-1].Desired == row.Desired {
			continue
		}
		rows = append(rows, row)
	}
	return zones, rows
}
