package extract

import (
	"os"
	"testing"
)

// TestEveryTypeOfThePackage reads every resource and data source of a real
// @cdktf/provider-aws package: the patterns of the fixture must cover them
// all. It needs the unpacked package, so it runs from
// `scripts/terraform-check.sh schema`, which sets CDKTF_PROVIDER_AWS_LIB.
func TestEveryTypeOfThePackage(t *testing.T) {
	lib := os.Getenv("CDKTF_PROVIDER_AWS_LIB")
	if lib == "" {
		t.Skip("CDKTF_PROVIDER_AWS_LIB is not set")
	}
	idx, err := Index(lib)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for name := range idx {
		f, err := load(idx, name)
		if err != nil {
			t.Fatal(err)
		}
		for class, base := range f.bases {
			switch base {
			case "cdktf.TerraformResource", "cdktf.TerraformDataSource":
				_, err = f.block(class, hclEntries(f.classes[class]))
			case "cdktf.TerraformProvider":
				_, err = f.providerBlock(hclEntries(f.classes[class]))
			default:
				continue
			}
			if err != nil {
				failed++
				t.Errorf("%s: %s", name, err)
			}
		}
	}
	t.Logf("%d types read, %d failed", len(idx), failed)
}
