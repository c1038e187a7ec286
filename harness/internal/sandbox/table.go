package sandbox

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes st for people (`gameday sandbox status`): the endpoints,
// then one line per pod.
func (s *State) WriteTable(w io.Writer, now time.Time) error {
	state := "running"
	switch {
	case !s.Running:
		state = "stopped"
	case !s.Ready():
		state = "running, not ready"
	}
	fmt.Fprintf(w, "sandbox     %s (%s)\n", s.Dir, state)
	fmt.Fprintf(w, "balancer    %s\n", s.URL)
	fmt.Fprintf(w, "prometheus  %s (ready=%t, %d rule files)\n", s.Prometheus.URL, s.Prometheus.Ready, len(s.Prometheus.Rules))
	fmt.Fprintf(w, "control     %s/metrics\n", s.ControlURL)
	fmt.Fprintf(w, "database    %s\n", s.Database)
	if s.Error != "" {
		fmt.Fprintf(w, "error       %s\n", s.Error)
	}
	var zones []string
	by := s.ReadyByZone()
	for z := range by {
		zones = append(zones, fmt.Sprintf("%s=%d", z, by[z]))
	}
	sort.Strings(zones)
	fmt.Fprintf(w, "ready       %s of %d desired\n\n", strings.Join(zones, " "), s.Desired)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POD\tAPP\tZONE\tPID\tREADY\tRESTARTS\tAGE\tADDRESS\tBALANCER")
	for _, p := range s.Pods {
		age := "-"
		if !p.Since.IsZero() {
			age = now.Sub(p.Since).Round(time.Second).String()
		}
		bal := p.Balancer
		if bal == "" {
			bal = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%t\t%d\t%s\t%s\t%s\n", p.Name, p.Labels[LabelApp], p.Labels[LabelZone], p.PID, p.Ready, p.Restarts, age, p.Addr, bal)
	}
	return tw.Flush()
}
