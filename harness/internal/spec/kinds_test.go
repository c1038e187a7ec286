package spec_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/repotest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestKindTable: every kind of the table is a kind of Chaos Mesh's own
// registry, its accessors reach into the spec it holds (the duration set
// through Duration is the one the JSON carries), and a kind missing from
// the table is refused by name.
func TestKindTable(t *testing.T) {
	registry := v1alpha1.AllKinds()
	for _, k := range spec.Kinds() {
		t.Run(string(k.Name), func(t *testing.T) {
			if _, ok := registry[string(k.Name)]; !ok {
				t.Fatalf("got no Chaos Mesh kind %s in v1alpha1.AllKinds()", k.Name)
			}
			if len(k.Targets) == 0 {
				t.Errorf("got no target for %s", k.Name)
			}
			if got, want := k.SpecType().Name(), string(k.Name)+"Spec"; got != want {
				t.Errorf("got spec type %s, want %s", got, want)
			}
			fs := spec.FaultSpecOf(k.New())
			if got := fs.Kind(); got != k {
				t.Errorf("got kind %v of a new %s, want its entry", got, k.Name)
			}
			d := "42s"
			*fs.Duration() = &d
			b, err := json.Marshal(fs)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"duration":"42s"`) {
				t.Errorf("got %s, want the duration set through the accessor", b)
			}
			again := spec.NewFaultSpec(fs.Spec())
			if got := *again.Duration(); got == nil || *got != d {
				t.Errorf("got duration %v after NewFaultSpec, want %s", got, d)
			}
			cp := fs.DeepCopy()
			*cp.Duration() = nil
			if *fs.Duration() == nil {
				t.Error("got the original changed through its DeepCopy")
			}
		})
	}
}

func TestZeroFaultSpecHasNothing(t *testing.T) {
	var fs spec.FaultSpec
	if fs.Object() != nil || fs.Spec() != nil || fs.Kind() != nil || fs.Duration() != nil || fs.Selectors() != nil || fs.PodSelector() != nil || fs.Label() != "" {
		t.Errorf("got a zero FaultSpec with content: %+v", fs)
	}
	if _, ok := spec.KindOf("IOChaos"); ok {
		t.Error("got IOChaos in the table: it has no engine here")
	}
}

// TestSelectorsFollowChaosMesh: the selectors of a spec are Chaos Mesh's
// (GetSelectorSpecs), with their field paths: a NetworkChaos target too.
func TestSelectorsFollowChaosMesh(t *testing.T) {
	target := &v1alpha1.PodSelector{Mode: v1alpha1.AllMode}
	tests := map[string]struct {
		spec  any
		paths []string
	}{
		"a pod-kill selects by its own selector":      {&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction}, []string{"spec"}},
		"a container-kill too":                        {&v1alpha1.PodChaosSpec{Action: v1alpha1.ContainerKillAction}, []string{"spec"}},
		"a PodChaos without an action selects none":   {&v1alpha1.PodChaosSpec{}, nil},
		"a partition selects its target as well":      {&v1alpha1.NetworkChaosSpec{Action: v1alpha1.PartitionAction, Target: target}, []string{"spec", "spec.target"}},
		"a delay without target selects its own pods": {&v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction}, []string{"spec"}},
		"a stress selects containers":                 {&v1alpha1.StressChaosSpec{}, []string{"spec"}},
		"an HTTP fault selects pods":                  {&v1alpha1.HTTPChaosSpec{}, []string{"spec"}},
		"a DNS fault selects containers":              {&v1alpha1.DNSChaosSpec{}, []string{"spec"}},
		"a clock shift selects containers":            {&v1alpha1.TimeChaosSpec{}, []string{"spec"}},
		"an instance is no pod":                       {&v1alpha1.AWSChaosSpec{Action: v1alpha1.Ec2Stop}, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			fs := spec.NewFaultSpec(tt.spec)
			var got []string
			for _, s := range fs.Selectors() {
				got = append(got, s.Path())
			}
			if strings.Join(got, ",") != strings.Join(tt.paths, ",") {
				t.Errorf("got selectors %v, want %v", got, tt.paths)
			}
			if ps := fs.PodSelector(); (ps != nil) != (len(tt.paths) > 0) {
				t.Errorf("got PodSelector %v, want one iff there are selectors", ps)
			}
		})
	}
	// The selector is the spec's own, not a copy.
	fs := spec.NewFaultSpec(&v1alpha1.NetworkChaosSpec{Action: v1alpha1.PartitionAction, Target: target})
	fs.Selectors()[1].Mode = v1alpha1.OneMode
	if got := fs.Object().(*v1alpha1.NetworkChaos).Spec.Target.Mode; got != v1alpha1.OneMode {
		t.Errorf("got target mode %s after setting it through Selectors, want one", got)
	}
}

func TestLabels(t *testing.T) {
	tru := true
	delay := "1s"
	tests := map[string]struct {
		spec any
		want string
	}{
		"a PodChaos is its action":       {&v1alpha1.PodChaosSpec{Action: v1alpha1.PodFailureAction}, "pod-failure"},
		"a NetworkChaos is its action":   {&v1alpha1.NetworkChaosSpec{Action: v1alpha1.BandwidthAction}, "bandwidth"},
		"a cpu stress":                   {&v1alpha1.StressChaosSpec{Stressors: &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{}}}, "cpu"},
		"a memory stress":                {&v1alpha1.StressChaosSpec{Stressors: &v1alpha1.Stressors{MemoryStressor: &v1alpha1.MemoryStressor{}}}, "memory"},
		"stress-ng's own stressors":      {&v1alpha1.StressChaosSpec{StressngStressors: "--io 1"}, "stress"},
		"an HTTP abort":                  {&v1alpha1.HTTPChaosSpec{PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: &tru}}, "abort"},
		"an HTTP delay":                  {&v1alpha1.HTTPChaosSpec{PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Delay: &delay}}, "delay"},
		"an HTTP replace":                {&v1alpha1.HTTPChaosSpec{PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Replace: &v1alpha1.PodHttpChaosReplaceActions{}}}, "replace"},
		"a DNS error":                    {&v1alpha1.DNSChaosSpec{Action: v1alpha1.ErrorAction}, "dns-error"},
		"a DNS random answer":            {&v1alpha1.DNSChaosSpec{Action: v1alpha1.RandomAction}, "dns-random"},
		"a clock shift":                  {&v1alpha1.TimeChaosSpec{TimeOffset: "-10m"}, "time-offset"},
		"an instance stopped":            {&v1alpha1.AWSChaosSpec{Action: v1alpha1.Ec2Stop}, "ec2-stop"},
		"an HTTP patch is an HTTP fault": {&v1alpha1.HTTPChaosSpec{PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Patch: &v1alpha1.PodHttpChaosPatchActions{}}}, "http"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := spec.NewFaultSpec(tt.spec).Label(); got != tt.want {
				t.Errorf("got label %q, want %q", got, tt.want)
			}
		})
	}
}

// TestValidateRefusesAKindTheTargetsEngineCannotInject: with TargetKinds
// (gameday validate), a kind the target's engine does not inject is
// refused at its line and column, in the engines' words; without it (a
// run, whose --target may still override the file's) it is left to the
// engine.
func TestValidateRefusesAKindTheTargetsEngineCannotInject(t *testing.T) {
	for name, tt := range map[string]struct {
		file string
		kind spec.FaultKind
	}{
		"a DNSChaos on the sandbox":  {"dns-failure.yaml", spec.DNSChaos},
		"a TimeChaos on the sandbox": {"clock-skew.yaml", spec.TimeChaos},
		"an AWSChaos on the sandbox": {"az-outage.yaml", spec.AWSChaos},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(repotest.Root(t), "experiments", tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := (spec.ValidateOptions{TargetKinds: true}).Parse(path, data); err != nil {
				t.Fatalf("got %v for the committed file (target kubernetes)", err)
			}
			sandbox := strings.Replace(string(data), "  target:\n    kind: kubernetes\n", "  target:\n    kind: sandbox\n", 1)
			if sandbox == string(data) {
				t.Fatalf("%s has no target.kind kubernetes to change", tt.file)
			}
			_, err = spec.ValidateOptions{TargetKinds: true}.Parse(tt.file, []byte(sandbox))
			want := "spec.faults[0].kind: " + string(tt.kind) + " is not supported by the sandbox engine; use --target kubernetes"
			var l spec.ErrorList
			if !errors.As(err, &l) || len(l) != 1 || l[0].Line == 0 || l[0].Field+": "+l[0].Msg != want ||
				!strings.HasPrefix(strings.Split(sandbox, "\n")[l[0].Line-1][l[0].Column-1:], string(tt.kind)) {
				t.Errorf("got %v\nwant one error at the fault's kind: %s", err, want)
			}
			if _, err := (spec.ValidateOptions{}).Parse(tt.file, []byte(sandbox)); err != nil {
				t.Errorf("got %v without TargetKinds, want the kind left to the engine", err)
			}
		})
	}
}
