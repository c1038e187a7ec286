package cost

import (
	"fmt"
	"os"
	"sort"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// DefaultBudgets is the budgets file, relative to the repository root.
const DefaultBudgets = "monitoring/finops/budgets.yaml"

// Kind and apiVersion of a budgets document.
const (
	BudgetsKind       = "CostBudgets"
	BudgetsAPIVersion = "gameday.dev/v1"
)

// DefaultWarnAt is the share of the budget at which a forecast is at risk.
const DefaultWarnAt = 0.9

// Budgets is the budgets file: a monthly budget per environment.
type Budgets struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name,omitempty"`
	} `json:"metadata,omitempty"`
	Currency string    `json:"currency"`
	Budgets  []*Budget `json:"budgets,omitempty"`
	File     string    `json:"-"`
}

// Budget is one environment's monthly budget.
type Budget struct {
	Environment string  `json:"environment"`
	MonthlyUSD  float64 `json:"monthlyUSD"`
	// WarnAt is the share of the budget at which the forecast is "at risk"
	// (default 0.9).
	WarnAt float64 `json:"warnAt,omitempty"`
	// Usage are monthly usage assumptions for the items no Prometheus
	// measures (NAT and endpoint GiB, ALB LCUs, S3, AMP): priced
	// by the catalog, reported as assumptions.
	Usage *Usage `json:"usage,omitempty"`
}

// Usage are monthly quantities of usage-priced items.
type Usage struct {
	NATGatewayGiB        *float64 `json:"natGatewayGiB,omitempty"`
	InterfaceEndpointGiB *float64 `json:"interfaceEndpointGiB,omitempty"`
	ALBLCUHours          *float64 `json:"albLCUHours,omitempty"`
	S3StorageGiB         *float64 `json:"s3StorageGiB,omitempty"`
	AMPTenMillionSamples *float64 `json:"ampTenMillionSamples,omitempty"`
	AMPStorageGiB        *float64 `json:"ampStorageGiB,omitempty"`
}

// LoadBudgets reads a budgets file strictly: unknown fields, a value of
// the wrong type, a budget that is not a positive amount, an environment
// twice or a warnAt outside (0, 1] are errors naming the file, line,
// column and field, as every spec file's (a spec.ErrorList, exit code 2).
func LoadBudgets(path string) (*Budgets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("budgets: %w", err)
	}
	return ParseBudgets(path, b)
}

// ParseBudgets decodes and validates a budgets document.
func ParseBudgets(name string, data []byte) (*Budgets, error) {
	d, err := spec.ParseDocument(name, data, BudgetsKind)
	if err != nil {
		return nil, err
	}
	var bs Budgets
	if !d.Decode(&bs) {
		return nil, d.Errors()
	}
	bs.File = name
	if bs.APIVersion != BudgetsAPIVersion {
		d.Errorf([]any{"apiVersion"}, "must be %q, not %q", BudgetsAPIVersion, bs.APIVersion)
	}
	if bs.Kind != BudgetsKind {
		d.Errorf([]any{"kind"}, "must be %q, not %q", BudgetsKind, bs.Kind)
	}
	if bs.Currency != "USD" {
		d.Errorf([]any{"currency"}, "must be \"USD\", not %q: the price catalog is in USD", bs.Currency)
	}
	seen := map[string]bool{}
	for i, b := range bs.Budgets {
		at := func(field ...any) []any { return append([]any{"budgets", i}, field...) }
		switch {
		case b == nil:
			d.Errorf(at(), "must be a mapping with environment and monthlyUSD, not null")
			continue
		case b.Environment == "":
			d.Errorf(at("environment"), "required")
			continue
		case seen[b.Environment]:
			d.Errorf(at("environment"), "%s has a budget already", b.Environment)
		}
		seen[b.Environment] = true
		if b.MonthlyUSD <= 0 {
			d.Errorf(at("monthlyUSD"), "%g: want a positive amount (environment %s)", b.MonthlyUSD, b.Environment)
		}
		if b.WarnAt == 0 {
			b.WarnAt = DefaultWarnAt
		}
		if b.WarnAt < 0 || b.WarnAt > 1 {
			d.Errorf(at("warnAt"), "%g: want a share of the budget in (0, 1]", b.WarnAt)
		}
		if u := b.Usage; u != nil {
			for k, v := range u.fields() {
				if v != nil && *v < 0 {
					d.Errorf(at("usage", k), "%g: want a quantity >= 0", *v)
				}
			}
		}
	}
	if err := d.Errors(); err != nil {
		return nil, err
	}
	sort.SliceStable(bs.Budgets, func(i, j int) bool { return bs.Budgets[i].Environment < bs.Budgets[j].Environment })
	return &bs, nil
}

func (u *Usage) fields() map[string]*float64 {
	return map[string]*float64{
		"natGatewayGiB": u.NATGatewayGiB, "interfaceEndpointGiB": u.InterfaceEndpointGiB, "albLCUHours": u.ALBLCUHours,

		"s3StorageGiB": u.S3StorageGiB, "ampTenMillionSamples": u.AMPTenMillionSamples, "ampStorageGiB": u.AMPStorageGiB,
	}
}

// For returns the budget of env (nil when it has none).
func (bs *Budgets) For(env string) *Budget {
	if bs == nil {
		return nil
	}
	for _, b := range bs.Budgets {
		if b.Environment == env {
			return b
		}
	}
	return nil
}
