package chaos

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Action types of a fault record.
const (
	ActKill      = "kill"      // SIGKILL a pod's process; the supervisor restarts it
	ActStop      = "stop"      // SIGSTOP; recovered with SIGCONT
	ActToxic     = "toxic"     // a toxiproxy toxic on a link; recovered by removing it
	ActStress    = "stress"    // a stress-ng process; recovered by killing it
	ActHTTPFault = "httpfault" // an HTTP fault in the balancer; recovered by clearing it
)

// Action is one concrete change to the sandbox, recorded before it is made.
type Action struct {
	Type string `json:"type"`
	Pod  string `json:"pod,omitempty"`
	// Proc is the process signalled (kill, stop) or started (stress).
	Proc sandbox.Proc `json:"proc,omitzero"`
	Link string       `json:"link,omitempty"`
	// Toxic is the toxic added to Link.
	Toxic *sandbox.Toxic `json:"toxic,omitempty"`
	// HTTP is the fault set on Pod's traffic.
	HTTP *sandbox.HTTPFault `json:"http,omitempty"`
	// Args of stress-ng; Marker is the environment variable that tags it.
	Args   []string `json:"args,omitempty"`
	Marker string   `json:"marker,omitempty"`
}

func (a Action) String() string {
	switch a.Type {
	case ActToxic:
		return fmt.Sprintf("%s %s on %s (%s)", a.Toxic.Type, a.Toxic.Name, a.Link, a.Toxic.Stream)
	case ActHTTPFault:
		return fmt.Sprintf("http fault %s on %s", a.HTTP.Name, a.Pod)
	case ActStress:
		return fmt.Sprintf("stress-ng %s beside %s", strings.Join(a.Args, " "), a.Pod)
	}
	return fmt.Sprintf("%s %s (pid %d)", a.Type, a.Pod, a.Proc.PID)
}

// planner honours one fault kind on the sandbox.
type planner struct {
	// check reports, offline, every field of the spec the sandbox cannot
	// honour; each error names the field (under spec.).
	check func(o spec.Chaos) []error
	// plan turns fault f into the actions it makes on the selected pods;
	// the random modes draw from rng. It changes nothing.
	plan func(st *sandbox.State, ref string, f spec.Fault, pods []sandbox.Pod, rng *rand.Rand) ([]Action, error)
	// stressNG: its actions run stress-ng (preflight checks it is there).
	stressNG bool
}

// planners are the kinds the sandbox injects; every other kind of the
// table is refused offline (a test keeps this map and the table's Targets
// in step).
var planners = map[spec.FaultKind]planner{
	spec.PodChaos: {
		check: func(o spec.Chaos) []error { return checkPod(&o.(*v1alpha1.PodChaos).Spec) },
		plan:  planPod,
	},
	spec.NetworkChaos: {
		check: func(o spec.Chaos) []error { return checkNetwork(&o.(*v1alpha1.NetworkChaos).Spec) },
		plan: func(st *sandbox.State, ref string, f spec.Fault, pods []sandbox.Pod, rng *rand.Rand) ([]Action, error) {
			return planNetwork(st, ref, &f.Spec.Object().(*v1alpha1.NetworkChaos).Spec, pods, rng)
		},
	},
	spec.StressChaos: {
		check: func(o spec.Chaos) []error { return checkStress(&o.(*v1alpha1.StressChaos).Spec) },
		plan: func(_ *sandbox.State, ref string, f spec.Fault, pods []sandbox.Pod, _ *rand.Rand) ([]Action, error) {
			return planStress(ref, f, pods)
		},
		stressNG: true,
	},
	spec.HTTPChaos: {
		check: func(o spec.Chaos) []error { return checkHTTP(&o.(*v1alpha1.HTTPChaos).Spec) },
		plan: func(_ *sandbox.State, ref string, f spec.Fault, pods []sandbox.Pod, _ *rand.Rand) ([]Action, error) {
			return planHTTP(ref, &f.Spec.Object().(*v1alpha1.HTTPChaos).Spec, pods)
		},
	},
}

