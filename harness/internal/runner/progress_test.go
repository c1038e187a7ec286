package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/probe"
)

func TestProgress(t *testing.T) {
	st := Status{Experiment: "pod-kill", Phase: "faults", Elapsed: 35 * time.Second, Total: 90 * time.Second,
		Rate: 99.6, SuccessRatio: 0.9987, P99: 41234 * time.Microsecond, ActiveFaults: []string{"kill-one (petclinic-1)"},
		Probes: map[string]probe.Status{"front-door": probe.StatusOK, "errors": probe.StatusBreached}}
	tests := map[string]struct {
		tty, color bool
		want       string
	}{
		"CI gets one plain line, probes sorted, no escape codes": {
			want: "[35s/1m30s] faults: 100 req/s, success 99.87%, p99 41ms, faults: kill-one (petclinic-1), probes: errors=breached front-door=ok\n",
		},
		"a terminal gets a block redrawn in place": {
			tty:  true,
			want: "\x1b[2Kgameday pod-kill  faults  35s / 1m30s\n\x1b[2K  load    100 req/s  success 99.87%  p99 41ms\n\x1b[2K  faults  kill-one (petclinic-1)\n\x1b[2K  probes  errors=breached  front-door=ok\n",
		},
		"colour marks a breached probe red on a terminal": {
			tty: true, color: true,
			want: "errors=\x1b[31mbreached\x1b[0m  front-door=\x1b[32mok\x1b[0m",
		},
		"colour is never written to a pipe": {
			color: true,
			want:  "probes: errors=breached front-door=ok\n",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			p := newProgress(&b, tt.tty, tt.color)
			p.update(st)
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
	if got := strings.Count(b.String(), "\x1b[4A"); got != 1 {
		t.Errorf("the second update moved up %d times, want once over the 4-line block", got)
	}
}
