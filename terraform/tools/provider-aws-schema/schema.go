package main

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The subset of `terraform providers schema -json` we read.
type (
	jsonDocument struct {
		ProviderSchemas map[string]struct {
			Provider          *jsonSchema            `json:"provider"`
			ResourceSchemas   map[string]*jsonSchema `json:"resource_schemas"`
			DataSourceSchemas map[string]*jsonSchema `json:"data_source_schemas"`
		} `json:"provider_schemas"`
	}
	jsonSchema struct {
		Version int64      `json:"version"`
		Block   *jsonBlock `json:"block"`
	}
	jsonBlock struct {
		Attributes map[string]struct {
			Type     json.RawMessage `json:"type"`
			Required bool            `json:"required"`
			Optional bool            `json:"optional"`
			Computed bool            `json:"computed"`
		} `json:"attributes"`
		BlockTypes map[string]struct {
			NestingMode string     `json:"nesting_mode"`
			Block       *jsonBlock `json:"block"`
			MinItems    int64      `json:"min_items"`
			MaxItems    int64      `json:"max_items"`
		} `json:"block_types"`
	}
)

var nestingModes = map[string]tfprotov5.SchemaNestedBlockNestingMode{
	"single": tfprotov5.SchemaNestedBlockNestingModeSingle,
	"list":   tfprotov5.SchemaNestedBlockNestingModeList,
	"set":    tfprotov5.SchemaNestedBlockNestingModeSet,
	"map":    tfprotov5.SchemaNestedBlockNestingModeMap,
	"group":  tfprotov5.SchemaNestedBlockNestingModeGroup,
}

// load converts a `terraform providers schema -json` document into the
// GetProviderSchema answer for one provider.
func load(doc []byte, address string) (*tfprotov5.GetProviderSchemaResponse, error) {
	var d jsonDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	p, ok := d.ProviderSchemas[address]
	if !ok {
		return nil, fmt.Errorf("schema: no provider %s", address)
	}
	resp := &tfprotov5.GetProviderSchemaResponse{
		ServerCapabilities: &tfprotov5.ServerCapabilities{GetProviderSchemaOptional: false},
		ResourceSchemas:    map[string]*tfprotov5.Schema{},
		DataSourceSchemas:  map[string]*tfprotov5.Schema{},
		Functions:          map[string]*tfprotov5.Function{},
	}
	var err error
	if resp.Provider, err = convertSchema(p.Provider); err != nil {
		return nil, fmt.Errorf("schema: provider: %w", err)
	}
	for name, s := range p.ResourceSchemas {
		if resp.ResourceSchemas[name], err = convertSchema(s); err != nil {
			return nil, fmt.Errorf("schema: %s: %w", name, err)
		}
	}
	for name, s := range p.DataSourceSchemas {
		if resp.DataSourceSchemas[name], err = convertSchema(s); err != nil {
			return nil, fmt.Errorf("schema: data.%s: %w", name, err)
		}
	}
	return resp, nil
}

func convertSchema(s *jsonSchema) (*tfprotov5.Schema, error) {
	if s == nil || s.Block == nil {
		return &tfprotov5.Schema{Block: &tfprotov5.SchemaBlock{}}, nil
	}
	b, err := convertBlock(s.Block)
	return &tfprotov5.Schema{Version: s.Version, Block: b}, err
}

func convertBlock(jb *jsonBlock) (*tfprotov5.SchemaBlock, error) {
	b := &tfprotov5.SchemaBlock{}
	for name, a := range jb.Attributes {
		t, err := tftypes.ParseJSONType(a.Type) //nolint:staticcheck // the JSON type form is what we store
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b.Attributes = append(b.Attributes, &tfprotov5.SchemaAttribute{
			Name: name, Type: t, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
		})
	}
	for name, bt := range jb.BlockTypes {
		mode, ok := nestingModes[bt.NestingMode]
		if !ok {
			return nil, fmt.Errorf("%s: nesting mode %q", name, bt.NestingMode)
		}
		inner, err := convertBlock(bt.Block)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b.BlockTypes = append(b.BlockTypes, &tfprotov5.SchemaNestedBlock{
			TypeName: name, Block: inner, Nesting: mode, MinItems: bt.MinItems, MaxItems: bt.MaxItems,
		})
	}
	return b, nil
}
