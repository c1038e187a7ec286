package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpliceReplacesOnlyTheMarkedSection(t *testing.T) {
	doc := "# m\n\nintro\n\n<!-- BEGIN_TF_DOCS -->\nold\n<!-- END_TF_DOCS -->\ntail\n"
	got, err := splice([]byte(doc), "new\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# m\n\nintro\n\n<!-- BEGIN_TF_DOCS -->\nnew\n<!-- END_TF_DOCS -->\ntail\n"
	if string(got) != want {
		t.Errorf("splice = %q, want %q", got, want)
	}
}

func TestSpliceNeedsMarkers(t *testing.T) {
	if _, err := splice([]byte("# m\n"), "x"); err == nil {
		t.Error("splice without markers = nil error, want an error")
	}
}

func TestInventoryCountsNatGateways(t *testing.T) {
	// A fixture written here: a .tf file under terraform/ would be linted.
	dir := filepath.Join(t.TempDir(), "dev")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	vars := `
variable "region" {
  type    = string
  default = "eu-west-1"
}
variable "azs" {
  type    = list(string)
  default = ["a", "b", "c"]
}
variable "sizing" {
  type    = object({ single_nat_gateway = bool })
  default = { single_nat_gateway = true }
}
`
	if err := os.WriteFile(filepath.Join(dir, "variables.tf"), []byte(vars), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := inventory([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	want := `"nat_gateways": 1`
	if !strings.Contains(string(b), want) {
		t.Errorf("inventory = %s, want it to hold %s", b, want)
	}
}
