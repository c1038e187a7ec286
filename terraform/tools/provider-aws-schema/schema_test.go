package main

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

func TestLoadServesTheCommittedSchema(t *testing.T) {
	s, err := load(schemaJSON, providerAddress)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		schemas map[string]*tfprotov5.Schema
		name    string
	}{
		"the VPC resource":               {s.ResourceSchemas, "aws_vpc"},
		"the EKS cluster resource":       {s.ResourceSchemas, "aws_eks_cluster"},
		"the IAM policy document source": {s.DataSourceSchemas, "aws_iam_policy_document"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.schemas[tt.name]; got == nil || got.Block == nil || len(got.Block.Attributes) == 0 {
				t.Errorf("schema of %s = %v, want attributes", tt.name, got)
			}
		})
	}
}

func TestLoadKeepsRequiredBlocksAndComputedAttributes(t *testing.T) {
	s, err := load(schemaJSON, providerAddress)
	if err != nil {
		t.Fatal(err)
	}
	eks := s.ResourceSchemas["aws_eks_cluster"].Block
	var vpcConfig *tfprotov5.SchemaNestedBlock
	for _, b := range eks.BlockTypes {
		if b.TypeName == "vpc_config" {
			vpcConfig = b
		}
	}
	if vpcConfig == nil || vpcConfig.MinItems != 1 || vpcConfig.MaxItems != 1 || vpcConfig.Nesting != tfprotov5.SchemaNestedBlockNestingModeList {
		t.Errorf("vpc_config = %+v, want a required single list block", vpcConfig)
	}
	for _, a := range eks.Attributes {
		if a.Name == "endpoint" && (!a.Computed || a.Optional || a.Required) {
			t.Errorf("endpoint = %+v, want computed only", a)
		}
		if a.Name == "name" && !a.Required {
			t.Errorf("name = %+v, want required", a)
		}
	}
}

func TestLoadRejectsAnotherProvider(t *testing.T) {
	if _, err := load(schemaJSON, "registry.terraform.io/hashicorp/random"); err == nil {
		t.Error("load(random) = nil error, want an error")
	}
}
