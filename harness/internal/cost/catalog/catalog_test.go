package catalog

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/exitcode"
)

func TestDefaultCatalogLoads(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.Date == "" || c.Metadata.Version == "" || c.Currency != "USD" {
		t.Errorf("metadata %+v, currency %q: want a dated, versioned USD catalog", c.Metadata, c.Currency)
	}
	p, in, err := c.InstanceHourly("eu-west-1", "m7i.large", OnDemand)
	if err != nil {
		t.Fatal(err)
	}
	if p.USD != 0.11235 || in.VCPU != 2 || in.MemoryGiB != 8 || p.Source != "aws-ec2-xcheck" {
		t.Errorf("m7i.large = %+v %+v, want 0.11235 $/h, 2 vCPU, 8 GiB from aws-ec2-xcheck", p, in)
	}
	if got := c.Cite(p); got != "catalog aws-list-prices "+c.Metadata.Version+" (aws-ec2-xcheck)" {
		t.Errorf("Cite = %q", got)
	}
	// Every price of the file has a source (Parse refuses the others), and
	// each source is declared.
	n := 0
	for path, src := range c.sources {
		n++
		if _, ok := c.Sources[src]; !ok {
			t.Errorf("%s: source %s not declared", path, src)
		}
	}
	if n < 40 {
		t.Errorf("%d prices with a source, want every price of the catalog (>= 40)", n)
	}
}

// Bad catalogs are refused as every spec file: each error at its
// file:line:col and field, exit code 2. POS in want is the line and column
// of the first occurrence of at in the edited catalog.
func TestParseRefusesBadCatalogsAtTheirLineAndColumn(t *testing.T) {
	good, err := os.ReadFile("aws.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const ids = "aws-amp, aws-data-transfer, aws-ebs-xcheck, aws-ec2, aws-ec2-derived, aws-ec2-xcheck, aws-eks, aws-elasticache, aws-elb, aws-privatelink, aws-rds-mysql, aws-rds-storage, aws-s3, aws-vpc, spot-estimate"
	tests := map[string]struct {
		old, new, at string
		want         string
	}{
		"a price without a source comment": {"onDemand: 0.0912 # src aws-ec2", "onDemand: 0.0912", "0.0912",
			`bad.yaml:POS: regions.eu-west-1.instances["t3.large"].onDemand: no source: end the line with '# src <id>' (ids under sources: ` + ids + ")"},
		"a source that is not declared": {"0.0912 # src aws-ec2", "0.0912 # src my-guess", "0.0912",
			`bad.yaml:POS: regions.eu-west-1.instances["t3.large"].onDemand: source "my-guess" is not declared under sources (` + ids + ")"},
		"a source without its URL": {"    url: https://aws.amazon.com/s3/pricing/\n", "    url: \"\"\n", `""`,
			"bad.yaml:POS: sources.aws-s3.url: must not be empty: where the prices come from"},
		"an instance type without its spot price": {"        spot: 0.0365 # src spot-estimate\n", "", "vcpu: 2",
			`bad.yaml:POS: regions.eu-west-1.instances["t3.large"].spot: required`},
		"a service without its price": {"      ampStoragePerGiBMonth: 0.03 # src aws-amp\n", "", "eksClusterHourly",
			"bad.yaml:POS: regions.eu-west-1.services.ampStoragePerGiBMonth: required"},
		"a cache node type without a price": {"      cache.t4g.small:\n        node: 0.036 # src aws-elasticache\n", "      cache.t4g.small:\n", "cache.t4g.small",
			`bad.yaml:POS: regions.eu-west-1.caches["cache.t4g.small"]: must be a mapping with node, not null`},
		"a misspelt field": {"    name: EU (Ireland)", "    Name: EU (Ireland)", "Name",
			`bad.yaml:POS: regions.eu-west-1.Name: unknown field "Name" (did you mean "name"?)`},
		"a price that is not a number": {"spot: 0.0365 # src", "spot: cheap # src", "cheap",
			`bad.yaml:POS: regions.eu-west-1.instances["t3.large"].spot: must be a finite number, not a string`},
		"a negative price": {"eksClusterHourly: 0.10", "eksClusterHourly: -0.10", "-0.10",
			"bad.yaml:POS: regions.eu-west-1.services.eksClusterHourly: -0.1 is not a price"},
		"spot above on-demand": {"spot: 0.0365 # src", "spot: 0.5 # src", "0.5 #",
			`bad.yaml:POS: regions.eu-west-1.instances["t3.large"].spot: 0.5 is above on-demand 0.0912`},
		"an instance type with negative vCPUs": {"        vcpu: 2\n", "        vcpu: -2\n", "-2",
			`bad.yaml:POS: regions.eu-west-1.instances["t3.large"].vcpu: -2: want a positive number (it splits the price between CPU and RAM)`},
		"an undated catalog": {`date: "2026-12-06"`, `date: "December"`, `"December"`,
			`bad.yaml:POS: metadata.date: "December": want the date the prices were written down, YYYY-MM-DD`},
		"a month of 30 hours": {"hoursPerMonth: 730", "hoursPerMonth: 30", "30\n",
			"bad.yaml:POS: hoursPerMonth: 30: want the hours of a month, 672 to 744 (730 is AWS's convention)"},
		"prices in euros": {"currency: USD", "currency: EUR", "EUR",
			`bad.yaml:POS: currency: must be "USD", not "EUR": budgets, reports and OpenCost's custom prices are in US dollars`},
		"no currency": {"currency: USD", "currency: \"\"", `""`,
			`bad.yaml:POS: currency: must be "USD", not "": budgets, reports and OpenCost's custom prices are in US dollars`},
		"another kind": {"kind: PriceCatalog", "kind: Prices", "Prices",
			`bad.yaml:POS: kind: must be "PriceCatalog", not "Prices"`},
		"two documents": {"apiVersion: gameday.dev/v1", "apiVersion: gameday.dev/v1\n---\napiVersion: gameday.dev/v1", "",
			"bad.yaml: want one PriceCatalog document, found 2"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			src := strings.Replace(string(good), tt.old, tt.new, 1)
			if src == string(good) {
				t.Fatalf("%q is not in the catalog", tt.old)
			}
			want := strings.Replace(tt.want, "POS", position(t, src, tt.at), 1)
			_, err := Parse("bad.yaml", []byte(src))
			if err == nil || err.Error() != want {
				t.Errorf("got %v\nwant %s", err, want)
			}
			if code := exitcode.Of(err); code != exitcode.Invalid {
				t.Errorf("exit code %d, want %d (invalid input)", code, exitcode.Invalid)
			}
		})
	}
}

