package cost

import (
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/goccy/go-yaml"
)

// DefaultBudgets is the budgets file, relative to the repository root.
const DefaultBudgets = "monitoring/finops/budgets.yaml"

// Kind of a budgets document.
const BudgetsKind = "CostBudgets"

// DefaultWarnAt is the share of the budget at which a forecast is at risk.
const DefaultWarnAt = 0.9

// Budgets is the budgets file: a monthly budget per environment.
type Budgets struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Currency string    `yaml:"currency"`
	Budgets  []*Budget `yaml:"budgets"`
	File     string    `yaml:"-"`
}

// Budget is one environment's monthly budget.
type Budget struct {
	Environment string  `yaml:"environment"`
	MonthlyUSD  float64 `yaml:"monthlyUSD"`
	// WarnAt is the share of the budget at which the forecast is "at risk"
	// (default 0.9).
	WarnAt float64 `yaml:"warnAt"`
	// Usage are monthly usage assumptions for the items no Prometheus
	// measures (NAT and endpoint GiB, ALB LCUs, S3, AMP): priced
	// by the catalog, reported as assumptions.
	Usage *Usage `yaml:"usage"`
}

// Usage are monthly quantities of usage-priced items.
type Usage struct {
	NATGatewayGiB        *float64 `yaml:"natGatewayGiB"`
	InterfaceEndpointGiB *float64 `yaml:"interfaceEndpointGiB"`
	ALBLCUHours          *float64 `yaml:"albLCUHours"`
	S3StorageGiB         *float64 `yaml:"s3StorageGiB"`
	AMPTenMillionSamples *float64 `yaml:"ampTenMillionSamples"`
	AMPStorageGiB        *float64 `yaml:"ampStorageGiB"`
}

// LoadBudgets reads a budgets file strictly: unknown fields, a budget
// that is not a positive amount, an environment twice or a warnAt outside
// (0, 1] are errors with the file, line and field.
func LoadBudgets(path string) (*Budgets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("budgets: %w", err)
	}
	return ParseBudgets(path, b)
}

// ParseBudgets decodes and validates a budgets document.
func ParseBudgets(name string, data []byte) (*Budgets, error) {
	var bs Budgets
	if err := yaml.UnmarshalWithOptions(data, &bs, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("budgets %s: %s", name, yaml.FormatError(err, false, false))
	}
	bs.File = name
	var errs []error
	if bs.APIVersion != "gameday.dev/v1" || bs.Kind != BudgetsKind {
		errs = append(errs, fmt.Errorf("apiVersion/kind %s/%s: want gameday.dev/v1/%s", bs.APIVersion, bs.Kind, BudgetsKind))
	}
	if bs.Currency != "USD" {
		errs = append(errs, fmt.Errorf("currency %q: the price catalog is in USD", bs.Currency))
	}
	seen := map[string]bool{}
	for i, b := range bs.Budgets {
		at := fmt.Sprintf("budgets[%d]", i)
		switch {
		case b == nil || b.Environment == "":
			errs = append(errs, fmt.Errorf("%s.environment: required", at))
			continue
		case seen[b.Environment]:
			errs = append(errs, fmt.Errorf("%s.environment: %s has a budget already", at, b.Environment))
		}
		seen[b.Environment] = true
		if b.MonthlyUSD <= 0 {
			errs = append(errs, fmt.Errorf("%s.monthlyUSD: %g: want a positive amount (environment %s)", at, b.MonthlyUSD, b.Environment))
		}
		if b.WarnAt == 0 {
			b.WarnAt = DefaultWarnAt
		}
		if b.WarnAt < 0 || b.WarnAt > 1 {
			errs = append(errs, fmt.Errorf("%s.warnAt: %g: want a share of the budget in (0, 1]", at, b.WarnAt))
		}
		if u := b.Usage; u != nil {
			for k, v := range u.fields() {
				if v != nil && *v < 0 {
					errs = append(errs, fmt.Errorf("%s.usage.%s: %g: want a quantity >= 0", at, k, *v))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("budgets %s: %w", name, errors.Join(errs...))
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
