package report

import (
	"fmt"
	"math"
	"strings"
)

// Cost is the cost section of a game day (written by internal/cost): what
// the platform cost while the game day ran, and what the game day itself
// cost, each figure with its source.
type Cost struct {
	// Source says where the platform's figures come from (OpenCost's
	// metrics, kube-state-metrics priced by the catalog ...).
	Source   string `json:"source"`
	Catalog  string `json:"catalog"`
	Currency string `json:"currency"`
	// PlatformUSD is the environment's cost over the run; Rows break it
	// down.
	PlatformUSD float64   `json:"platformUSD"`
	Rows        []CostRow `json:"rows"`
	// WindowSeconds is the run's span the figures cover, DataSeconds how
	// much of it Prometheus holds node data for.
	WindowSeconds float64 `json:"windowSeconds"`
	DataSeconds   float64 `json:"dataSeconds"`
	// GameDayUSD is what the game day itself cost: the load generator and
	// the extra capacity faults made the platform use.
	GameDayUSD       float64 `json:"gameDayUSD"`
	LoadGeneratorUSD float64 `json:"loadGeneratorUSD"`
	ExtraCapacityUSD float64 `json:"extraCapacityUSD"`
	// Per1000RequestsUSD is the target workload's allocation over the run
	// per 1,000 requests of the load (nil: no request).
	Per1000RequestsUSD *float64 `json:"per1000RequestsUSD,omitempty"`
	Notes              []string `json:"notes,omitempty"`
	// Error says why the figures are missing (no cost data, Prometheus
	// unreachable): a report is never held back for its cost section.
	Error string `json:"error,omitempty"`
}

// CostRow is one figure of the cost section.
type CostRow struct {
	Item   string  `json:"item"`
	USD    float64 `json:"usd"`
	Detail string  `json:"detail,omitempty"`
	Source string  `json:"source"`
}

// costMoney writes dollars with cents, or four significant digits below a
// cent (a game day on the sandbox costs fractions of a cent).
func costMoney(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "$0.00"
	case a >= 0.01:
		return fmt.Sprintf("$%.2f", v)
	default:
		return "$" + strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.6f", v), "0"), ".")
	}
}

// costMarkdown is the cost section of report.md ("" without one).
func costMarkdown(c *Cost) string {
	if c == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Cost\n\n")
	if c.Error != "" {
		fmt.Fprintf(&b, "No cost figures: %s\n", c.Error)
		return b.String()
	}
	fmt.Fprintf(&b, "The game day cost **%s** (load generator %s, extra capacity during faults %s); the platform cost %s while it ran. Source: %s; prices: %s.\n\n",
		costMoney(c.GameDayUSD), costMoney(c.LoadGeneratorUSD), costMoney(c.ExtraCapacityUSD), costMoney(c.PlatformUSD), c.Source, c.Catalog)
	b.WriteString("| item | cost | detail | source |\n|---|---|---|---|\n")
	for _, r := range c.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(r.Item), costMoney(r.USD), mdCell(r.Detail), mdCell(r.Source))
	}
	if c.Per1000RequestsUSD != nil {
		fmt.Fprintf(&b, "\nPer 1,000 requests of the load: %s.\n", costMoney(*c.Per1000RequestsUSD))
	}
	for _, n := range c.Notes {
		fmt.Fprintf(&b, "\n- %s", n)
	}
	if len(c.Notes) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}
