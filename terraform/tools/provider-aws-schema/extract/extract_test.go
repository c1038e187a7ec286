package extract

import (
	"encoding/json"
	"testing"
)

func TestExtractReadsTheCdktfPatterns(t *testing.T) {
	doc, err := Extract("testdata/lib", []string{"aws_widget"})
	if err != nil {
		t.Fatal(err)
	}
	ps := doc.ProviderSchemas["registry.terraform.io/hashicorp/aws"]
	got, err := json.Marshal(ps.ResourceSchemas["aws_widget"])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":0,"block":{` +
		`"attributes":{` +
		`"arn":{"type":"string","computed":true},` +
		`"name":{"type":"string","required":true},` +
		`"node":{"type":["object",{"kind":"string"}],"computed":true},` +
		`"status":{"type":["list",["object",{"ready":"bool"}]],"computed":true},` +
		`"tags":{"type":["map","string"],"optional":true}},` +
		`"block_types":{` +
		`"network":{"nesting_mode":"list","block":{"attributes":{` +
		`"subnet_ids":{"type":["set","string"],"required":true},` +
		`"vpc_id":{"type":"string","computed":true}}},"min_items":1,"max_items":1},` +
		`"rule":{"nesting_mode":"set","block":{"attributes":{"port":{"type":"number","required":true}}}},` +
		`"timeouts":{"nesting_mode":"single","block":{"attributes":{"create":{"type":"string","optional":true}}}}}}}`
	if string(got) != want {
		t.Errorf("aws_widget schema =\n%s\nwant\n%s", got, want)
	}
	prov, err := json.Marshal(ps.Provider)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"version":0,"block":{"attributes":{"region":{"type":"string","optional":true}}}}`; string(prov) != want {
		t.Errorf("provider schema = %s, want %s", prov, want)
	}
}

func TestExtractFailsOnUnknownTypes(t *testing.T) {
	if _, err := Extract("testdata/lib", []string{"aws_nope"}); err == nil {
		t.Error("Extract(aws_nope) = nil error, want an error")
	}
}
