package catalog

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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

// Bad catalogs are refused with the file, line and what to do.
func TestParseRefusesBadCatalogs(t *testing.T) {
	good, err := os.ReadFile("aws.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		edit func(string) string
		want string
	}{
		"a price without a source comment": {
			edit: func(s string) string {
				return strings.Replace(s, "onDemand: 0.0912 # src aws-ec2", "onDemand: 0.0912", 1)
			},
			want: "bad.yaml:LINE: regions.eu-west-1.instances.t3.large.onDemand: no source: end the line with '# src <id>'",
		},
		"a source that is not declared": {
			edit: func(s string) string { return strings.Replace(s, "0.0912 # src aws-ec2", "0.0912 # src my-guess", 1) },
			want: `bad.yaml:LINE: regions.eu-west-1.instances.t3.large.onDemand: source "my-guess" is not declared under sources`,
		},
		"an instance type without its spot price": {
			edit: func(s string) string { return strings.Replace(s, "        spot: 0.0365 # src spot-estimate\n", "", 1) },
			want: "bad.yaml: regions.eu-west-1.instances.t3.large.spot: missing",
		},
		"a misspelt field": {
			edit: func(s string) string { return strings.Replace(s, "onDemand: 0.0912", "ondemand: 0.0912", 1) },
			want: `unknown field "ondemand"`,
		},
		"a negative price": {
			edit: func(s string) string {
				return strings.Replace(s, "eksClusterHourly: 0.10", "eksClusterHourly: -0.10", 1)
			},
			want: "bad.yaml: regions.eu-west-1.services.eksClusterHourly: -0.1 is not a price",
		},
		"an undated catalog": {
			edit: func(s string) string { return strings.Replace(s, `date: "2026-12-06"`, `date: "December"`, 1) },
			want: `bad.yaml: metadata.date "December": want the date the prices were written down, YYYY-MM-DD`,
		},
		"spot above on-demand": {
			edit: func(s string) string { return strings.Replace(s, "spot: 0.0365 # src", "spot: 0.5 # src", 1) },
			want: "bad.yaml: regions.eu-west-1.instances.t3.large: spot 0.5 is above on-demand 0.0912",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			src := tt.edit(string(good))
			if src == string(good) {
				t.Fatal("the edit changed nothing")
			}
			want := tt.want
			if strings.Contains(want, "LINE") {
				want = strings.Replace(want, "LINE", lineOf(src, "0.0912"), 1)
			}
			_, err := Parse("bad.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v\nwant it to contain %q", err, want)
			}
		})
	}
}

func lineOf(s, sub string) string {
	i := strings.Index(s, sub)
	return strconv.Itoa(strings.Count(s[:i], "\n") + 1)
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
