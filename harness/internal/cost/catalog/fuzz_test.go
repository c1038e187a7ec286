package catalog

import (
	"os"
	"testing"
)

// Parse never panics, and a catalog it accepts has a source for every
// price and answers lookups without panicking.
func FuzzParse(f *testing.F) {
	good, err := os.ReadFile("aws.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("apiVersion: gameday.dev/v1\nkind: PriceCatalog\n"))
	f.Add([]byte("regions:\n  r:\n    instances:\n      x:\n        onDemand: 1 # src y\n"))
	f.Add([]byte("sources: [1, 2]\nregions: {a: null}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse("fuzz.yaml", b)
		if err != nil {
			return
		}
		for rn, r := range c.Regions {
			for typ := range r.Instances {
				if _, _, err := c.InstanceHourly(rn, typ, Spot); err != nil {
					t.Errorf("accepted catalog: %s spot: %v", typ, err)
				}
			}
			if _, err := c.Service(rn, EKSClusterHourly); err != nil {
				t.Errorf("accepted catalog without the EKS fee: %v", err)
			}
		}
	})
}
