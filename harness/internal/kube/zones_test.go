package kube_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/kube"
)

func TestZoneMapping(t *testing.T) {
	tests := map[string]struct {
		explicit map[string]string
		named    []string
		cluster  []string
		want     map[string]string
	}{
		"the sandbox's zones onto the cluster's in sorted order": {
			named: []string{"zone-a", "zone-b", "zone-c"}, cluster: []string{"eu-west-1c", "eu-west-1a", "eu-west-1b"},
			want: map[string]string{"zone-a": "eu-west-1a", "zone-b": "eu-west-1b", "zone-c": "eu-west-1c",
				"eu-west-1a": "eu-west-1a", "eu-west-1b": "eu-west-1b", "eu-west-1c": "eu-west-1c"},
		},
		"an explicit map wins, the others take the zones it leaves free": {
			explicit: map[string]string{"zone-a": "eu-west-1c"}, named: []string{"zone-a", "zone-b", "zone-c"}, cluster: []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
			want: map[string]string{"zone-a": "eu-west-1c", "zone-b": "eu-west-1a", "zone-c": "eu-west-1b",
				"eu-west-1a": "eu-west-1a", "eu-west-1b": "eu-west-1b", "eu-west-1c": "eu-west-1c"},
		},
		"more named zones than the cluster has: the extra ones stay unmapped": {
			named: []string{"zone-a", "zone-b", "zone-c"}, cluster: []string{"us-east-1a", "us-east-1b"},
			want: map[string]string{"zone-a": "us-east-1a", "zone-b": "us-east-1b", "us-east-1a": "us-east-1a", "us-east-1b": "us-east-1b"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := kube.ZoneMapping(tt.explicit, tt.named, tt.cluster); !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNamesAndLabels(t *testing.T) {
	if a, b := kube.ObjectName("run-1", "f"), kube.ObjectName("run-2", "f"); a == b || !strings.HasPrefix(a, "f-") {
		t.Errorf("object names %q and %q: want distinct, prefixed by the fault", a, b)
	}
	if got := kube.RunLabel("20261127-213000-zone-outage"); got != "20261127-213000-zone-outage" {
		t.Errorf("RunLabel kept %q", got)
	}
	long := strings.Repeat("x", 70)
	if got := kube.RunLabel(long); got == long || len(got) > 63 {
		t.Errorf("RunLabel(70 chars) = %q: want a hash that fits a label", got)
	}
	if got := kube.RunLabel("a/b"); strings.Contains(got, "/") {
		t.Errorf("RunLabel(a/b) = %q", got)
	}
}