// position is "line:col" of the first occurrence of sub in s.
func position(t *testing.T, s, sub string) string {
	t.Helper()
	i := strings.Index(s, sub)
	if i < 0 {
		t.Fatalf("%q is not in the edited catalog", sub)
	}
	line := strings.Count(s[:i], "\n") + 1
	col := i - strings.LastIndex(s[:i], "\n")
	return strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

func TestMissingPricesNameTheItem(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.InstanceHourly("eu-west-1", "m8i.large", Spot)
	var miss *ErrMissingPrice
	if !errors.As(err, &miss) || !strings.Contains(err.Error(), "no price for instance type m8i.large (spot) in region eu-west-1") {
		t.Errorf("got %v, want an ErrMissingPrice naming m8i.large (spot) and eu-west-1", err)
	}
	if _, err := c.DatabaseHourly("us-east-1", "db.r7g.large", true); err == nil || !strings.Contains(err.Error(), "DB instance class db.r7g.large (multiAZ) in region us-east-1") {
		t.Errorf("got %v, want the region named", err)
	}
	if _, err := c.CacheNodeHourly("eu-west-1", "cache.r8g.large"); err == nil || !strings.Contains(err.Error(), "cache node type cache.r8g.large") {
		t.Errorf("got %v", err)
	}
	if _, err := c.Service("eu-west-1", "lambdaPerRequest"); err == nil || !strings.Contains(err.Error(), "service price lambdaPerRequest") {
		t.Errorf("got %v", err)
	}
}

// Split follows OpenCost: the CPU and RAM prices add up to the node's, in
// OpenCost's default ratio.
func TestSplitAddsUpInOpenCostsRatio(t *testing.T) {
	for _, tt := range []struct{ hourly, vcpu, mem float64 }{{0.11235, 2, 8}, {0.2247, 4, 16}, {0.0912, 2, 8}, {1, 1, 0}} {
		cpu, ram := Split(tt.hourly, tt.vcpu, tt.mem)
		if got := cpu*tt.vcpu + ram*tt.mem; math.Abs(got-tt.hourly) > 1e-12 {
			t.Errorf("Split(%v): %v*%v + %v*%v = %v, want %v", tt, cpu, tt.vcpu, ram, tt.mem, got, tt.hourly)
		}
		if ram > 0 && math.Abs(cpu/ram-OpenCostDefaultCPU/OpenCostDefaultRAM) > 1e-9 {
			t.Errorf("Split(%v): ratio %v, want OpenCost's %v", tt, cpu/ram, OpenCostDefaultCPU/OpenCostDefaultRAM)
		}
	}
	// m7i.large by hand: ratio 7.46070..., multiple 2*7.46070+8 = 22.92141,
	// RAM 0.11235/22.92141 = 0.0049015 $/GiB-h, CPU 0.0365688 $/vCPU-h.
	cpu, ram := Split(0.11235, 2, 8)
	if math.Abs(ram-0.0049015) > 1e-6 || math.Abs(cpu-0.0365688) > 1e-6 {
		t.Errorf("m7i.large split = %.7f CPU, %.7f RAM; want 0.0365688 and 0.0049015", cpu, ram)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err == nil || !strings.Contains(err.Error(), "none.yaml") {
		t.Errorf("got %v", err)
	}
}
