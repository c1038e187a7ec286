package runner

import (
	"fmt"
	"io"
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
	ActiveFaults []string
	// Probes are the last sample's status by probe name.
	Probes map[string]probe.Status
}

func (r *run) status(tl *load.Timeline, phase string) Status {
	snap := tl.Snapshot()
	st := Status{Experiment: r.e.Metadata.Name, Phase: phase, Elapsed: time.Since(r.start).Truncate(time.Second),
		Total: r.e.Spec.Load.Duration.D(), Rate: snap.Rate, SuccessRatio: snap.SuccessRatio, P99: snap.P99,
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
	if plain {
		return []string{fmt.Sprintf("[%s/%s] %s: %.0f req/s, success %.2f%%, p99 %s, faults: %s, probes: %s",
			s.Elapsed, s.Total, s.Phase, s.Rate, 100*s.SuccessRatio, s.P99.Round(time.Millisecond), faults, strings.Join(probes, " "))}
	}
	return []string{
		fmt.Sprintf("gameday %s  %s  %s / %s", s.Experiment, s.Phase, s.Elapsed, s.Total),
		fmt.Sprintf("  load    %.0f req/s  success %.2f%%  p99 %s", s.Rate, 100*s.SuccessRatio, s.P99.Round(time.Millisecond)),
		fmt.Sprintf("  faults  %s", faults),
		fmt.Sprintf("  probes  %s", strings.Join(probes, "  ")),
	}
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
