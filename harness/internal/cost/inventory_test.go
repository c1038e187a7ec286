package cost

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

// The catalog prices every item of the repository's terraform inventory,
// in every environment.
func TestCatalogCoversTheTerraformInventory(t *testing.T) {
	cat, inv := repoInputs(t)
	if got := inv.Names(); strings.Join(got, ",") != "dev,prod,staging" {
		t.Errorf("environments %v, want dev, prod, staging", got)
	}
	for _, err := range Coverage(cat, inv) {
		t.Error(err)
	}
}

// A new instance type in terraform without a price fails the check, naming
// the item and the environment: the inventory as terraform-check.sh would
// regenerate it after someone adds m8i.large to prod's baseline group.
func TestANewInstanceTypeWithoutAPriceFails(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), DefaultInventory))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	prod := raw["environments"].(map[string]any)["prod"].(map[string]any)
	ng := prod["sizing"].(map[string]any)["node_groups"].(map[string]any)["baseline"].(map[string]any)
	ng["instance_types"] = []any{"m8i.xlarge"}
	prod["sizing"].(map[string]any)["redis"].(map[string]any)["node_type"] = "cache.r8g.large"
	path := filepath.Join(t.TempDir(), "inventory.json")
	b, _ = json.Marshal(raw)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := LoadInventory(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, err := range Coverage(cat, inv) {
		got = append(got, err.Error())
	}
	want := []string{
		"environment prod: node group baseline: no price for instance type m8i.xlarge (onDemand) in region eu-west-1",
		"environment prod: node group baseline: no price for instance type m8i.xlarge (spot) in region eu-west-1",
		"environment prod: no price for cache node type cache.r8g.large in region eu-west-1",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d errors %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q\nwant it to start with %q", i, got[i], want[i])
		}
	}
}

// InterfaceEndpointServices is the default of terraform's network module.
func TestInterfaceEndpointsMatchTheNetworkModule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repotest.Root(t), "terraform/modules/network/variables.tf"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)variable "interface_endpoints" \{.*?default\s*=\s*\[([^\]]*)\]`).FindSubmatch(b)
	if m == nil {
		t.Fatal("variable interface_endpoints with a list default not found in the network module")
	}
	if n := len(strings.Split(strings.TrimSpace(string(m[1])), ",")); n != InterfaceEndpointServices {
		t.Errorf("the network module reaches %d services through interface endpoints (%s), InterfaceEndpointServices = %d", n, m[1], InterfaceEndpointServices)
	}
}

func TestLoadInventoryRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	for name, tt := range map[string]struct{ body, want string }{
		"not JSON":          {"{", "unexpected EOF"},
		"no environments":   {`{"environments": {}}`, "no environments"},
		"a bad capacity":    {`{"environments": {"x": {"region": "eu-west-1", "azs": ["a"], "sizing": {"node_groups": {"g": {"capacity_type": "RESERVED", "instance_types": ["m7i.large"]}}}}}}`, `environments.x.sizing.node_groups.g.capacity_type "RESERVED": want ON_DEMAND or SPOT`},
		"no region":         {`{"environments": {"x": {"azs": ["a"]}}}`, "environments.x: region and azs are required"},
		"no instance types": {`{"environments": {"x": {"region": "r", "azs": ["a"], "sizing": {"node_groups": {"g": {"capacity_type": "SPOT"}}}}}}`, "environments.x.sizing.node_groups.g: no instance_types"},
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			if err := os.WriteFile(p, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadInventory(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("got %v, want an error naming %s and saying %q", err, p, tt.want)
			}
		})
	}
}
