package chaos

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// fixture is a sandbox of six replicas over three zones with Redis.
func fixture() *sandbox.State {
	st := &sandbox.State{Zones: []string{"zone-a", "zone-b", "zone-c"}, Desired: 6}
	st.Pods = append(st.Pods, sandbox.Pod{Name: "redis-0", Labels: map[string]string{"app": "redis", "pod": "redis-0", spec.ZoneLabel: "zone-a"}})
	for i := range 6 {
		n := fmt.Sprintf("petclinic-%d", i)
		st.Pods = append(st.Pods, sandbox.Pod{Name: n, Labels: map[string]string{"app": "petclinic", "pod": n, spec.ZoneLabel: st.Zones[i%3]}})
		st.Links = append(st.Links, sandbox.Link{Name: "balancer--" + n, Client: "balancer", Server: n},
			sandbox.Link{Name: n + "--redis-0", Client: n, Server: "redis-0"})
	}
	return st
}

func podSel(labels map[string]string, mode v1alpha1.SelectorMode, value string) v1alpha1.PodSelector {
	return v1alpha1.PodSelector{Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: labels}}, Mode: mode, Value: value}
}

func names(ps []sandbox.Pod) string {
	var n []string
	for _, p := range ps {
		n = append(n, p.Name)
	}
	return strings.Join(n, ",")
}

func TestSelect(t *testing.T) {
	petclinic := map[string]string{"app": "petclinic"}
	tests := map[string]struct {
		sel  v1alpha1.PodSelector
		want string // pods, or how many when drawn at random ("3 of petclinic")
	}{
		"all selects every matching pod":             {podSel(petclinic, v1alpha1.AllMode, ""), "petclinic-0,petclinic-1,petclinic-2,petclinic-3,petclinic-4,petclinic-5"},
		"a zone label selects that zone's replicas":  {podSel(map[string]string{spec.ZoneLabel: "zone-b", "app": "petclinic"}, v1alpha1.AllMode, ""), "petclinic-1,petclinic-4"},
		"one selects a single replica":               {podSel(petclinic, v1alpha1.OneMode, ""), "1 of petclinic"},
		"fixed selects that many":                    {podSel(petclinic, v1alpha1.FixedMode, "4"), "4 of petclinic"},
		"fixed beyond the count selects all":         {podSel(petclinic, v1alpha1.FixedMode, "9"), "6 of petclinic"},
		"fixed-percent rounds down":                  {podSel(petclinic, v1alpha1.FixedPercentMode, "50"), "3 of petclinic"},
		"fixed-percent of 10 on 6 replicas is empty": {podSel(petclinic, v1alpha1.FixedPercentMode, "10"), "error"},
		"a pod list selects by name": {v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{
			Pods: map[string][]string{"petclinic": {"petclinic-3", "redis-0"}}}}, "petclinic-3,redis-0"},
		"an expression selects with NotIn": {v1alpha1.PodSelector{Mode: v1alpha1.AllMode, Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{
			LabelSelectors:      petclinic,
			ExpressionSelectors: v1alpha1.LabelSelectorRequirements{{Key: spec.ZoneLabel, Operator: "NotIn", Values: []string{"zone-a", "zone-b"}}}}}}, "petclinic-2,petclinic-5"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Select(fixture(), "spec", &tt.sel, rand.New(rand.NewPCG(1, 2)))
			switch {
			case err != nil:
				if tt.want != "error" {
					t.Fatalf("got %v, want %s", err, tt.want)
				}
			case strings.Contains(tt.want, " of "):
				var n int
				fmt.Sscanf(tt.want, "%d of", &n)
				if len(got) != n || !strings.HasPrefix(names(got), "petclinic-") || strings.Contains(names(got), "redis") {
					t.Errorf("got %s, want %s", names(got), tt.want)
				}
			default:
				if names(got) != tt.want {
					t.Errorf("got %s, want %s", names(got), tt.want)
				}
			}
		})
	}
}

func TestSelectIsReproducibleWithASeed(t *testing.T) {
	sel := podSel(map[string]string{"app": "petclinic"}, v1alpha1.FixedMode, "2")
	a, _ := Select(fixture(), "spec", &sel, rand.New(rand.NewPCG(9, 9)))
	b, _ := Select(fixture(), "spec", &sel, rand.New(rand.NewPCG(9, 9)))
	if names(a) != names(b) {
		t.Errorf("got %s then %s with one seed", names(a), names(b))
	}
}

