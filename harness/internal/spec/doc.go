// Package spec is the experiment and suite format of gameday: versioned
// YAML (apiVersion gameday.dev/v1alpha1) decoded strictly into typed Go
// structs, defaulted in one place and validated in one place.
//
// An Experiment is load (a rate profile over weighted PetClinic journeys)
// against a target, faults written in Chaos Mesh's own vocabulary (the
// kinds of the table in kinds.go, their spec decoded into
// github.com/chaos-mesh/chaos-mesh/api/v1alpha1 types), a
// steady-state hypothesis made of probes (http, promql, logql) with
// tolerances, stop conditions as in AWS FIS, and a recovery expectation. A
// Suite runs experiments in order with shared defaults.
//
// Loading goes: parse YAML (goccy/go-yaml) → check the shape of every node
// against the Go types (unknown fields, types, required fields) → decode
// through JSON with DisallowUnknownFields → defaults() → validate(). Every
// error names the file, line, column and field path, e.g.
//
//	experiments/pod-kill.yaml:14:7: spec.faults[0].duration: required
//
// and every error of every file is returned at once, as an ErrorList
// (exit code 2, exitcode.Invalid).
//
// PromQL is parsed with Prometheus' own parser. LogQL is checked as Loki
// checks it, by package logql (written from Loki's grammar, since Loki's
// module is AGPL; see that package for the two constructs it refuses by
// name), and a refusal gives Loki's reason at the query's line:col.
//
// The JSON Schemas in experiments/schema/ are generated from these types by
// `go generate ./internal/spec` (a test fails while they are stale).
package spec

//go:generate go test . -count=1 -run TestSchemaIsUpToDate -args -update
