package runner

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
)

// Status is what the live progress shows.
type Status struct {
	Experiment   string
	Phase        string
	Elapsed      time.Duration
	Total        time.Duration
	Rate         float64
	SuccessRatio float64
	P99          time.Duration
	// CorrectedP99 is the p99 from the intended send time.
	CorrectedP99 time.Duration
	// Generator is the load generator's last complete second; Cores what
	// it may use.
	Generator    load.GeneratorSecond
	Cores        int
	ActiveFaults []string
	// Probes are the last sample's status by probe name.
	Probes map[string]probe.Status
}

func (r *run) status(tl *load.Timeline, phase string) Status {
	snap := tl.Snapshot()
	st := Status{Experiment: r.e.Metadata.Name, Phase: phase, Elapsed: time.Since(r.start).Truncate(time.Second),
		Total: r.e.Spec.Load.Duration.D(), Rate: snap.Rate, SuccessRatio: snap.SuccessRatio, P99: snap.P99,
		CorrectedP99: snap.CorrectedP99, Generator: snap.Generator, Cores: runtime.GOMAXPROCS(0),
		Probes: map[string]probe.Status{}}
	for _, in := range r.active {
		st.ActiveFaults = append(st.ActiveFaults, in.Fault+" ("+strings.Join(in.Targets, ",")+")")
	}
	for name, s := range r.lastSample {
		st.Probes[name] = s.Status
	}
	return st
}

// Lines renders a status: the block of a TTY (several lines) or, when
// plain, one line for CI logs. Colour only applies to the block.
func (s Status) Lines(plain, color bool) []string {
	names := make([]string, 0, len(s.Probes))
	for n := range s.Probes {
		names = append(names, n)
	}
	sort.Strings(names)
	faults := "none"
	if len(s.ActiveFaults) > 0 {
		faults = strings.Join(s.ActiveFaults, ", ")
	}
	var probes []string
	for _, n := range names {
		st := string(s.Probes[n])
		if color {
			st = paint(s.Probes[n], st)
		}
		probes = append(probes, n+"="+st)
	}
	gen, genShort := s.generator(color)
	if plain {
		return []string{fmt.Sprintf("[%s/%s] %s: %.0f req/s, success %.2f%%, p99 %s (corrected %s)%s, faults: %s, probes: %s",
			s.Elapsed, s.Total, s.Phase, s.Rate, 100*s.SuccessRatio, s.P99.Round(time.Millisecond), s.CorrectedP99.Round(time.Millisecond),
			genShort, faults, strings.Join(probes, " "))}
	}
	return []string{
		fmt.Sprintf("gameday %s  %s  %s / %s", s.Experiment, s.Phase, s.Elapsed, s.Total),
		fmt.Sprintf("  load       %.0f req/s  success %.2f%%  p99 %s  corrected p99 %s", s.Rate, 100*s.SuccessRatio,
			s.P99.Round(time.Millisecond), s.CorrectedP99.Round(time.Millisecond)),
		"  generator  " + gen,
		fmt.Sprintf("  faults     %s", faults),
		fmt.Sprintf("  probes     %s", strings.Join(probes, "  ")),
	}
}

// generator renders the generator's state: the TTY's line, and what the
// plain line adds (nothing while it keeps up).
func (s Status) generator(color bool) (line, short string) {
	g := s.Generator
	state := fmt.Sprintf("%d in flight  cpu %.2f of %d  behind %s", g.InFlight, g.CPU, s.Cores, g.Behind.Round(time.Millisecond))
	switch {
	case g.Saturated:
		word := "SATURATED"
		if color {
			word = "\x1b[31m" + word + "\x1b[0m"
		}
		return word + fmt.Sprintf(" (%s behind through its own fault)  ", g.Lag.Round(time.Millisecond)) + state,
			fmt.Sprintf(", load generator SATURATED (%s behind through its own fault, cpu %.2f of %d)", g.Lag.Round(time.Millisecond), g.CPU, s.Cores)
	case g.HeldBack:
		return "held back by the target (every worker busy)  " + state,
			fmt.Sprintf(", generator held back by the target (%s behind)", g.Behind.Round(time.Millisecond))
	}
	return "on time  " + state, ""
}

func paint(st probe.Status, s string) string {
	code := map[probe.Status]string{probe.StatusOK: "32", probe.StatusBreached: "31", probe.StatusError: "33", probe.StatusSkipped: "90"}[st]
	if code == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// progress writes statuses: redrawn in place on a TTY, appended otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	color bool
	drawn int // lines of the last block
}

func newProgress(w io.Writer, tty, color bool) *progress {
	return &progress{w: w, tty: tty, color: color && tty}
}

func (p *progress) update(s Status) {
	if p.w == nil {
		return
	}
	lines := s.Lines(!p.tty, p.color)
	var b strings.Builder
	if p.tty && p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn) // back to the top of the block
	}
	for _, l := range lines {
		if p.tty {
			b.WriteString("\x1b[2K") // clear the line
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	p.drawn = len(lines)
	io.WriteString(p.w, b.String())
}

func (p *progress) finish() { p.drawn = 0 }