func netSpec(src map[string]string, dir v1alpha1.Direction, target map[string]string) *v1alpha1.NetworkChaosSpec {
	s := &v1alpha1.NetworkChaosSpec{PodSelector: podSel(src, v1alpha1.AllMode, ""), Action: v1alpha1.PartitionAction, Direction: dir}
	if target != nil {
		s.Target = new(podSel(target, v1alpha1.AllMode, ""))
	}
	return s
}

func TestPlanNetworkPicksLinksAndStreams(t *testing.T) {
	p1 := map[string]string{"pod": "petclinic-1"}
	redis := map[string]string{"app": "redis"}
	tests := map[string]struct {
		spec *v1alpha1.NetworkChaosSpec
		want []string // link:stream
	}{
		"a replica's egress without target is its responses and its calls": {netSpec(p1, "", nil),
			[]string{"balancer--petclinic-1:downstream", "petclinic-1--redis-0:upstream"}},
		"from is the replica's ingress": {netSpec(p1, v1alpha1.From, nil),
			[]string{"balancer--petclinic-1:upstream", "petclinic-1--redis-0:downstream"}},
		"both is every stream of the replica's links": {netSpec(p1, v1alpha1.Both, nil),
			[]string{"balancer--petclinic-1:downstream", "balancer--petclinic-1:upstream", "petclinic-1--redis-0:downstream", "petclinic-1--redis-0:upstream"}},
		"a target keeps only the links to it": {netSpec(p1, v1alpha1.To, redis),
			[]string{"petclinic-1--redis-0:upstream"}},
		"selecting redis towards a replica is redis's replies": {netSpec(redis, v1alpha1.To, p1),
			[]string{"petclinic-1--redis-0:downstream"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			acts, err := planNetwork(fixture(), "r.f.0", tt.spec, mustSelect(t, &tt.spec.PodSelector), rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range acts {
				got = append(got, a.Link+":"+a.Toxic.Stream)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func mustSelect(t *testing.T, ps *v1alpha1.PodSelector) []sandbox.Pod {
	t.Helper()
	p, err := Select(fixture(), "spec", ps, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNetworkToxicsTranslateChaosMeshUnits(t *testing.T) {
	tests := map[string]struct {
		tc   v1alpha1.TcParameter
		act  v1alpha1.NetworkChaosAction
		want string
	}{
		"delay in milliseconds with jitter and correlation": {v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "1.5s", Jitter: "20ms", Correlation: "25"}}, v1alpha1.DelayAction,
			"gameday_latency map[correlation:25 jitter:20 latency:1500]"},
		"loss as percentages":           {v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{Loss: "20", Correlation: "25"}}, v1alpha1.LossAction, "gameday_loss map[correlation:25 loss:20]"},
		"bandwidth from bits to KB/s":   {v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{Rate: "1mbps", Limit: 1, Buffer: 1}}, v1alpha1.BandwidthAction, "bandwidth map[rate:125]"},
		"partition holds every byte":    {v1alpha1.TcParameter{}, v1alpha1.PartitionAction, "timeout map[timeout:0]"},
		"netem with delay and loss too": {v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "10ms"}, Loss: &v1alpha1.LossSpec{Loss: "5"}}, v1alpha1.NetemAction, "gameday_latency map[correlation:0 jitter:0 latency:10] gameday_loss map[correlation:0 loss:5]"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts, err := networkToxics(&v1alpha1.NetworkChaosSpec{Action: tt.act, TcParameter: tt.tc})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range ts {
				got = append(got, fmt.Sprint(x.Type, " ", x.Attributes))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("got %s, want %s", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func FuzzRateAndSize(f *testing.F) {
	for _, s := range []string{"1mbps", "10kbps", "2.5gbps", "256MB", "25%", "1GiB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := kbps(s); err == nil && k < 1 {
			t.Errorf("kbps(%q) = %d without error", s, k)
		}
		if v, err := vmBytes(s); err == nil && (v == "" || strings.ContainsAny(v, " \t")) {
			t.Errorf("vmBytes(%q) = %q without error", s, v)
		}
	})
}
