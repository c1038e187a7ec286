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
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
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
	APIVersion    string             `yaml:"apiVersion"`
	Kind          string             `yaml:"kind"`
	Metadata      Metadata           `yaml:"metadata"`
	Currency      string             `yaml:"currency"`
	HoursPerMonth float64            `yaml:"hoursPerMonth"`
	Sources       map[string]Source  `yaml:"sources"`
	Regions       map[string]*Region `yaml:"regions"`

	// File is where the catalog was read from.
	File string `yaml:"-"`
	// sources maps a price's path (regions.eu-west-1.instances.m7i.large.onDemand)
	// to its source id.
	sources map[string]string
}

// Metadata identifies a catalog version.
type Metadata struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	// Date is when the prices were written down (YYYY-MM-DD).
	Date string `yaml:"date"`
}

// Source is where prices come from.
type Source struct {
	URL  string `yaml:"url"`
	Note string `yaml:"note"`
}

// Region holds the prices of one cloud region.
type Region struct {
	Name            string               `yaml:"name"`
	Instances       map[string]*Instance `yaml:"instances"`
	Databases       map[string]*Database `yaml:"databases"`
	DatabaseStorage *DatabaseStorage     `yaml:"databaseStorage"`
	Caches          map[string]*Cache    `yaml:"caches"`
	Services        *Services            `yaml:"services"`
}

// Instance is an EC2 instance type: its size and hourly prices.
type Instance struct {
	VCPU      float64  `yaml:"vcpu"`
	MemoryGiB float64  `yaml:"memoryGiB"`
	OnDemand  *float64 `yaml:"onDemand"`
	Spot      *float64 `yaml:"spot"`
}

// Database is an RDS instance class: hourly prices per deployment.
type Database struct {
	SingleAZ *float64 `yaml:"singleAZ"`
	MultiAZ  *float64 `yaml:"multiAZ"`
}

// DatabaseStorage is RDS storage per GB-month.
type DatabaseStorage struct {
	GP3SingleAZPerGiBMonth *float64 `yaml:"gp3SingleAZPerGiBMonth"`
	GP3MultiAZPerGiBMonth  *float64 `yaml:"gp3MultiAZPerGiBMonth"`
}

// Cache is an ElastiCache node type: hourly price per node.
type Cache struct {
	Node *float64 `yaml:"node"`
}

// Services are the prices of everything else the platform is billed for.
type Services struct {
	EKSClusterHourly           *float64 `yaml:"eksClusterHourly"`
	NATGatewayHourly           *float64 `yaml:"natGatewayHourly"`
	NATGatewayPerGiB           *float64 `yaml:"natGatewayPerGiB"`
	InterfaceEndpointPerAZHour *float64 `yaml:"interfaceEndpointPerAZHour"`
	InterfaceEndpointPerGiB    *float64 `yaml:"interfaceEndpointPerGiB"`
	ALBHourly                  *float64 `yaml:"albHourly"`
	ALBPerLCUHour              *float64 `yaml:"albPerLCUHour"`
	EBSGp3PerGiBMonth          *float64 `yaml:"ebsGp3PerGiBMonth"`
	CrossAZPerGiBEachWay       *float64 `yaml:"crossAZPerGiBEachWay"`
	InterRegionPerGiB          *float64 `yaml:"interRegionPerGiB"`
	InternetEgressPerGiB       *float64 `yaml:"internetEgressPerGiB"`
	S3StandardPerGiBMonth      *float64 `yaml:"s3StandardPerGiBMonth"`
	AMPPerTenMillionSamples    *float64 `yaml:"ampPerTenMillionSamples"`
	AMPStoragePerGiBMonth      *float64 `yaml:"ampStoragePerGiBMonth"`
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

// Parse decodes a catalog strictly (unknown fields are errors, with their
// file:line:col), validates it, and checks that every price names a
// declared source in its `# src <id>` comment.
func Parse(name string, b []byte) (*Catalog, error) {
	var c Catalog
	if err := yaml.UnmarshalWithOptions(b, &c, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("price catalog %s: %s", name, yaml.FormatError(err, false, false))
	}
	c.File = name
	file, err := parser.ParseBytes(b, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("price catalog %s: %w", name, err)
	}
	var errs []error
	c.sources = map[string]string{}
	for _, doc := range file.Docs {
		walkPrices(doc.Body, "", func(path string, line int, comment string) {
			m := srcComment.FindStringSubmatch(strings.TrimSpace(comment))
			switch {
			case m == nil:
				errs = append(errs, fmt.Errorf("%s:%d: %s: no source: end the line with '# src <id>' (ids under sources: %s)", name, line, path, strings.Join(slices.Sorted(maps.Keys(c.Sources)), ", ")))
			case c.Sources[m[1]] == (Source{}):
				errs = append(errs, fmt.Errorf("%s:%d: %s: source %q is not declared under sources (%s)", name, line, path, m[1], strings.Join(slices.Sorted(maps.Keys(c.Sources)), ", ")))
			default:
				c.sources[path] = m[1]
			}
		})
	}
	errs = append(errs, c.validate()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("price catalog %s:\n%w", name, errors.Join(errs...))
	}
	return &c, nil
}

// sizeKeys are numbers of a catalog that are not prices.
var sizeKeys = []string{"vcpu", "memoryGiB", "hoursPerMonth"}

// walkPrices calls f for every numeric leaf that is a price, with its path,
// line and inline comment.
func walkPrices(n ast.Node, path string, f func(path string, line int, comment string)) {
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, v := range n.Values {
			walkPrices(v, path, f)
		}
	case *ast.MappingValueNode:
		key := n.Key.String()
		p := key
		if path != "" {
			p = path + "." + key
		}
		switch n.Value.Type() {
		case ast.FloatType, ast.IntegerType:
			if slices.Contains(sizeKeys, key) {
				return
			}
			comment := ""
			if cg := n.Value.GetComment(); cg != nil {
				comment = cg.String()
			}
			f(p, n.Value.GetToken().Position.Line, comment)
		default:
			walkPrices(n.Value, p, f)
		}
	}
}

