package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/gamedayhq/gameday/harness/internal/cost/catalog"
)

// DefaultInventory is the cost inventory terraform generates, relative to
// the repository root.
const DefaultInventory = "terraform/inventory.json"

// Inventory is terraform/inventory.json: every environment's region, zones
// and sizes (the defaults of the variables region, azs and sizing of
// terraform/environments/<env>/variables.tf).
type Inventory struct {
	Environments map[string]*EnvInventory `json:"environments"`
	File         string                   `json:"-"`
}

// EnvInventory is one environment.
type EnvInventory struct {
	Region      string   `json:"region"`
	AZs         []string `json:"azs"`
	NATGateways int      `json:"nat_gateways"`
	Sizing      Sizing   `json:"sizing"`
}

// Sizing is terraform's sizing variable.
type Sizing struct {
	ManagedPrometheus bool                  `json:"managed_prometheus"`
	MySQL             MySQL                 `json:"mysql"`
	NodeGroups        map[string]*NodeGroup `json:"node_groups"`
	Redis             Redis                 `json:"redis"`
	SingleNATGateway  bool                  `json:"single_nat_gateway"`
}

// MySQL is the RDS instance.
type MySQL struct {
	AllocatedStorageGiB    float64 `json:"allocated_storage_gib"`
	InstanceClass          string  `json:"instance_class"`
	MaxAllocatedStorageGiB float64 `json:"max_allocated_storage_gib"`
	MultiAZ                bool    `json:"multi_az"`
}

// NodeGroup is an EKS managed node group.
type NodeGroup struct {
	CapacityType  string   `json:"capacity_type"`
	DesiredSize   int      `json:"desired_size"`
	DiskSizeGiB   float64  `json:"disk_size_gib"`
	InstanceTypes []string `json:"instance_types"`
	MaxSize       int      `json:"max_size"`
	MinSize       int      `json:"min_size"`
}

// Redis is the ElastiCache replication group.
type Redis struct {
	NodeType         string `json:"node_type"`
	NumCacheClusters int    `json:"num_cache_clusters"`
}

// InterfaceEndpointServices is the number of AWS services each environment
// reaches through interface VPC endpoints: the default of
// terraform/modules/network's interface_endpoints (ecr.api, ecr.dkr, sts),
// one ENI per service and zone. (A test reads the module's default.)
const InterfaceEndpointServices = 3

// LoadInventory reads terraform/inventory.json (or `terraform output -json
// inventory` saved in the same shape).
func LoadInventory(path string) (*Inventory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	var inv Inventory
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("inventory %s: %w", path, err)
	}
	inv.File = path
	if err := inv.validate(); err != nil {
		return nil, err
	}
	return &inv, nil
}

func (inv *Inventory) validate() error {
	var errs []error
	if len(inv.Environments) == 0 {
		errs = append(errs, errors.New("no environments"))
	}
	for _, name := range inv.Names() {
		e := inv.Environments[name]
		switch {
		case e == nil:
			errs = append(errs, fmt.Errorf("environments.%s: empty", name))
		case e.Region == "" || len(e.AZs) == 0:
			errs = append(errs, fmt.Errorf("environments.%s: region and azs are required", name))
		default:
			for g, ng := range e.Sizing.NodeGroups {
				if ng == nil || len(ng.InstanceTypes) == 0 {
					errs = append(errs, fmt.Errorf("environments.%s.sizing.node_groups.%s: no instance_types", name, g))
				} else if ng.CapacityType != catalog.OnDemand && ng.CapacityType != catalog.Spot {
					errs = append(errs, fmt.Errorf("environments.%s.sizing.node_groups.%s.capacity_type %q: want ON_DEMAND or SPOT", name, g, ng.CapacityType))
				}
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("inventory %s: %w", inv.File, errors.Join(errs...))
	}
	return nil
}

// Names are the environments, sorted.
func (inv *Inventory) Names() []string {
	names := make([]string, 0, len(inv.Environments))
	for n := range inv.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Coverage checks that the catalog prices every item the inventory uses in
// each environment's region: every instance type on-demand and spot, the
// DB class in its deployment and its storage, the cache node type, and the
// services the model prices. Each error names the item and the
// environment.
func Coverage(cat *catalog.Catalog, inv *Inventory) []error {
	var errs []error
	for _, name := range inv.Names() {
		e := inv.Environments[name]
		fail := func(err error) { errs = append(errs, fmt.Errorf("environment %s: %w", name, err)) }
		groups := make([]string, 0, len(e.Sizing.NodeGroups))
		for g := range e.Sizing.NodeGroups {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			for _, typ := range e.Sizing.NodeGroups[g].InstanceTypes {
				for _, capacity := range []string{catalog.OnDemand, catalog.Spot} {
					if _, _, err := cat.InstanceHourly(e.Region, typ, capacity); err != nil {
						fail(fmt.Errorf("node group %s: %w", g, err))
					}
				}
			}
		}
		if c := e.Sizing.MySQL.InstanceClass; c != "" {
			for _, multi := range []bool{false, true} {
				if _, err := cat.DatabaseHourly(e.Region, c, multi); err != nil {
					fail(err)
				}
				if _, err := cat.DatabaseStorageMonthly(e.Region, multi); err != nil {
					fail(err)
				}
			}
		}
		if t := e.Sizing.Redis.NodeType; t != "" {
			if _, err := cat.CacheNodeHourly(e.Region, t); err != nil {
				fail(err)
			}
		}
		for _, k := range catalog.ServiceKeys() {
			if _, err := cat.Service(e.Region, k); err != nil {
				fail(err)
			}
		}
	}
	return errs
}