// unsupportedKind is a kind the sandbox does not inject.
type unsupportedKind spec.FaultKind

func (k unsupportedKind) Error() string {
	return fmt.Sprintf("kind: %s is not supported by the sandbox engine; use --target kubernetes", string(k))
}

func (unsupportedKind) Unwrap() error { return engine.ErrUnsupported }

// plannerOf is the planner of f's kind, or why there is none.
func plannerOf(f spec.Fault) (planner, error) {
	k := f.Spec.Kind()
	if k == nil {
		return planner{}, fmt.Errorf("kind: %q has no spec", f.Kind)
	}
	p, ok := planners[k.Name]
	if !ok || !k.Supports(spec.TargetSandbox) {
		return planner{}, unsupportedKind(k.Name)
	}
	return p, nil
}

// CheckFault reports, offline, every field of f the sandbox cannot honour;
// each error names the field (under spec.), or the kind.
func CheckFault(f spec.Fault) []error {
	p, err := plannerOf(f)
	if err != nil {
		return []error{err}
	}
	return p.check(f.Spec.Object())
}

func checkContainers(names []string, field string) []error {
	for _, n := range names {
		if n != sandbox.AppPetclinic && n != sandbox.AppRedis && n != sandbox.AppMariaDB {
			return []error{fmt.Errorf("%s: %q: sandbox pods have one container, named after their app (petclinic, redis, mariadb)", field, n)}
		}
	}
	return nil
}

func checkPod(s *v1alpha1.PodChaosSpec) []error {
	errs := checkSelector("spec", &s.PodSelector)
	switch s.Action {
	case v1alpha1.PodKillAction, v1alpha1.PodFailureAction, v1alpha1.ContainerKillAction:
	default:
		errs = append(errs, fmt.Errorf("spec.action: %q is not pod-kill, pod-failure or container-kill", s.Action))
	}
	if s.GracePeriod != 0 {
		errs = append(errs, unsupported("spec.gracePeriod", "pod-kill is SIGKILL at once"))
	}
	if s.RemoteCluster != "" {
		errs = append(errs, unsupported("spec.remoteCluster", ""))
	}
	return append(errs, checkContainers(s.ContainerNames, "spec.containerNames")...)
}

