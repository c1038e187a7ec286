package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/probe"
)

func TestProgress(t *testing.T) {
	st := Status{Experiment: "pod-kill", Phase: "faults", Elapsed: 35 * time.Second, Total: 90 * time.Second,
		Rate: 99.6, SuccessRatio: 0.9987, P99: 41234 * time.Microsecond, CorrectedP99: 43 * time.Millisecond, ActiveFaults: []string{"kill-one (petclinic-1)"},
		Probes:    map[string]probe.Status{"front-door": probe.StatusOK, "errors": probe.StatusBreached},
		Generator: load.GeneratorSecond{InFlight: 4, CPU: 0.06, Behind: 2 * time.Millisecond}, Cores: 2}
	saturated, held := st, st
	saturated.Generator = load.GeneratorSecond{InFlight: 96, CPU: 1.97, Behind: 2400 * time.Millisecond, Lag: 2400 * time.Millisecond, Saturated: true}
	held.Generator = load.GeneratorSecond{InFlight: 510, CPU: 0.1, Behind: 1200 * time.Millisecond, HeldBack: true}
	tests := map[string]struct {
		st         Status
		tty, color bool
		want       string
	}{
		"CI gets one plain line, probes sorted, no escape codes": {
			st:   st,
			want: "[35s/1m30s] faults: 100 req/s, success 99.87%, p99 41ms (corrected 43ms), faults: kill-one (petclinic-1), probes: errors=breached front-door=ok\n",
		},
		"a terminal gets a block redrawn in place": {
			st: st, tty: true,
			want: "\x1b[2Kgameday pod-kill  faults  35s / 1m30s\n\x1b[2K  load       100 req/s  success 99.87%  p99 41ms  corrected p99 43ms\n" +
				"\x1b[2K  generator  on time  4 in flight  cpu 0.06 of 2  behind 2ms\n\x1b[2K  faults     kill-one (petclinic-1)\n\x1b[2K  probes     errors=breached  front-door=ok\n",
		},
		"CI hears when the generator saturates": {
			st:   saturated,
			want: "p99 41ms (corrected 43ms), load generator SATURATED (2.4s behind through its own fault, cpu 1.97 of 2), faults:",
		},
		"a terminal shows the saturation in red": {
			st: saturated, tty: true, color: true,
			want: "  generator  \x1b[31mSATURATED\x1b[0m (2.4s behind through its own fault)  96 in flight  cpu 1.97 of 2  behind 2.4s\n",
		},
		"a target that holds every worker is named, not the generator": {
			st:   held,
			want: "p99 41ms (corrected 43ms), generator held back by the target (1.2s behind), faults:",
		},
		"colour marks a breached probe red on a terminal": {
			st: st, tty: true, color: true,
			want: "errors=\x1b[31mbreached\x1b[0m  front-door=\x1b[32mok\x1b[0m",
		},
		"colour is never written to a pipe": {
			st: st, color: true,
			want: "probes: errors=breached front-door=ok\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			p := newProgress(&b, tt.tty, tt.color)
			p.update(tt.st)
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("got %q, want it to contain %q", b.String(), tt.want)
			}
			if !tt.tty && strings.Contains(b.String(), "\x1b") {
				t.Errorf("escape codes in plain output %q", b.String())
			}
		})
	}
	var b bytes.Buffer
	p := newProgress(&b, true, false)
	p.update(st)
	p.update(st)
	if got := strings.Count(b.String(), "\x1b[5A"); got != 1 {
		t.Errorf("the second update moved up %d times, want once over the 5-line block", got)
	}
}