func (c *Catalog) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(c.File+": "+format, args...)) }
	if c.APIVersion != APIVersion || c.Kind != Kind {
		bad("apiVersion/kind %s/%s: want %s/%s", c.APIVersion, c.Kind, APIVersion, Kind)
	}
	if c.Metadata.Name == "" || c.Metadata.Version == "" {
		bad("metadata.name and metadata.version are required")
	}
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(c.Metadata.Date) {
		bad("metadata.date %q: want the date the prices were written down, YYYY-MM-DD", c.Metadata.Date)
	}
	if c.Currency == "" {
		bad("currency is required (ISO 4217, e.g. USD)")
	}
	if c.HoursPerMonth < 672 || c.HoursPerMonth > 744 {
		bad("hoursPerMonth %g: want the hours of a month (730 is AWS's convention)", c.HoursPerMonth)
	}
	if len(c.Regions) == 0 {
		bad("regions: none")
	}
	for _, rn := range slices.Sorted(maps.Keys(c.Regions)) {
		r := c.Regions[rn]
		if r == nil {
			bad("regions.%s: empty", rn)
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(r.Instances)) {
			in := r.Instances[name]
			p := fmt.Sprintf("regions.%s.instances.%s", rn, name)
			if in == nil || in.VCPU <= 0 || in.MemoryGiB <= 0 {
				bad("%s: vcpu and memoryGiB must be positive (they split the price between CPU and RAM)", p)
				continue
			}
			errs = append(errs, c.price(p+".onDemand", in.OnDemand)...)
			errs = append(errs, c.price(p+".spot", in.Spot)...)
			if in.OnDemand != nil && in.Spot != nil && *in.Spot > *in.OnDemand {
				bad("%s: spot %g is above on-demand %g", p, *in.Spot, *in.OnDemand)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(r.Databases)) {
			d := r.Databases[name]
			p := fmt.Sprintf("regions.%s.databases.%s", rn, name)
			if d == nil {
				bad("%s: empty", p)
				continue
			}
			errs = append(errs, c.price(p+".singleAZ", d.SingleAZ)...)
			errs = append(errs, c.price(p+".multiAZ", d.MultiAZ)...)
		}
		if r.DatabaseStorage == nil {
			bad("regions.%s.databaseStorage: missing", rn)
		} else {
			errs = append(errs, c.price(fmt.Sprintf("regions.%s.databaseStorage.gp3SingleAZPerGiBMonth", rn), r.DatabaseStorage.GP3SingleAZPerGiBMonth)...)
			errs = append(errs, c.price(fmt.Sprintf("regions.%s.databaseStorage.gp3MultiAZPerGiBMonth", rn), r.DatabaseStorage.GP3MultiAZPerGiBMonth)...)
		}
		for _, name := range slices.Sorted(maps.Keys(r.Caches)) {
			ch := r.Caches[name]
			p := fmt.Sprintf("regions.%s.caches.%s", rn, name)
			if ch == nil {
				bad("%s: empty", p)
				continue
			}
			errs = append(errs, c.price(p+".node", ch.Node)...)
		}
		if r.Services == nil {
			bad("regions.%s.services: missing", rn)
			continue
		}
		for _, k := range ServiceKeys() {
			errs = append(errs, c.price(fmt.Sprintf("regions.%s.services.%s", rn, k), serviceFields[k](r.Services))...)
		}
	}
	return errs
}

func (c *Catalog) price(path string, p *float64) []error {
	switch {
	case p == nil:
		return []error{fmt.Errorf("%s: %s: missing", c.File, path)}
	case *p < 0 || math.IsNaN(*p) || math.IsInf(*p, 0):
		return []error{fmt.Errorf("%s: %s: %g is not a price", c.File, path, *p)}
	}
	return nil
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
