package chaos_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

func experiment(f spec.Fault) *spec.Experiment {
	return &spec.Experiment{Metadata: spec.Metadata{Name: "x"}, Spec: spec.ExperimentSpec{Faults: []spec.Fault{f}}}
}

func netFault(s v1alpha1.NetworkChaosSpec) spec.Fault {
	s.PodSelector = sel(map[string]string{"app": "petclinic"}, v1alpha1.OneMode, "")
	return fault("f", time.Minute, spec.NewFaultSpec(&s))
}

func TestValidateNamesWhatTheSandboxCannotHonour(t *testing.T) {
	delay := &v1alpha1.DelaySpec{Latency: "10ms"}
	tests := map[string]struct {
		fault spec.Fault
		want  string // "" when the fault is accepted
	}{
		"corrupt is refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.CorruptAction,
			TcParameter: v1alpha1.TcParameter{Corrupt: &v1alpha1.CorruptSpec{Corrupt: "10"}}}), "spec.corrupt: not supported"},
		"duplicate is refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.NetemAction,
			TcParameter: v1alpha1.TcParameter{Delay: delay, Duplicate: &v1alpha1.DuplicateSpec{Duplicate: "5"}}}), "spec.duplicate: not supported"},
		"external targets are refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction,
			TcParameter: v1alpha1.TcParameter{Delay: delay}, ExternalTargets: []string{"example.com"}}), "spec.externalTargets: not supported"},
		"a device is refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction,
			TcParameter: v1alpha1.TcParameter{Delay: delay}, Device: "eth0"}), "spec.device: not supported"},
		"delay correlation is accepted": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction,
			TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "10ms", Jitter: "5ms", Correlation: "50"}}}), ""},
		"a correlation above 100% is refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction,
			TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "10ms", Correlation: "150"}}}), "spec.delay.correlation"},
		"reorder is refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction,
			TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "10ms", Reorder: &v1alpha1.ReorderSpec{Reorder: "5"}}}}), "spec.delay.reorder: not supported"},
		"bandwidth peakrate is refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.BandwidthAction,
			TcParameter: v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{Rate: "1mbps", Limit: 100, Buffer: 100, Peakrate: ptr(uint64(2))}}}), "spec.bandwidth.peakrate: not supported"},
		"a bandwidth below toxiproxy's floor is refused": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.BandwidthAction,
			TcParameter: v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{Rate: "1kbps", Limit: 1, Buffer: 1}}}), "spec.bandwidth.rate"},
		"loss with correlation is accepted": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.LossAction,
			TcParameter: v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{Loss: "20", Correlation: "25"}}}), ""},
		"delay with jitter is accepted": {netFault(v1alpha1.NetworkChaosSpec{Action: v1alpha1.DelayAction,
			TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "100ms", Jitter: "10ms", Correlation: "0"}}}), ""},
		"a field selector is refused": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction,
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{
				GenericSelectorSpec: v1alpha1.GenericSelectorSpec{FieldSelectors: map[string]string{"status.phase": "Running"}}}}}})), "spec.selector.fieldSelectors: not supported"},
		"a grace period is refused": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction, GracePeriod: 5,
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(nil, v1alpha1.AllMode, "")}})), "spec.gracePeriod: not supported"},
		"an unknown container is refused": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.ContainerKillAction,
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(nil, v1alpha1.AllMode, ""), ContainerNames: []string{"sidecar"}}})), "spec.containerNames"},
		"an HTTP patch is refused": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.HTTPChaosSpec{PodSelector: sel(nil, v1alpha1.AllMode, ""),
			Target: v1alpha1.PodHttpResponse, PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Patch: &v1alpha1.PodHttpChaosPatchActions{}}})), "spec.patch: not supported"},
		"an HTTP abort is accepted": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.HTTPChaosSpec{PodSelector: sel(nil, v1alpha1.AllMode, ""),
			Target: v1alpha1.PodHttpRequest, PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: ptr(true)}})), ""},
		"memory oomScoreAdj is refused": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.StressChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(nil, v1alpha1.AllMode, "")},
			Stressors:         &v1alpha1.Stressors{MemoryStressor: &v1alpha1.MemoryStressor{Stressor: v1alpha1.Stressor{Workers: 1}, Size: "64MB", OOMScoreAdj: -100}}})), "spec.stressors.memory.oomScoreAdj: not supported"},
		"a fixed-percent mode is accepted": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction,
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(nil, v1alpha1.FixedPercentMode, "50")}})), ""},
		"a fixed mode without a count is refused": {fault("f", time.Minute, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{Action: v1alpha1.PodKillAction,
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(nil, v1alpha1.FixedMode, "many")}})), `spec.value: "many" is not a count of pods (mode fixed)`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := chaos.New(t.TempDir(), 1).Validate(experiment(tt.fault))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.want == "" && err != nil || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if strings.Contains(tt.want, "not supported") && !errors.Is(err, engine.ErrUnsupported) {
				t.Errorf("got %v, want it to wrap engine.ErrUnsupported", err)
			}
		})
	}
}

// Every experiment we ship for the sandbox must run on it; those for
// Kubernetes only are refused, naming the kind.
func TestValidateShippedExperiments(t *testing.T) {
	cat, err := spec.LoadPath("../../../../experiments")
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Experiments) == 0 {
		t.Fatal("got no experiments")
	}
	e := chaos.New(t.TempDir(), 1)
	for _, x := range cat.Experiments {
		err := e.Validate(x)
		switch {
		case x.Spec.Target.Kind == spec.TargetSandbox && err != nil:
			t.Errorf("%s: %v", x.File, err)
		case x.Spec.Target.Kind != spec.TargetSandbox && (err == nil || !strings.Contains(err.Error(), "is not supported by the sandbox engine; use --target kubernetes")):
			t.Errorf("%s: got %v for a Kubernetes-only experiment, want the kind refused", x.File, err)
		}
	}
}
