// Package promrule turns Prometheus rule files into PrometheusRule objects
// (monitoring.coreos.com/v1) for the Prometheus Operator: the rule file's
// groups become the object's spec, byte for byte (comments and block
// scalars kept, indented under spec:), so that the object says exactly what
// promtool checked and tested. The tests regenerate
// monitoring/prometheus/kubernetes/ and fail when it is out of date
// (go test -update rewrites it).
package promrule

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// Labels every generated object carries. kube-prometheus-stack's Prometheus
// selects every PrometheusRule (monitoring/values/kube-prometheus-stack.yaml,
// ruleSelector: {}); gameday.dev/rules tells ours apart in kubectl get -l.
var Labels = [][2]string{
	{"app.kubernetes.io/part-of", "gameday"},
	{"app.kubernetes.io/managed-by", "gameday-monitoring"},
	{"gameday.dev/rules", "true"},
}

var promql = parser.NewParser(parser.Options{})

// Parse validates a rule file as Prometheus does (strict fields, PromQL,
// templates) and returns its groups; errors name file:line:col.
func Parse(file string, src []byte) (*rulefmt.RuleGroups, error) {
	rgs, errs := rulefmt.Parse(src, false, model.UTF8Validation, promql, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(errs) > 0 {
		for i := range errs {
			errs[i] = fmt.Errorf("%s: %w", file, errs[i])
		}
		return nil, errors.Join(errs...)
	}
	if len(rgs.Groups) == 0 {
		return nil, fmt.Errorf("%s: no rule group", file)
	}
	return rgs, nil
}

// Name is the object's name for a rule file: gameday-<file name without
// extension>.
func Name(file string) string {
	base := filepath.Base(file)
	return "gameday-" + strings.TrimSuffix(base, filepath.Ext(base))
}

// Object renders the PrometheusRule of a rule file. source is the path
// written in the header (relative to the repository). The rule file's
// leading comment block is replaced by the generated header; the rest,
// from the first line that is not a comment, becomes spec.
func Object(source string, src []byte) ([]byte, error) {
	if _, err := Parse(source, src); err != nil {
		return nil, err
	}
	body, err := body(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Code generated from %s by harness/internal/dashboards/promrule; DO NOT EDIT.\n", source)
	b.WriteString("# Regenerate: cd harness && go test ./internal/dashboards/promrule -update\n")
	b.WriteString("# yamllint disable rule:line-length\n")
	b.WriteString("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n")
	fmt.Fprintf(&b, "  name: %s\n  labels:\n", Name(source))
	for _, l := range Labels {
		fmt.Fprintf(&b, "    %s: %q\n", l[0], l[1])
	}
	b.WriteString("spec:\n")
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line == "" {
			b.WriteByte('\n')
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return keepLastNewline(b.Bytes(), body), nil
}

// keepLastNewline drops the newline that line-by-line copying added at the
// end of out when src did not end with one: a block scalar that ends the
// file keeps its value ("0", not "0\n").
func keepLastNewline(out, src []byte) []byte {
	if len(src) > 0 && !bytes.HasSuffix(src, []byte("\n")) {
		return bytes.TrimSuffix(out, []byte("\n"))
	}
	return out
}

// body is src from its first line that is neither a comment nor blank; it
// must start with groups: at column 0 (one document, no other key).
func body(src []byte) ([]byte, error) {
	rest := src
	for len(rest) > 0 {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			break
		}
		rest = next
	}
	if !bytes.HasPrefix(rest, []byte("groups:")) {
		return nil, errors.New("want the rule file to start with `groups:` at column 0 after its comments")
	}
	if bytes.Contains(rest, []byte("\n---")) {
		return nil, errors.New("one YAML document only")
	}
	return rest, nil
}

// Spec reads the spec back out of a generated object and checks that it
// holds the same groups as the rule file: the round trip of Object.
func Spec(obj []byte) ([]byte, error) {
	_, after, ok := bytes.Cut(obj, []byte("\nspec:\n"))
	if !ok {
		return nil, errors.New("no spec: in the object")
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(after))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line != "" && !strings.HasPrefix(line, "  ") {
			return nil, fmt.Errorf("line %q is not indented under spec:", line)
		}
		b.WriteString(strings.TrimPrefix(line, "  ") + "\n")
	}
	return keepLastNewline(b.Bytes(), after), sc.Err()
}

// Same reports whether two rule sources hold equal groups.
func Same(file string, a, b []byte) (bool, error) {
	ga, err := Parse(file, a)
	if err != nil {
		return false, err
	}
	gb, err := Parse(file, b)
	if err != nil {
		return false, err
	}
	return reflect.DeepEqual(ga.Groups, gb.Groups), nil
}