func checkNetwork(s *v1alpha1.NetworkChaosSpec) []error {
	errs := checkSelector("spec", &s.PodSelector)
	if s.Target != nil {
		errs = append(errs, checkSelector("spec.target", s.Target)...)
	}
	switch s.Direction {
	case "", v1alpha1.To, v1alpha1.From, v1alpha1.Both:
	default:
		errs = append(errs, fmt.Errorf("spec.direction: %q is not to, from or both", s.Direction))
	}
	for _, u := range []struct {
		set   bool
		field string
	}{
		{s.Device != "", "spec.device"},
		{s.TargetDevice != "", "spec.targetDevice"},
		{len(s.ExternalTargets) > 0, "spec.externalTargets"},
		{s.RemoteCluster != "", "spec.remoteCluster"},
		{s.PartitionBehavior != "", "spec.partitionBehavior"},
		{s.Duplicate != nil, "spec.duplicate"},
		{s.Corrupt != nil, "spec.corrupt"},
		{s.Rate != nil, "spec.rate"},
	} {
		if u.set {
			errs = append(errs, unsupported(u.field, "no userspace proxy equivalent"))
		}
	}
	need := func(ok bool, field string) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: required by action %s", field, s.Action))
		}
	}
	switch s.Action {
	case v1alpha1.DelayAction:
		need(s.Delay != nil, "spec.delay")
	case v1alpha1.LossAction:
		need(s.Loss != nil, "spec.loss")
	case v1alpha1.BandwidthAction:
		need(s.Bandwidth != nil, "spec.bandwidth")
	case v1alpha1.NetemAction:
		need(s.Delay != nil || s.Loss != nil, "spec.delay or spec.loss")
	case v1alpha1.PartitionAction:
	default:
		errs = append(errs, unsupported("spec.action "+strconv.Quote(string(s.Action)), "the sandbox does delay, loss, bandwidth, netem (delay+loss) and partition"))
	}
	if d := s.Delay; d != nil {
		if _, err := ms(d.Latency); err != nil {
			errs = append(errs, fmt.Errorf("spec.delay.latency: %w", err))
		}
		if _, err := ms(d.Jitter); d.Jitter != "" && err != nil {
			errs = append(errs, fmt.Errorf("spec.delay.jitter: %w", err))
		}
		if v, err := strconv.ParseFloat(d.Correlation, 64); d.Correlation != "" && (err != nil || v < 0 || v > 100) {
			errs = append(errs, fmt.Errorf("spec.delay.correlation: %q is not a percentage", d.Correlation))
		}
		if d.Reorder != nil {
			errs = append(errs, unsupported("spec.delay.reorder", "a TCP proxy cannot reorder segments"))
		}
	}
	if l := s.Loss; l != nil {
		if v, err := strconv.ParseFloat(l.Loss, 64); err != nil || v < 0 || v > 100 {
			errs = append(errs, fmt.Errorf("spec.loss.loss: %q is not a percentage", l.Loss))
		}
		if v, err := strconv.ParseFloat(l.Correlation, 64); l.Correlation != "" && (err != nil || v < 0 || v > 100) {
			errs = append(errs, fmt.Errorf("spec.loss.correlation: %q is not a percentage", l.Correlation))
		}
	}
	if b := s.Bandwidth; b != nil {
		if _, err := kbps(b.Rate); err != nil {
			errs = append(errs, fmt.Errorf("spec.bandwidth.rate: %w", err))
		}
		if b.Peakrate != nil {
			errs = append(errs, unsupported("spec.bandwidth.peakrate", ""))
		}
		if b.Minburst != nil {
			errs = append(errs, unsupported("spec.bandwidth.minburst", ""))
		}
	}
	return errs
}

func checkStress(s *v1alpha1.StressChaosSpec) []error {
	errs := checkSelector("spec", &s.PodSelector)
	errs = append(errs, checkContainers(s.ContainerNames, "spec.containerNames")...)
	if s.RemoteCluster != "" {
		errs = append(errs, unsupported("spec.remoteCluster", ""))
	}
	if s.Stressors == nil && s.StressngStressors == "" {
		errs = append(errs, fmt.Errorf("spec.stressors: required (or spec.stressngStressors)"))
	}
	if s.Stressors != nil && s.Stressors.MemoryStressor != nil {
		m := s.Stressors.MemoryStressor
		if m.OOMScoreAdj != 0 {
			errs = append(errs, unsupported("spec.stressors.memory.oomScoreAdj", ""))
		}
		if _, err := vmBytes(m.Size); err != nil {
			errs = append(errs, fmt.Errorf("spec.stressors.memory.size: %w", err))
		}
	}
	return errs
}

