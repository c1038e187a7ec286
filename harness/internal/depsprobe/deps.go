// Package depsprobe only pins the harness's dependencies in go.mod while
// several engineers build packages in parallel; it is removed once they land.
package depsprobe

import (
	_ "github.com/Shopify/toxiproxy/v2"
	_ "github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
	_ "github.com/goccy/go-yaml"
	_ "github.com/invopop/jsonschema"
	_ "github.com/prometheus/client_golang/api/prometheus/v1"
	_ "github.com/prometheus/prometheus/promql/parser"
	_ "github.com/tsenart/vegeta/v12/lib"
	_ "github.com/urfave/cli/v2"
)
