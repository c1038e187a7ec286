// Command terraform-provider-aws serves the schema of the hashicorp/aws
// provider (only the types this repository uses, read from schema.json) so
// that `terraform validate` checks our configuration against the real schema
// offline. It validates; it cannot plan or apply: every other RPC fails.
//
// schema.json is written by ./cmd/extract from the @cdktf/provider-aws npm
// package; see ../../README.md.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5/tf5server"
)

//go:embed schema.json
var schemaJSON []byte

// providerAddress is the address the schema is served for.
const providerAddress = "registry.terraform.io/hashicorp/aws"

func main() {
	schemas, err := load(schemaJSON, providerAddress)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %s\n", err)
		os.Exit(1)
	}
	err = tf5server.Serve(providerAddress, func() tfprotov5.ProviderServer { return &server{schemas: schemas} })
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %s\n", err)
		os.Exit(1)
	}
}

// server answers the RPCs `terraform validate` makes. The embedded interface
// is nil: any RPC outside validation panics in the plugin and terraform
// reports the provider crashed, which is the honest answer.
type server struct {
	tfprotov5.ProviderServer
	schemas *tfprotov5.GetProviderSchemaResponse
}

var _ tfprotov5.ProviderServer = (*server)(nil)

func (s *server) GetMetadata(context.Context, *tfprotov5.GetMetadataRequest) (*tfprotov5.GetMetadataResponse, error) {
	resp := &tfprotov5.GetMetadataResponse{ServerCapabilities: s.schemas.ServerCapabilities}
	for name := range s.schemas.ResourceSchemas {
		resp.Resources = append(resp.Resources, tfprotov5.ResourceMetadata{TypeName: name})
	}
	for name := range s.schemas.DataSourceSchemas {
		resp.DataSources = append(resp.DataSources, tfprotov5.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov5.GetProviderSchemaRequest) (*tfprotov5.GetProviderSchemaResponse, error) {
	return s.schemas, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov5.GetResourceIdentitySchemasRequest) (*tfprotov5.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov5.GetResourceIdentitySchemasResponse{}, nil
}

func (s *server) PrepareProviderConfig(_ context.Context, req *tfprotov5.PrepareProviderConfigRequest) (*tfprotov5.PrepareProviderConfigResponse, error) {
	return &tfprotov5.PrepareProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (s *server) ValidateResourceTypeConfig(context.Context, *tfprotov5.ValidateResourceTypeConfigRequest) (*tfprotov5.ValidateResourceTypeConfigResponse, error) {
	return &tfprotov5.ValidateResourceTypeConfigResponse{}, nil
}

func (s *server) ValidateDataSourceConfig(context.Context, *tfprotov5.ValidateDataSourceConfigRequest) (*tfprotov5.ValidateDataSourceConfigResponse, error) {
	return &tfprotov5.ValidateDataSourceConfigResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov5.StopProviderRequest) (*tfprotov5.StopProviderResponse, error) {
	return &tfprotov5.StopProviderResponse{}, nil
}
