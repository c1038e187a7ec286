package cost

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// OpenCost, configured with the generated custom prices, prices each
// environment's on-demand nodes as gameday does: vCPU x CPU + GiB x RAM is
// the catalog's price of the node group's instance type; its spot nodes at
// the mean spot price of the group's types.
func TestOpenCostAgreesWithGameday(t *testing.T) {
	cat, inv := repoInputs(t)
	for _, name := range inv.Names() {
		env := inv.Environments[name]
		prices, err := OpenCostCustomPrices(cat, env)
		if err != nil {
			t.Fatal(err)
		}
		f := func(k string) float64 {
			v, err := strconv.ParseFloat(prices[k], 64)
			if err != nil {
				t.Fatalf("%s: %s %q: %v", name, k, prices[k], err)
			}
			return v
		}
		for g, ng := range env.Sizing.NodeGroups {
			var want float64
			cpu, ram := f("CPU"), f("RAM")
			if ng.CapacityType == catalog.Spot {
				cpu, ram = f("spotCPU"), f("spotRAM")
				for _, typ := range ng.InstanceTypes {
					p, _, _ := cat.InstanceHourly(env.Region, typ, catalog.Spot)
					want += p.USD / float64(len(ng.InstanceTypes))
				}
			} else {
				p, _, _ := cat.InstanceHourly(env.Region, ng.InstanceTypes[0], catalog.OnDemand)
				want = p.USD
			}
			_, in, _ := cat.InstanceHourly(env.Region, ng.InstanceTypes[0], catalog.OnDemand)
			if got := in.VCPU*cpu + in.MemoryGiB*ram; math.Abs(got-want) > 1e-6 {
				t.Errorf("%s/%s: OpenCost would price a %s node at %.6f $/h, gameday at %.6f", name, g, ng.InstanceTypes[0], got, want)
			}
		}
		if math.Abs(f("storage")-0.088/730) > 1e-10 || f("zoneNetworkEgress") != 0.02 || prices["provider"] != "custom" {
			t.Errorf("%s: storage %s, zone egress %s, provider %s", name, prices["storage"], prices["zoneNetworkEgress"], prices["provider"])
		}
	}
}

// The committed generated files are what Generate writes, and the budget
// rules' promtool tests pass (each budget's over case fires, its under case
// stays silent).
func TestGeneratedFilesAreCommittedAndTheirTestsPass(t *testing.T) {
	cat, inv := repoInputs(t)
	root := repotest.Root(t)
	bs, err := LoadBudgets(filepath.Join(root, DefaultBudgets))
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(cat, inv, bs)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join(root, p))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is not what gameday cost generate writes (%v): run it", p, err)
		}
	}
	if b := files[DirOpenCost+"/prod/custom-pricing.yaml"]; !strings.Contains(string(b), `"provider": "custom"`) {
		t.Errorf("prod's custom prices:\n%s", b)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no promtool on PATH (apt-get install prometheus)")
		}
		t.Skip("no promtool on PATH")
	}
	out, err := exec.Command(promtool, "test", "rules", filepath.Join(root, FileRulesTest)).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules %s: %v\n%s", FileRulesTest, err, out)
	}
	// A budget 10 % lower than the tests expect: the silent case fires, or
	// the over case's annotations no longer match.
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "rules"), 0o755)
	os.MkdirAll(filepath.Join(dir, "tests"), 0o755)
	rules := strings.Replace(string(files[FileRules]), "expr: vector(2600)", "expr: vector(2340)", 1)
	os.WriteFile(filepath.Join(dir, "rules", "finops.yml"), []byte(rules), 0o644)
	os.WriteFile(filepath.Join(dir, "tests", "finops.test.yml"), files[FileRulesTest], 0o644)
	if out, err := exec.Command(promtool, "test", "rules", filepath.Join(dir, "tests", "finops.test.yml")).CombinedOutput(); err == nil {
		t.Errorf("the promtool tests pass on a lowered budget: they test nothing\n%s", out)
	}
}
