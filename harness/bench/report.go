package bench

import (
	"fmt"
	"io"
	"strconv"
	"time"
)

// Check is one target and how the run fared against it.
type Check struct {
	Name, Figure, Goal string
	OK                 bool
}

// Checks compares the figures with the targets. Pure.
func (r Result) Checks() []Check {
	s := r.Sandbox
	cores := s.Process.Cores()
	rss, heap := r.Growth()
	long, short := r.Long.Duration, r.Short.Duration
	return []Check{
		{"sandbox: sent / requested", f4(s.Achieved), ">= " + f2(TargetAchieved), s.Achieved >= TargetAchieved},
		{"sandbox: worst 1-s bucket", f4(s.Worst), ">= " + f2(TargetAchieved), s.Worst >= TargetAchieved},
		{"sandbox: ok / completed", f4(s.Success), ">= " + f2(TargetSuccess), s.Success >= TargetSuccess},
		{"harness CPU during the attack", fmt.Sprintf("%.2f cores", cores), fmt.Sprintf("< %.0f core", TargetCores), cores > 0 && cores < TargetCores},
		{fmt.Sprintf("peak RSS %s / %s", long, short), f2(rss), "<= " + f2(TargetGrowth), rss > 0 && rss <= TargetGrowth},
		{fmt.Sprintf("peak heap %s / %s", long, short), f2(heap), "<= " + f2(TargetGrowth), heap > 0 && heap <= TargetGrowth},
	}
}

// Growth is the long game day's peak RSS and peak heap over the short one's.
func (r Result) Growth() (rss, heap float64) {
	if r.Short.Process.PeakRSS > 0 {
		rss = float64(r.Long.Process.PeakRSS) / float64(r.Short.Process.PeakRSS)
	}
	if r.Short.Process.PeakHeap > 0 {
		heap = float64(r.Long.Process.PeakHeap) / float64(r.Short.Process.PeakHeap)
	}
	return rss, heap
}

// Passed reports whether every target was met.
func (r Result) Passed() bool {
	for _, c := range r.Checks() {
		if !c.OK {
			return false
		}
	}
	return true
}

// Report writes the figures and the verdict table.
func (r Result) Report(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "\ngameday harness (load package, read-only journey mix, open model) on 127.0.0.1; each measured harness is a fresh process\n")
	fmt.Fprintf(w, "attack: %g req/s for %s; sandbox: %d PetClinic replicas (SQLite) behind the sandbox balancer, Prometheus scraping\n\n",
		c.Rate, c.Duration, r.SandboxReplicas)
	fmt.Fprintf(w, "%-18s %9s %10s %6s %8s %7s %10s %10s %10s %10s\n",
		"target", "sent/req", "worst 1-s", "(at)", "ok", "ok/s", "p99", "harness", "peak RSS", "peak heap")
	for _, row := range []struct {
		name string
		f    AttackFigures
	}{{"hello (net/http)", r.Hello}, {"sandbox balancer", r.Sandbox}} {
		f := row.f
		fmt.Fprintf(w, "%-18s %9.4f %10.4f %6s %7.2f%% %7.0f %10s %4.2f cores %10s %10s\n", row.name, f.Achieved, f.Worst,
			f.WorstAt, 100*f.Success, float64(f.OK)/f.Duration.Seconds(), f.P99.Round(time.Microsecond), f.Process.Cores(),
			mb(f.Process.PeakRSS), mb(int64(f.Process.PeakHeap)))
	}
	for _, row := range []struct {
		name string
		f    AttackFigures
	}{{"hello", r.Hello}, {"sandbox", r.Sandbox}} {
		if len(row.f.Errors) > 0 {
			fmt.Fprintf(w, "errors (%s): %v\n", row.name, row.f.Errors)
		}
	}
	fmt.Fprintf(w, "\ngame days through the runner at %g req/s (4 probes, stop conditions, 4 reports), no fault\n", c.MemRate)
	fmt.Fprintf(w, "%-10s %9s %8s %8s %10s %10s %10s %12s %6s\n", "length", "requests", "samples", "verdict", "peak RSS", "RSS end", "peak heap", "heap end(GC)", "cpu")
	for _, g := range []GameDayFigures{r.Short, r.Long} {
		p := g.Process
		fmt.Fprintf(w, "%-10s %9d %8d %8s %10s %10s %10s %12s %6.2f\n", g.Duration, g.Requests, g.Samples, g.Verdict,
			mb(p.PeakRSS), mb(p.RSS), mb(int64(p.PeakHeap)), mb(int64(p.HeapAfter)), p.Cores())
	}
	for _, g := range []GameDayFigures{r.Short, r.Long} {
		for _, reason := range g.Reasons {
			fmt.Fprintf(w, "  %s: %s\n", g.Duration, reason)
		}
	}
	fmt.Fprintln(w)
	writeChecks(w, "%-36s %12s %10s  %s\n", r.Checks())
	h := r.Hello
	fmt.Fprintf(w, "%-36s %12s %10s  %s\n", "hello: sent / requested, worst 1-s", f4(h.Achieved)+" "+f4(h.Worst), "-", "(generator alone, informational)")
	fmt.Fprintf(w, "%-36s %12s %10s  %s\n", "hello: harness CPU", fmt.Sprintf("%.2f cores", h.Process.Cores()), "-", "(informational)")
}

// writeChecks writes a header and a PASS/FAIL row per check in format
// (four strings: target, measured, goal, result).
func writeChecks(w io.Writer, format string, checks []Check) {
	fmt.Fprintf(w, format, "target", "measured", "goal", "result")
	for _, ck := range checks {
		v := "PASS"
		if !ck.OK {
			v = "FAIL"
		}
		fmt.Fprintf(w, format, ck.Name, ck.Figure, ck.Goal, v)
	}
}

func f2(x float64) string        { return fmt.Sprintf("%.2f", x) }
func trimFloat(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
func f4(x float64) string        { return fmt.Sprintf("%.4f", x) }
func mb(b int64) string          { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }
