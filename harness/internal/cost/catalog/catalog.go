// Package catalog is the price catalog of the FinOps report: versioned,
// dated YAML (aws.yaml, embedded in the binary) with the on-demand and spot
// price of every instance type, the price of every DB class, cache node type
// and per-GB item the platform's terraform inventory uses, each price with
// its source named in a comment (`# src <id>`, the id declared under
// `sources`). Load refuses a price without a source.
//
// Lookups never answer $0 for an unknown item: they return an
// *ErrMissingPrice naming the item (and the caller adds the environment).
package catalog

import (
	"bytes"
	_ "embed"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

//go:embed aws.yaml
var awsYAML []byte

// DefaultName is the name of the embedded catalog in messages.
const DefaultName = "harness/internal/cost/catalog/aws.yaml"

// APIVersion and Kind of a catalog document.
const (
	APIVersion = "gameday.dev/v1"
	Kind       = "PriceCatalog"
)

// Default is the catalog embedded in the binary (aws.yaml of this package).
func Default() (*Catalog, error) { return Parse(DefaultName, awsYAML) }

// Catalog is a price catalog.
type Catalog struct {
	APIVersion    string             `json:"apiVersion"`
	Kind          string             `json:"kind"`
	Metadata      Metadata           `json:"metadata"`
	Currency      string             `json:"currency"`
	HoursPerMonth float64            `json:"hoursPerMonth"`
	Sources       map[string]Source  `json:"sources"`
	Regions       map[string]*Region `json:"regions"`

	// File is where the catalog was read from.
	File string `json:"-"`
	// sources maps a price's path (regions.eu-west-1.instances.m7i.large.onDemand)
	// to its source id.
	sources map[string]string
}

// Metadata identifies a catalog version.
type Metadata struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Date is when the prices were written down (YYYY-MM-DD).
	Date string `json:"date"`
}

// Source is where prices come from.
type Source struct {
	URL  string `json:"url"`
	Note string `json:"note,omitempty"`
}

// Region holds the prices of one cloud region.
type Region struct {
	Name            string               `json:"name,omitempty"`
	Instances       map[string]*Instance `json:"instances,omitempty"`
	Databases       map[string]*Database `json:"databases,omitempty"`
	DatabaseStorage *DatabaseStorage     `json:"databaseStorage"`
	Caches          map[string]*Cache    `json:"caches,omitempty"`
	Services        *Services            `json:"services"`
}

// Instance is an EC2 instance type: its size and hourly prices.
type Instance struct {
	VCPU      float64  `json:"vcpu"`
	MemoryGiB float64  `json:"memoryGiB"`
	OnDemand  *float64 `json:"onDemand"`
	Spot      *float64 `json:"spot"`
}

// Database is an RDS instance class: hourly prices per deployment.
type Database struct {
	SingleAZ *float64 `json:"singleAZ"`
	MultiAZ  *float64 `json:"multiAZ"`
}

// DatabaseStorage is RDS storage per GB-month.
type DatabaseStorage struct {
	GP3SingleAZPerGiBMonth *float64 `json:"gp3SingleAZPerGiBMonth"`
	GP3MultiAZPerGiBMonth  *float64 `json:"gp3MultiAZPerGiBMonth"`
}

// Cache is an ElastiCache node type: hourly price per node.
type Cache struct {
	Node *float64 `json:"node"`
}

// Services are the prices of everything else the platform is billed for.
type Services struct {
	EKSClusterHourly           *float64 `json:"eksClusterHourly"`
	NATGatewayHourly           *float64 `json:"natGatewayHourly"`
	NATGatewayPerGiB           *float64 `json:"natGatewayPerGiB"`
	InterfaceEndpointPerAZHour *float64 `json:"interfaceEndpointPerAZHour"`
	InterfaceEndpointPerGiB    *float64 `json:"interfaceEndpointPerGiB"`
	ALBHourly                  *float64 `json:"albHourly"`
	ALBPerLCUHour              *float64 `json:"albPerLCUHour"`
	EBSGp3PerGiBMonth          *float64 `json:"ebsGp3PerGiBMonth"`
	CrossAZPerGiBEachWay       *float64 `json:"crossAZPerGiBEachWay"`
	InterRegionPerGiB          *float64 `json:"interRegionPerGiB"`
	InternetEgressPerGiB       *float64 `json:"internetEgressPerGiB"`
	S3StandardPerGiBMonth      *float64 `json:"s3StandardPerGiBMonth"`
	AMPPerTenMillionSamples    *float64 `json:"ampPerTenMillionSamples"`
	AMPStoragePerGiBMonth      *float64 `json:"ampStoragePerGiBMonth"`
}

// The named services, by their YAML key, for lookups and messages.
var serviceFields = map[string]func(*Services) *float64{
	"eksClusterHourly":           func(s *Services) *float64 { return s.EKSClusterHourly },
	"natGatewayHourly":           func(s *Services) *float64 { return s.NATGatewayHourly },
	"natGatewayPerGiB":           func(s *Services) *float64 { return s.NATGatewayPerGiB },
	"interfaceEndpointPerAZHour": func(s *Services) *float64 { return s.InterfaceEndpointPerAZHour },
	"interfaceEndpointPerGiB":    func(s *Services) *float64 { return s.InterfaceEndpointPerGiB },
	"albHourly":                  func(s *Services) *float64 { return s.ALBHourly },
	"albPerLCUHour":              func(s *Services) *float64 { return s.ALBPerLCUHour },
	"ebsGp3PerGiBMonth":          func(s *Services) *float64 { return s.EBSGp3PerGiBMonth },
	"crossAZPerGiBEachWay":       func(s *Services) *float64 { return s.CrossAZPerGiBEachWay },
	"interRegionPerGiB":          func(s *Services) *float64 { return s.InterRegionPerGiB },
	"internetEgressPerGiB":       func(s *Services) *float64 { return s.InternetEgressPerGiB },
	"s3StandardPerGiBMonth":      func(s *Services) *float64 { return s.S3StandardPerGiBMonth },
	"ampPerTenMillionSamples":    func(s *Services) *float64 { return s.AMPPerTenMillionSamples },
	"ampStoragePerGiBMonth":      func(s *Services) *float64 { return s.AMPStoragePerGiBMonth },
}

// The services every region must price (the model uses them all).
const (
	EKSClusterHourly           = "eksClusterHourly"
	NATGatewayHourly           = "natGatewayHourly"
	NATGatewayPerGiB           = "natGatewayPerGiB"
	InterfaceEndpointPerAZHour = "interfaceEndpointPerAZHour"
	InterfaceEndpointPerGiB    = "interfaceEndpointPerGiB"
	ALBHourly                  = "albHourly"
	ALBPerLCUHour              = "albPerLCUHour"
	EBSGp3PerGiBMonth          = "ebsGp3PerGiBMonth"
	CrossAZPerGiBEachWay       = "crossAZPerGiBEachWay"
	InterRegionPerGiB          = "interRegionPerGiB"
	InternetEgressPerGiB       = "internetEgressPerGiB"
	S3StandardPerGiBMonth      = "s3StandardPerGiBMonth"
	AMPPerTenMillionSamples    = "ampPerTenMillionSamples"
	AMPStoragePerGiBMonth      = "ampStoragePerGiBMonth"
)

// ServiceKeys lists the service prices, sorted.
func ServiceKeys() []string {
	keys := make([]string, 0, len(serviceFields))
	for k := range serviceFields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ErrMissingPrice is returned for an item the catalog has no price for.
type ErrMissingPrice struct {
	Catalog string // file
	Region  string
	Item    string // e.g. "instance type m8i.large (onDemand)"
	// Hint says more (the regions the catalog has).
	Hint string
}

func (e *ErrMissingPrice) Error() string {
	hint := ""
	if e.Hint != "" {
		hint = " (" + e.Hint + ")"
	}
	return fmt.Sprintf("no price for %s in region %s of the price catalog %s%s: add it, with its source, to the catalog", e.Item, e.Region, e.Catalog, hint)
}

// Load reads a catalog file.
func Load(path string) (*Catalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("price catalog: %w", err)
	}
	return Parse(path, b)
}

var srcComment = regexp.MustCompile(`^#\s*src\s+([A-Za-z0-9._-]+)\s*$`)

// Parse decodes a catalog strictly and validates it, as every spec file
// (a spec.ErrorList, exit code 2): unknown fields, values of the wrong
// type, missing prices, bad sizes and dates, and a price whose line does
// not end with `# src <id>` naming a declared source are errors at their
// file:line:col and field.
func Parse(name string, b []byte) (*Catalog, error) {
	d, err := spec.ParseDocument(name, b, Kind)
	if err != nil {
		return nil, err
	}
	var c Catalog
	if !d.Decode(&c) {
		return nil, d.Errors()
	}
	c.File = name
	c.checkSources(d, b)
	c.validate(d)
	if err := d.Errors(); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkSources checks the `# src <id>` comment of every price and records
// the source of each.
func (c *Catalog) checkSources(d *spec.Document, b []byte) {
	ids := strings.Join(slices.Sorted(maps.Keys(c.Sources)), ", ")
	for id, src := range c.Sources {
		if strings.TrimSpace(src.URL) == "" {
			d.Errorf([]any{"sources", id, "url"}, "must not be empty: where the prices come from")
		}
	}
	file, err := parser.ParseBytes(b, parser.ParseComments)
	if err != nil { // ParseDocuments read it: not expected
		d.Errorf(nil, "invalid YAML: %v", err)
		return
	}
	c.sources = map[string]string{}
	for _, doc := range file.Docs {
		walkPrices(doc.Body, nil, func(path []any, comment string) {
			m := srcComment.FindStringSubmatch(strings.TrimSpace(comment))
			switch {
			case m == nil:
				d.Errorf(path, "no source: end the line with '# src <id>' (ids under sources: %s)", ids)
			case !hasKey(c.Sources, m[1]):
				d.Errorf(path, "source %q is not declared under sources (%s)", m[1], ids)
			default:
				c.sources[dotted(path)] = m[1]
			}
		})
	}
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// dotted is a price's path as the lookups name it:
// regions.eu-west-1.instances.m7i.large.onDemand.
func dotted(path []any) string {
	s := make([]string, len(path))
	for i, k := range path {
		s[i] = fmt.Sprint(k)
	}
	return strings.Join(s, ".")
}

// sizeKeys are numbers of a catalog that are not prices.
var sizeKeys = []string{"vcpu", "memoryGiB", "hoursPerMonth"}

// walkPrices calls f for every numeric leaf of a mapping that is a price,
// with its path and inline comment.
func walkPrices(n ast.Node, path []any, f func(path []any, comment string)) {
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, v := range n.Values {
			walkPrices(v, path, f)
		}
	case *ast.MappingValueNode:
		key := n.Key.String()
		if k, ok := n.Key.(*ast.StringNode); ok {
			key = k.Value
		}
		p := append(path[:len(path):len(path)], key)
		switch n.Value.Type() {
		case ast.FloatType, ast.IntegerType:
			if slices.Contains(sizeKeys, key) {
				return
			}
			comment := ""
			if cg := n.Value.GetComment(); cg != nil {
				comment = cg.String()
			}
			f(p, comment)
		default:
			walkPrices(n.Value, p, f)
		}
	}
}

func (c *Catalog) validate(d *spec.Document) {
	if c.APIVersion != APIVersion {
		d.Errorf([]any{"apiVersion"}, "must be %q, not %q", APIVersion, c.APIVersion)
	}
	if c.Kind != Kind {
		d.Errorf([]any{"kind"}, "must be %q, not %q", Kind, c.Kind)
	}
	if strings.TrimSpace(c.Metadata.Name) == "" {
		d.Errorf([]any{"metadata", "name"}, "must not be empty: reports cite it")
	}
	if strings.TrimSpace(c.Metadata.Version) == "" {
		d.Errorf([]any{"metadata", "version"}, "must not be empty: reports cite it")
	}
	if _, err := time.Parse(time.DateOnly, c.Metadata.Date); err != nil {
		d.Errorf([]any{"metadata", "date"}, "%q: want the date the prices were written down, YYYY-MM-DD", c.Metadata.Date)
	}
	if c.Currency != "USD" {
		d.Errorf([]any{"currency"}, "must be \"USD\", not %q: budgets, reports and OpenCost's custom prices are in US dollars", c.Currency)
	}
	if c.HoursPerMonth < 672 || c.HoursPerMonth > 744 {
		d.Errorf([]any{"hoursPerMonth"}, "%g: want the hours of a month, 672 to 744 (730 is AWS's convention)", c.HoursPerMonth)
	}
	if len(c.Regions) == 0 {
		d.Errorf([]any{"regions"}, "want at least one region")
	}
	for _, rn := range slices.Sorted(maps.Keys(c.Regions)) {
		r := c.Regions[rn]
		at := func(field ...any) []any { return append([]any{"regions", rn}, field...) }
		if r == nil {
			d.Errorf(at(), "must be a mapping with the region's prices, not null")
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(r.Instances)) {
			in := r.Instances[name]
			if in == nil {
				d.Errorf(at("instances", name), "must be a mapping with vcpu, memoryGiB, onDemand and spot, not null")
				continue
			}
			if in.VCPU <= 0 {
				d.Errorf(at("instances", name, "vcpu"), "%g: want a positive number (it splits the price between CPU and RAM)", in.VCPU)
			}
			if in.MemoryGiB <= 0 {
				d.Errorf(at("instances", name, "memoryGiB"), "%g: want a positive number (it splits the price between CPU and RAM)", in.MemoryGiB)
			}
			price(d, at("instances", name, "onDemand"), in.OnDemand)
			price(d, at("instances", name, "spot"), in.Spot)
			if in.OnDemand != nil && in.Spot != nil && *in.Spot > *in.OnDemand {
				d.Errorf(at("instances", name, "spot"), "%g is above on-demand %g", *in.Spot, *in.OnDemand)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(r.Databases)) {
			db := r.Databases[name]
			if db == nil {
				d.Errorf(at("databases", name), "must be a mapping with singleAZ and multiAZ, not null")
				continue
			}
			price(d, at("databases", name, "singleAZ"), db.SingleAZ)
			price(d, at("databases", name, "multiAZ"), db.MultiAZ)
		}
		if r.DatabaseStorage != nil {
			price(d, at("databaseStorage", "gp3SingleAZPerGiBMonth"), r.DatabaseStorage.GP3SingleAZPerGiBMonth)
			price(d, at("databaseStorage", "gp3MultiAZPerGiBMonth"), r.DatabaseStorage.GP3MultiAZPerGiBMonth)
		} else {
			d.Errorf(at("databaseStorage"), "required")
		}
		for _, name := range slices.Sorted(maps.Keys(r.Caches)) {
			ch := r.Caches[name]
			if ch == nil {
				d.Errorf(at("caches", name), "must be a mapping with node, not null")
				continue
			}
			price(d, at("caches", name, "node"), ch.Node)
		}
		if r.Services == nil {
			d.Errorf(at("services"), "required")
			continue
		}
		for _, k := range ServiceKeys() {
			price(d, at("services", k), serviceFields[k](r.Services))
		}
	}
}

// price checks one price: present, a finite amount >= 0.
func price(d *spec.Document, path []any, p *float64) {
	switch {
	case p == nil:
		d.Errorf(path, "required")
	case *p < 0 || math.IsNaN(*p) || math.IsInf(*p, 0):
		d.Errorf(path, "%g is not a price", *p)
	}
}

// Price is one price with where it comes from.
type Price struct {
	USD float64
	// Path is its place in the catalog, Source the id of its source.
	Path, Source string
}

// Cite says where a price comes from: "catalog <name> <version> (<source>)".
func (c *Catalog) Cite(p Price) string {
	return fmt.Sprintf("catalog %s %s (%s)", c.Metadata.Name, c.Metadata.Version, p.Source)
}

// SourceOf returns the source id of the price at path.
func (c *Catalog) SourceOf(path string) string { return c.sources[path] }

func (c *Catalog) region(region, item string) (*Region, error) {
	r := c.Regions[region]
	if r == nil {
		return nil, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item, Hint: "the catalog has regions " + strings.Join(slices.Sorted(maps.Keys(c.Regions)), ", ")}
	}
	return r, nil
}

func (c *Catalog) found(region, path string, p *float64) Price {
	full := "regions." + region + "." + path
	return Price{USD: *p, Path: full, Source: c.sources[full]}
}

// Capacity of an instance purchase.
const (
	OnDemand = "ON_DEMAND"
	Spot     = "SPOT"
)

// InstanceHourly is the hourly price of an instance type bought as
// capacity (OnDemand or Spot).
func (c *Catalog) InstanceHourly(region, typ, capacity string) (Price, *Instance, error) {
	field := "onDemand"
	if capacity == Spot {
		field = "spot"
	}
	item := fmt.Sprintf("instance type %s (%s)", typ, field)
	r, err := c.region(region, item)
	if err != nil {
		return Price{}, nil, err
	}
	in := r.Instances[typ]
	if in == nil {
		return Price{}, nil, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	p := in.OnDemand
	if capacity == Spot {
		p = in.Spot
	}
	if p == nil {
		return Price{}, nil, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	return c.found(region, "instances."+typ+"."+field, p), in, nil
}

// DatabaseHourly is the hourly price of an RDS instance class.
func (c *Catalog) DatabaseHourly(region, class string, multiAZ bool) (Price, error) {
	field := "singleAZ"
	if multiAZ {
		field = "multiAZ"
	}
	item := fmt.Sprintf("DB instance class %s (%s)", class, field)
	r, err := c.region(region, item)
	if err != nil {
		return Price{}, err
	}
	d := r.Databases[class]
	if d == nil {
		return Price{}, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	p := d.SingleAZ
	if multiAZ {
		p = d.MultiAZ
	}
	if p == nil {
		return Price{}, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	return c.found(region, "databases."+class+"."+field, p), nil
}

// DatabaseStorageMonthly is the price of a GB-month of RDS gp3 storage.
func (c *Catalog) DatabaseStorageMonthly(region string, multiAZ bool) (Price, error) {
	field := "gp3SingleAZPerGiBMonth"
	if multiAZ {
		field = "gp3MultiAZPerGiBMonth"
	}
	item := "RDS storage " + field
	r, err := c.region(region, item)
	if err != nil {
		return Price{}, err
	}
	if r.DatabaseStorage == nil {
		return Price{}, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	p := r.DatabaseStorage.GP3SingleAZPerGiBMonth
	if multiAZ {
		p = r.DatabaseStorage.GP3MultiAZPerGiBMonth
	}
	if p == nil {
		return Price{}, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	return c.found(region, "databaseStorage."+field, p), nil
}

// CacheNodeHourly is the hourly price of one ElastiCache node.
func (c *Catalog) CacheNodeHourly(region, nodeType string) (Price, error) {
	item := fmt.Sprintf("cache node type %s", nodeType)
	r, err := c.region(region, item)
	if err != nil {
		return Price{}, err
	}
	ch := r.Caches[nodeType]
	if ch == nil || ch.Node == nil {
		return Price{}, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	return c.found(region, "caches."+nodeType+".node", ch.Node), nil
}

// Service is the price of a named service (the constants above).
func (c *Catalog) Service(region, key string) (Price, error) {
	item := "service price " + key
	r, err := c.region(region, item)
	if err != nil {
		return Price{}, err
	}
	get, ok := serviceFields[key]
	if !ok || r.Services == nil || get(r.Services) == nil {
		return Price{}, &ErrMissingPrice{Catalog: c.File, Region: region, Item: item}
	}
	return c.found(region, "services."+key, get(r.Services)), nil
}

// OpenCost's default prices (its configs/default.json): CPU per vCPU-hour
// and RAM per GiB-hour. OpenCost uses only their ratio to split a node's
// total price into a CPU and a RAM price when the provider gives a total
// only (pkg/costmodel/costmodel.go: ramMultiple = cpu*cpuToRAMRatio +
// ramGiB; ramPrice = nodePrice / ramMultiple; cpuPrice = ramPrice *
// cpuToRAMRatio).
const (
	OpenCostDefaultCPU = 0.031611
	OpenCostDefaultRAM = 0.004237
)

// Split splits an instance's hourly price into a price per vCPU-hour and
// per GiB-hour as OpenCost does, so that vcpu*cpu + memGiB*ram == hourly.
func Split(hourly, vcpu, memGiB float64) (cpu, ram float64) {
	ratio := OpenCostDefaultCPU / OpenCostDefaultRAM
	multiple := vcpu*ratio + memGiB
	if multiple <= 0 {
		return 0, 0
	}
	ram = hourly / multiple
	return ram * ratio, ram
}

// String identifies the catalog in messages.
func (c *Catalog) String() string {
	return fmt.Sprintf("%s %s (%s, %s)", c.Metadata.Name, c.Metadata.Version, c.Metadata.Date, c.File)
}

// Embedded returns the bytes of the embedded catalog.
func Embedded() []byte { return bytes.Clone(awsYAML) }
