package cost

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// FOCUSVersion is the version of the FinOps Open Cost and Usage
// Specification the CSV follows.
const FOCUSVersion = "1.1"

// FOCUSColumns are the CSV's columns, in order: every column FOCUS 1.0 and
// 1.1 mark Mandatory, the Conditional and Recommended ones gameday can
// fill, and three custom x_ columns.
var FOCUSColumns = []string{
	"AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
	"ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
	"ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceIssuerName",
	"ListCost", "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
	"RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName",
	"SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags", "x_CostSource", "x_Environment", "x_Estimated",
}

// focusEstimate starts every ChargeDescription: the rows are gameday's
// estimates at the catalog's list prices, never lines of an invoice.
const focusEstimate = "Estimate at list price, not billed: "

// ServiceCategories maps the services billed to FOCUS's ServiceCategory.
var ServiceCategories = map[string]string{
	ServiceEC2: "Compute", ServiceEKS: "Compute", ServiceELB: "Networking", ServiceEBS: "Storage", ServiceRDS: "Databases",
	ServiceElastiCache: "Databases", ServiceVPC: "Networking", ServiceS3: "Storage",
	ServiceAMP: "Management and Governance",
}

// resourceTypes by cost category.
var resourceTypes = map[string]string{
	CatCompute: "Node", CatControlPlane: "Kubernetes Cluster", CatLoadBalancer: "Load Balancer", CatStorage: "Volume",
	CatNetwork: "Data Transfer", CatDatabase: "DB Instance", CatCache: "Cache Cluster", CatNAT: "NAT Gateway", CatEndpoints: "VPC Endpoint",
}

// FOCUSOptions name the billing account of the dataset.
type FOCUSOptions struct {
	BillingAccountID, BillingAccountName string
	// RegionNames maps region ids to their names (EU (Ireland)).
	RegionNames map[string]string
}

// focusTime is FOCUS's Date/Time format: ISO 8601 in UTC, to the second.
func focusTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// decimal writes a FOCUS Numeric Format decimal: no exponent, no thousands
// separator, at most ten decimals.
func decimal(v float64) string { return strconv.FormatFloat(round(v, 10), 'f', -1, 64) }

// FOCUS renders the report's charges as a FOCUS 1.1 CSV: one row per cost
// line over the window; a node's row is split into one row per container
// allocated on it (Tags name the namespace, workload, pod and container)
// and one for its idle capacity, so that the rows' EffectiveCost adds up to
// the report's total and a FinOps tool can allocate them. The rows are estimates, not
// invoice lines: BilledCost ("a charge serving as the basis for invoicing",
// not null) is 0, so that they add nothing to the billed total beside the
// provider's own FOCUS export; ListCost (list unit price x quantity, exact
// by definition), ContractedCost (no negotiated price is known, so the list
// price) and EffectiveCost carry the estimate; x_Estimated is true and the
// ChargeDescription says so.
func (r *Report) FOCUS(o FOCUSOptions) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(FOCUSColumns); err != nil {
		return nil, err
	}
	month := time.Date(r.Window.Start.Year(), r.Window.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
	for _, e := range r.Environments {
		allocs := map[string][]Allocation{}
		for _, a := range e.Allocations {
			allocs[a.Node] = append(allocs[a.Node], a)
		}
		for _, l := range e.Lines {
			if l.Category == CatCompute && len(allocs[l.ResourceID]) > 0 {
				var sum float64
				for _, a := range allocs[l.ResourceID] {
					tags := map[string]string{"namespace": a.Namespace, "workload": a.Workload, "pod": a.Pod, "container": a.Container}
					row := r.focusRow(o, e, l, a.USD(), fmt.Sprintf("%s: container %s/%s/%s allocated max(request, usage)", l.Item, a.Namespace, a.Pod, a.Container), tags, month)
					if err := w.Write(row); err != nil {
						return nil, err
					}
					sum += a.USD()
				}
				row := r.focusRow(o, e, l, l.USD-sum, l.Item+": idle capacity", map[string]string{"namespace": Idle}, month)
				if err := w.Write(row); err != nil {
					return nil, err
				}
				continue
			}
			if err := w.Write(r.focusRow(o, e, l, l.USD, l.Item, nil, month)); err != nil {
				return nil, err
			}
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

func (r *Report) focusRow(o FOCUSOptions, e *Environment, l Line, usd float64, desc string, extra map[string]string, month time.Time) []string {
	tags := map[string]string{"gameday.dev/environment": e.Name, "gameday.dev/category": l.Category}
	if l.Zone != "" {
		tags["topology.kubernetes.io/zone"] = l.Zone
	}
	for k, v := range extra {
		tags["gameday.dev/"+k] = v
	}
	tj, _ := json.Marshal(tags) // sorted keys
	var pricingCategory string
	switch l.Pricing {
	case "on-demand":
		pricingCategory = "Standard"
	case "spot":
		pricingCategory = "Dynamic"
	}
	// With a unit price, PricingQuantity x ListUnitPrice = ListCost (the
	// share of a split node row in node-hours); without one, both are null
	// and so is the SkuPriceId.
	var qty, unitPrice, sku, skuPrice, consumed, consumedUnit, pricingUnit string
	if l.UnitPrice > 0 {
		q := usd / l.UnitPrice
		qty, unitPrice = decimal(q), decimal(l.UnitPrice)
		sku = l.Service + "/" + l.Category + "/" + l.Unit
		skuPrice = sku + "@" + r.Catalog.Version
		pricingUnit = l.Unit
		consumed, consumedUnit = qty, l.Unit
	}
	value := decimal(usd)
	row := map[string]string{
		"AvailabilityZone": l.Zone, "BilledCost": "0", "BillingAccountId": o.BillingAccountID, "BillingAccountName": o.BillingAccountName,
		"BillingCurrency": r.Currency, "BillingPeriodEnd": focusTime(month.AddDate(0, 1, 0)), "BillingPeriodStart": focusTime(month),
		"ChargeCategory": "Usage", "ChargeClass": "", "ChargeDescription": focusEstimate + desc, "ChargeFrequency": "Usage-Based",
		"ChargePeriodEnd": focusTime(r.Window.End), "ChargePeriodStart": focusTime(r.Window.Start),
		"ConsumedQuantity": consumed, "ConsumedUnit": consumedUnit, "ContractedCost": value, "ContractedUnitPrice": unitPrice,
		"EffectiveCost": value, "InvoiceIssuerName": "Amazon Web Services", "ListCost": value, "ListUnitPrice": unitPrice,
		"PricingCategory": pricingCategory, "PricingQuantity": qty, "PricingUnit": pricingUnit, "ProviderName": "Amazon Web Services",
		"PublisherName": "Amazon Web Services", "RegionId": e.Region, "RegionName": o.RegionNames[e.Region],
		"ResourceId": l.ResourceID, "ResourceName": l.Item, "ResourceType": resourceTypes[l.Category],
		"ServiceCategory": cmp.Or(ServiceCategories[l.Service], "Other"), "ServiceName": l.Service, "SkuId": sku, "SkuPriceId": skuPrice,
		"SubAccountId": e.Name, "SubAccountName": "gameday " + e.Name, "Tags": string(tj), "x_CostSource": l.Source, "x_Environment": e.Name, "x_Estimated": "true",
	}
	out := make([]string, len(FOCUSColumns))
	for i, c := range FOCUSColumns {
		out[i] = row[c]
	}
	return out
}
