// Command extract writes the AWS provider schema of the resource and data
// source types a Terraform tree uses, read from the cdktf npm package.
//
//	npm pack @cdktf/provider-aws@21.22.1 && tar xzf cdktf-provider-aws-21.22.1.tgz
//	go run ./cmd/extract-aws-schema -lib package/lib -scan .. -o provider-aws-schema/schema.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gamedayhq/gameday/terraform/tools/provider-aws-schema/extract"
)

var reUse = regexp.MustCompile(`(?m)^\s*(resource|data)\s+"(aws_\w+)"`)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "error: %s\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("extract", flag.ContinueOnError)
	lib := fl.String("lib", "package/lib", "lib/ folder of the @cdktf/provider-aws npm package")
	scan := fl.String("scan", "..", "Terraform tree whose aws_* types are extracted")
	out := fl.String("o", "provider-aws-schema/schema.json", "output file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	types, err := used(*scan)
	if err != nil {
		return err
	}
	doc, err := extract.Extract(*lib, types)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "extract: %d types\n", len(types))
	return os.WriteFile(*out, append(b, '\n'), 0o644)
}

// used lists the aws_* resource and data source types of the .tf files under dir.
func used(dir string) ([]string, error) {
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".terraform" || d.Name() == "tools") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".tf") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range reUse.FindAllStringSubmatch(string(src), -1) {
			name := m[2]
			if m[1] == "data" {
				name = "data." + name
			}
			seen[name] = true
		}
		return nil
	})
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, err
}
