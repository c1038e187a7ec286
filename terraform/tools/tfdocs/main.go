// Command tfdocs keeps two generated artefacts of terraform/ in step with the
// code, read with terraform-config-inspect:
//
//	tfdocs readme [-check] DIR...        the terraform-docs style tables between
//	                                     <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->
//	                                     in DIR/README.md
//	tfdocs inventory [-check] -o FILE ENVDIR...
//	                                     the cost inventory (variables region, azs,
//	                                     sizing of each environment) as JSON
//
// With -check nothing is written: it exits 1 when a file differs from what it
// would write.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-config-inspect/tfconfig"
)

const (
	beginMarker = "<!-- BEGIN_TF_DOCS -->"
	endMarker   = "<!-- END_TF_DOCS -->"
)

var errStale = errors.New("generated files are stale: run scripts/terraform-check.sh fix")

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "tfdocs: %s\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: tfdocs readme|inventory [-check] ...")
	}
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	check := fl.Bool("check", false, "fail when a file is stale instead of writing it")
	out := fl.String("o", "inventory.json", "inventory file (inventory only)")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	var stale []string
	switch args[0] {
	case "readme":
		for _, dir := range fl.Args() {
			mod, err := load(dir)
			if err != nil {
				return err
			}
			path := filepath.Join(dir, "README.md")
			old, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			updated, err := splice(old, tables(mod))
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			ok, err := sync(path, old, updated, *check)
			if err != nil {
				return err
			}
			if !ok {
				stale = append(stale, path)
			}
		}
	case "inventory":
		b, err := inventory(fl.Args())
		if err != nil {
			return err
		}
		old, _ := os.ReadFile(*out)
		ok, err := sync(*out, old, b, *check)
		if err != nil {
			return err
		}
		if !ok {
			stale = append(stale, *out)
		}
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	if len(stale) > 0 {
		for _, s := range stale {
			fmt.Fprintf(os.Stderr, "stale: %s\n", s)
		}
		return errStale
	}
	return nil
}

// sync writes b to path unless check is set; it reports whether the file
// already held b.
func sync(path string, old, b []byte, check bool) (bool, error) {
	if bytes.Equal(old, b) {
		return true, nil
	}
	if check {
		return false, nil
	}
	return true, os.WriteFile(path, b, 0o644)
}

func load(dir string) (*tfconfig.Module, error) {
	mod, diags := tfconfig.LoadModule(dir)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %w", dir, diags.Err())
	}
	return mod, nil
}

func splice(doc []byte, generated string) ([]byte, error) {
	s := string(doc)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %s ... %s section", beginMarker, endMarker)
	}
	return []byte(s[:i+len(beginMarker)] + "\n" + generated + s[j:]), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cell(s string) string {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

func code(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "\n") {
		return "`" + strings.ReplaceAll(s, "|", "\\|") + "`"
	}
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "&#124;").Replace(s)
	return "<pre>" + strings.ReplaceAll(s, "\n", "<br>") + "</pre>"
}

// tables renders the terraform-docs style sections of a module.
func tables(m *tfconfig.Module) string {
	var b strings.Builder
	b.WriteString("## Requirements\n\n| Name | Version |\n|------|---------|\n")
	if len(m.RequiredCore) > 0 {
		fmt.Fprintf(&b, "| terraform | %s |\n", code(strings.Join(m.RequiredCore, ", ")))
	}
	for _, name := range sortedKeys(m.RequiredProviders) {
		p := m.RequiredProviders[name]
		fmt.Fprintf(&b, "| %s (`%s`) | %s |\n", name, p.Source, code(strings.Join(p.VersionConstraints, ", ")))
	}

	if len(m.ModuleCalls) > 0 {
		b.WriteString("\n## Modules\n\n| Name | Source |\n|------|--------|\n")
		for _, name := range sortedKeys(m.ModuleCalls) {
			fmt.Fprintf(&b, "| %s | `%s` |\n", name, m.ModuleCalls[name].Source)
		}
	}

	b.WriteString("\n## Resources\n\n| Name | Type |\n|------|------|\n")
	for _, key := range sortedKeys(m.ManagedResources) {
		fmt.Fprintf(&b, "| `%s` | resource |\n", key)
	}
	for _, key := range sortedKeys(m.DataResources) {
		fmt.Fprintf(&b, "| `%s` | data source |\n", key)
	}

	b.WriteString("\n## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n")
	for _, name := range sortedKeys(m.Variables) {
		v := m.Variables[name]
		def := "n/a"
		if !v.Required {
			j, err := json.MarshalIndent(v.Default, "", "  ")
			if err != nil {
				j = []byte("?")
			}
			def = code(string(j))
		}
		req := "no"
		if v.Required {
			req = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, cell(v.Description), code(v.Type), def, req)
	}

	b.WriteString("\n## Outputs\n\n| Name | Description |\n|------|-------------|\n")
	for _, name := range sortedKeys(m.Outputs) {
		fmt.Fprintf(&b, "| %s | %s |\n", name, cell(m.Outputs[name].Description))
	}
	return b.String()
}

// inventory reads the variable defaults that make up the cost inventory of
// each environment directory.
func inventory(dirs []string) ([]byte, error) {
	envs := map[string]any{}
	for _, dir := range dirs {
		mod, err := load(dir)
		if err != nil {
			return nil, err
		}
		entry := map[string]any{}
		for _, name := range []string{"region", "azs", "sizing"} {
			v, ok := mod.Variables[name]
			if !ok || v.Default == nil {
				return nil, fmt.Errorf("%s: variable %q with a default is missing", dir, name)
			}
			entry[name] = v.Default
		}
		sizing, _ := entry["sizing"].(map[string]any)
		azs, _ := entry["azs"].([]any)
		nat := len(azs)
		if single, _ := sizing["single_nat_gateway"].(bool); single {
			nat = 1
		}
		entry["nat_gateways"] = nat
		envs[filepath.Base(dir)] = entry
	}
	doc := map[string]any{
		"_generated":   "by terraform/tools/tfdocs from the defaults of variables region, azs and sizing in terraform/environments/*/variables.tf; do not edit, run scripts/terraform-check.sh fix",
		"environments": envs,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