func checkHTTP(s *v1alpha1.HTTPChaosSpec) []error {
	errs := checkSelector("spec", &s.PodSelector)
	if s.Target != v1alpha1.PodHttpRequest && s.Target != v1alpha1.PodHttpResponse {
		errs = append(errs, fmt.Errorf("spec.target: %q is not Request or Response", s.Target))
	}
	if s.Port != 0 && s.Port != 8080 {
		errs = append(errs, unsupported("spec.port", "the sandbox intercepts PetClinic's HTTP port (8080) only"))
	}
	for _, u := range []struct {
		set   bool
		field string
	}{
		{s.Patch != nil, "spec.patch"},
		{s.TLS != nil, "spec.tls"},
		{len(s.RequestHeaders) > 0, "spec.request_headers"},
		{len(s.ResponseHeaders) > 0, "spec.response_headers"},
		{s.RemoteCluster != "", "spec.remoteCluster"},
		{s.Replace != nil && s.Replace.Path != nil, "spec.replace.path"},
		{s.Replace != nil && s.Replace.Method != nil, "spec.replace.method"},
		{s.Replace != nil && len(s.Replace.Queries) > 0, "spec.replace.queries"},
		{s.Target == v1alpha1.PodHttpRequest && s.Replace != nil, "spec.replace (target Request)"},
		{s.Target == v1alpha1.PodHttpRequest && s.Code != nil, "spec.code (target Request)"},
	} {
		if u.set {
			errs = append(errs, unsupported(u.field, ""))
		}
	}
	if s.Delay != nil {
		if _, err := time.ParseDuration(*s.Delay); err != nil {
			errs = append(errs, fmt.Errorf("spec.delay: %w", err))
		}
	}
	if s.Abort == nil && s.Delay == nil && s.Replace == nil {
		errs = append(errs, fmt.Errorf("spec: one of abort, delay or replace is required"))
	}
	return errs
}

// ms parses a Chaos Mesh (tc-style) duration into milliseconds.
func ms(s string) (int64, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return d.Milliseconds(), nil
}

var rateRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(bps|kbps|mbps|gbps|tbps)$`)

// kbps converts a tc rate ("1mbps": bits per second) into toxiproxy's
// bandwidth unit (KB/s), at least 1.
func kbps(rate string) (int64, error) {
	m := rateRe.FindStringSubmatch(strings.ToLower(strings.TrimSpace(rate)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a rate such as 1mbps", rate)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	mult := map[string]float64{"bps": 1, "kbps": 1e3, "mbps": 1e6, "gbps": 1e9, "tbps": 1e12}[m[2]]
	kb := int64(v * mult / 8 / 1000)
	if kb < 1 {
		return 0, fmt.Errorf("%q is below 8kbps, toxiproxy's smallest rate (1 KB/s)", rate)
	}
	return kb, nil
}

var sizeRe = regexp.MustCompile(`^([0-9]+)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB|%)?$`)

// vmBytes converts a Chaos Mesh memory size ("256MB", "25%") into
// stress-ng's --vm-bytes (default 256M).
func vmBytes(size string) (string, error) {
	if size == "" {
		return "256M", nil
	}
	m := sizeRe.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(size)))
	if m == nil {
		return "", fmt.Errorf("%q is not a size such as 256MB or 25%%", size)
	}
	unit := map[string]string{"": "", "B": "", "KB": "K", "MB": "M", "GB": "G", "TB": "T", "KIB": "K", "MIB": "M", "GIB": "G", "TIB": "T", "%": "%"}[m[2]]
	return m[1] + unit, nil
}

// plan turns fault f into the actions it makes on the sandbox in st; the
// random modes draw from rng. It changes nothing.
func plan(st *sandbox.State, ref string, f spec.Fault, rng *rand.Rand) ([]Action, error) {
	p, err := plannerOf(f)
	if err != nil {
		return nil, err
	}
	ps := f.Spec.PodSelector()
	if ps == nil {
		return nil, fmt.Errorf("kind %q has no selector", f.Kind)
	}
	pods, err := Select(st, "spec", ps, rng)
	if err != nil {
		return nil, err
	}
	return p.plan(st, ref, f, pods, rng)
}

// planPod kills (pod-kill, container-kill) or freezes (pod-failure) the
// process of every selected pod.
func planPod(_ *sandbox.State, _ string, f spec.Fault, pods []sandbox.Pod, _ *rand.Rand) ([]Action, error) {
	typ := ActKill
	if f.Spec.Object().(*v1alpha1.PodChaos).Spec.Action == v1alpha1.PodFailureAction {
		typ = ActStop
	}
	var acts []Action
	for _, p := range pods {
		acts = append(acts, Action{Type: typ, Pod: p.Name, Proc: p.Proc})
	}
	return acts, nil
}

// toxicName is a name safe in a URL path, unique per fault, link and
// stream.
func toxicName(ref, kind, stream string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, ref)
	return clean + "." + kind + "." + stream
}

// planNetwork picks the links the fault touches and the streams on them.
// Each link is a client pod (or the balancer) reaching a server pod. The
// "to" direction is the selected pods' egress, as tc on their interface:
// upstream (client → server) when the selected pod is the link's client,
// downstream when it is the server. Without a target every link of a
// selected pod is touched; with one, only links between the two sets.
func planNetwork(st *sandbox.State, ref string, s *v1alpha1.NetworkChaosSpec, pods []sandbox.Pod, rng *rand.Rand) ([]Action, error) {
	src := map[string]bool{}
	for _, p := range pods {
		src[p.Name] = true
	}
	var dst map[string]bool
	if s.Target != nil {
		tp, err := Select(st, "spec.target", s.Target, rng)
		if err != nil {
			return nil, err
		}
		dst = map[string]bool{}
		for _, p := range tp {
			dst[p.Name] = true
		}
	}
	dir := s.Direction
	if dir == "" {
		dir = v1alpha1.To
	}
	toxics, err := networkToxics(s)
	if err != nil {
		return nil, err
	}
	var acts []Action
	for _, l := range st.Links {
		var srcIsClient bool
		switch {
		case dst == nil && src[l.Client]:
			srcIsClient = true
		case dst == nil && src[l.Server]:
			srcIsClient = false
		case dst != nil && src[l.Client] && dst[l.Server]:
			srcIsClient = true
		case dst != nil && src[l.Server] && dst[l.Client]:
			srcIsClient = false
		default:
			continue
		}
		egress, ingress := "downstream", "upstream"
		if srcIsClient {
			egress, ingress = "upstream", "downstream"
		}
		var streams []string
		switch dir {
		case v1alpha1.To:
			streams = []string{egress}
		case v1alpha1.From:
			streams = []string{ingress}
		default:
			streams = []string{egress, ingress}
		}
		for _, stream := range streams {
			for _, t := range toxics {
				t.Name = toxicName(ref, t.Type, stream)
				t.Stream = stream
				acts = append(acts, Action{Type: ActToxic, Link: l.Name, Pod: l.Server, Toxic: &t})
			}
		}
	}
	if len(acts) == 0 {
		return nil, fmt.Errorf("no sandbox link between the selected pods and the target (links: balancer → replicas, replicas → redis/mariadb)")
	}
	return acts, nil
}

func networkToxics(s *v1alpha1.NetworkChaosSpec) ([]sandbox.Toxic, error) {
	var out []sandbox.Toxic
	delay := func() error {
		lat, err := ms(s.Delay.Latency)
		if err != nil {
			return err
		}
		var jit int64
		if s.Delay.Jitter != "" {
			if jit, err = ms(s.Delay.Jitter); err != nil {
				return err
			}
		}
		var corr float64
		if s.Delay.Correlation != "" {
			corr, _ = strconv.ParseFloat(s.Delay.Correlation, 64)
		}
		out = append(out, sandbox.Toxic{Type: sandbox.LatencyToxicType, Toxicity: 1, Attributes: map[string]any{"latency": lat, "jitter": jit, "correlation": corr}})
		return nil
	}
	loss := func() {
		l, _ := strconv.ParseFloat(s.Loss.Loss, 64)
		c, _ := strconv.ParseFloat(s.Loss.Correlation, 64)
		out = append(out, sandbox.Toxic{Type: sandbox.LossToxicType, Toxicity: 1, Attributes: map[string]any{"loss": l, "correlation": c}})
	}
	switch s.Action {
	case v1alpha1.DelayAction:
		if err := delay(); err != nil {
			return nil, err
		}
	case v1alpha1.LossAction:
		loss()
	case v1alpha1.NetemAction:
		if s.Delay != nil {
			if err := delay(); err != nil {
				return nil, err
			}
		}
		if s.Loss != nil {
			loss()
		}
	case v1alpha1.BandwidthAction:
		k, err := kbps(s.Bandwidth.Rate)
		if err != nil {
			return nil, err
		}
		out = append(out, sandbox.Toxic{Type: "bandwidth", Toxicity: 1, Attributes: map[string]any{"rate": k}})
	case v1alpha1.PartitionAction:
		// timeout 0: no byte passes and the connection is never closed,
		// as when packets are dropped.
		out = append(out, sandbox.Toxic{Type: "timeout", Toxicity: 1, Attributes: map[string]any{"timeout": 0}})
	default:
		return nil, unsupported("spec.action "+strconv.Quote(string(s.Action)), "")
	}
	return out, nil
}

func planStress(ref string, f spec.Fault, pods []sandbox.Pod) ([]Action, error) {
	s := &f.Spec.Object().(*v1alpha1.StressChaos).Spec
	// stress-ng's own timeout bounds a stressor whose recovery never comes
	// (the harness was killed and nobody ran cleanup).
	timeout := f.Duration.D() + 10*time.Second
	args := []string{"--timeout", strconv.Itoa(int(timeout.Seconds())) + "s", "--quiet"}
	if s.StressngStressors != "" {
		args = append(args, strings.Fields(s.StressngStressors)...)
	} else {
		if c := s.Stressors.CPUStressor; c != nil {
			args = append(args, "--cpu", strconv.Itoa(c.Workers))
			if c.Load != nil {
				args = append(args, "--cpu-load", strconv.Itoa(*c.Load))
			}
			args = append(args, c.Options...)
		}
		if m := s.Stressors.MemoryStressor; m != nil {
			size, err := vmBytes(m.Size)
			if err != nil {
				return nil, err
			}
			args = append(args, "--vm", strconv.Itoa(max(m.Workers, 1)), "--vm-bytes", size)
			args = append(args, m.Options...)
		}
	}
	var acts []Action
	for _, p := range pods {
		acts = append(acts, Action{Type: ActStress, Pod: p.Name, Args: slices.Clone(args), Marker: EnvFault + "=" + ref + "/" + p.Name})
	}
	return acts, nil
}

func planHTTP(ref string, s *v1alpha1.HTTPChaosSpec, pods []sandbox.Pod) ([]Action, error) {
	hf := sandbox.HTTPFault{Name: toxicName(ref, "http", "x"), Target: string(s.Target)}
	if s.Path != nil {
		hf.Path = *s.Path
	}
	if s.Method != nil {
		hf.Method = *s.Method
	}
	if s.Code != nil {
		hf.Code = int(*s.Code)
	}
	if s.Abort != nil {
		hf.Abort = *s.Abort
	}
	if s.Delay != nil {
		d, err := time.ParseDuration(*s.Delay)
		if err != nil {
			return nil, fmt.Errorf("delay: %w", err)
		}
		hf.Delay = sandbox.Duration(d)
	}
	if r := s.Replace; r != nil {
		if r.Code != nil {
			hf.ReplaceCode = int(*r.Code)
		}
		hf.ReplaceBody = r.Body
		hf.ReplaceHeaders = r.Headers
	}
	var acts []Action
	for _, p := range pods {
		if p.Labels[sandbox.LabelApp] != sandbox.AppPetclinic {
			return nil, fmt.Errorf("HTTPChaos on %s: only PetClinic replicas sit behind the sandbox's HTTP fault layer", p.Name)
		}
		f := hf
		acts = append(acts, Action{Type: ActHTTPFault, Pod: p.Name, HTTP: &f})
	}
	return acts, nil
}
