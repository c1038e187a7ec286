package spec

import (
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/genericwebhook"
	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/selector"
)

// ZoneLabel is the well-known label of a pod's zone; the sandbox sets it on
// its replicas as Kubernetes does on nodes (and our Helm chart on pods).
const ZoneLabel = "topology.kubernetes.io/zone"

// RegionLabel is the well-known label of a node's region.
const RegionLabel = "topology.kubernetes.io/region"

// validate checks a fault: its timing against the run, then its Chaos Mesh
// spec, with our own rules first and Chaos Mesh's own webhook validation
// (the genericwebhook validators of api/v1alpha1) last.
func (f *Fault) validate(s *source, p fieldPath, target *Target, run time.Duration) {
	s.checkName(p.key("name"), f.Name)
	k, ok := KindOf(f.Kind)
	if !ok {
		s.errPath(p.key("kind"), "must be one of %s, not %q", list(FaultKinds()...), f.Kind)
		return
	}
	if f.StartAfter < 0 {
		s.errPath(p.key("startAfter"), "must not be negative")
	}
	switch {
	case f.Duration <= 0:
		s.errPath(p.key("duration"), "must be positive")
	case run <= 0:
	case f.StartAfter.D() >= run:
		s.errPath(p.key("startAfter"), "the fault starts at %s, when the load (%s) is over", f.StartAfter, Duration(run))
	case f.Duration.D() > run || f.End().D() > run: // both bounded: no overflow
		s.errPath(p.key("duration"), "the fault ends at %s, after the load (%s)", f.End(), Duration(run))
	}
	sp := p.key("spec")
	if f.Spec.Object() == nil {
		s.errPath(sp, "required")
		return
	}
	before := len(s.errs)
	if d := *f.Spec.Duration(); d != nil && f.Duration > 0 && *d != f.Duration.String() {
		if cd, err := time.ParseDuration(*d); err != nil || cd != f.Duration.D() {
			s.errPath(sp.key("duration"), "%q differs from the fault's duration (%s): set only %s", *d, f.Duration, p.key("duration"))
		}
	}
	for _, sel := range f.Spec.Selectors() {
		checkSelector(s, append(sp[:len(sp):len(sp)], sel.Field...), sel.PodSelector, target)
	}
	checkNodeSelector(s, p.key("nodeSelector"), k, f.NodeSelector, target)
	k.check(s, sp, f, target)
	if len(s.errs) == before {
		webhook(s, sp, f.Spec)
	}
}

// checkSelector checks a Chaos Mesh selector and mode: the mode is known,
// value is set exactly when the mode needs it, and the selector narrows the
// pods (an empty selector hits every pod of the namespace).
func checkSelector(s *source, p fieldPath, sel *v1alpha1.PodSelector, target *Target) {
	if !oneOf(sel.Mode, selector.Modes...) {
		s.errPath(p.key("mode"), "must be one of %s, not %q", list(selector.Modes...), sel.Mode)
	}
	vp := p.key("value")
	switch sel.Mode {
	case v1alpha1.OneMode, v1alpha1.AllMode:
		if sel.Value != "" {
			s.errPath(vp, "only used with modes fixed, fixed-percent and random-max-percent, not %s", sel.Mode)
		}
	case v1alpha1.FixedMode, v1alpha1.FixedPercentMode, v1alpha1.RandomMaxPercentMode:
		n, err := strconv.Atoi(sel.Value)
		switch {
		case sel.Value == "":
			s.errPath(vp, "required with mode %s", sel.Mode)
		case err != nil:
			s.errPath(vp, "%q is not an integer", sel.Value)
		case sel.Mode == v1alpha1.FixedMode && n <= 0:
			s.errPath(vp, "%d: mode fixed needs at least 1 pod", n)
		case sel.Mode != v1alpha1.FixedMode && (n <= 0 || n > 100):
			s.errPath(vp, "%d: mode %s needs a percentage in (0, 100]", n, sel.Mode)
		}
	}
	ss := sel.Selector
	if len(ss.LabelSelectors) == 0 && len(ss.ExpressionSelectors) == 0 && len(ss.Pods) == 0 &&
		len(ss.FieldSelectors) == 0 && len(ss.AnnotationSelectors) == 0 {
		s.errPath(p.key("selector"), "selects every pod of the namespace: set labelSelectors, expressionSelectors or pods")
	}
	if target != nil && target.Kind == TargetSandbox && target.Sandbox != nil {
		if z, ok := ss.LabelSelectors[ZoneLabel]; ok && !slices.Contains(target.Sandbox.Zones, z) {
			s.errPath(p.key("selector").key("labelSelectors").key(ZoneLabel), "the sandbox has no zone %q (zones: %s)", z, strings.Join(target.Sandbox.Zones, ", "))
		}
	}
}

func checkPodChaos(s *source, p fieldPath, spec *v1alpha1.PodChaosSpec) {
	actions := []v1alpha1.PodChaosAction{v1alpha1.PodKillAction, v1alpha1.PodFailureAction, v1alpha1.ContainerKillAction}
	if !oneOf(spec.Action, actions...) {
		s.errPath(p.key("action"), "must be one of %s, not %q", list(actions...), spec.Action)
	}
	if spec.GracePeriod < 0 {
		s.errPath(p.key("gracePeriod"), "must not be negative")
	}
}

func checkNetworkChaos(s *source, p fieldPath, spec *v1alpha1.NetworkChaosSpec, target *Target) {
	actions := []v1alpha1.NetworkChaosAction{v1alpha1.NetemAction, v1alpha1.DelayAction, v1alpha1.LossAction,
		v1alpha1.DuplicateAction, v1alpha1.CorruptAction, v1alpha1.PartitionAction, v1alpha1.BandwidthAction}
	if !oneOf(spec.Action, actions...) {
		s.errPath(p.key("action"), "must be one of %s, not %q", list(actions...), spec.Action)
		return
	}
	params := map[string]bool{
		"delay": spec.Delay != nil, "loss": spec.Loss != nil, "duplicate": spec.Duplicate != nil,
		"corrupt": spec.Corrupt != nil, "bandwidth": spec.Bandwidth != nil, "rate": spec.Rate != nil,
	}
	a := string(spec.Action)
	switch spec.Action {
	case v1alpha1.NetemAction:
		if !params["delay"] && !params["loss"] && !params["duplicate"] && !params["corrupt"] && !params["rate"] {
			s.errPath(p, "action netem needs at least one of delay, loss, duplicate, corrupt and rate")
		}
		if params["bandwidth"] {
			s.errPath(p.key("bandwidth"), "only used with action bandwidth")
		}
	case v1alpha1.PartitionAction:
		for _, k := range slices.Sorted(maps.Keys(params)) {
			if params[k] {
				s.errPath(p.key(k), "not used with action partition")
			}
		}
		if spec.Target == nil && len(spec.ExternalTargets) == 0 {
			s.errPath(p.key("target"), "action partition needs a target or externalTargets to cut the pods from")
		}
	default:
		if !params[a] {
			s.errPath(p.key(a), "required with action %s", a)
		}
		for _, k := range slices.Sorted(maps.Keys(params)) {
			if params[k] && k != a {
				s.errPath(p.key(k), "only used with action %s or netem", k)
			}
		}
	}
	directions := []v1alpha1.Direction{v1alpha1.To, v1alpha1.From, v1alpha1.Both}
	if spec.Direction != "" && !oneOf(spec.Direction, directions...) {
		s.errPath(p.key("direction"), "must be one of %s, not %q", list(directions...), spec.Direction)
	}
}

func checkStressChaos(s *source, p fieldPath, spec *v1alpha1.StressChaosSpec) {
	st := spec.Stressors
	if (st == nil || (st.CPUStressor == nil && st.MemoryStressor == nil)) && spec.StressngStressors == "" {
		s.errPath(p.key("stressors"), "set a cpu or memory stressor (or stressngStressors)")
		return
	}
	if st == nil {
		return
	}
	if c := st.CPUStressor; c != nil {
		if c.Workers <= 0 {
			s.errPath(p.key("stressors").key("cpu").key("workers"), "%d: must be at least 1", c.Workers)
		}
		if c.Load != nil && (*c.Load < 0 || *c.Load > 100) {
			s.errPath(p.key("stressors").key("cpu").key("load"), "%d: must be a percentage in [0, 100]", *c.Load)
		}
	}
	if m := st.MemoryStressor; m != nil && m.Workers <= 0 {
		s.errPath(p.key("stressors").key("memory").key("workers"), "%d: must be at least 1", m.Workers)
	}
}

func checkHTTPChaos(s *source, p fieldPath, spec *v1alpha1.HTTPChaosSpec) {
	if !oneOf(spec.Target, v1alpha1.PodHttpRequest, v1alpha1.PodHttpResponse) {
		s.errPath(p.key("target"), "must be one of %s, not %q", list(v1alpha1.PodHttpRequest, v1alpha1.PodHttpResponse), spec.Target)
	}
	if spec.Port <= 0 || spec.Port > 65535 {
		s.errPath(p.key("port"), "the port the pods serve HTTP on is required (1-65535)")
	}
	if spec.Abort == nil && spec.Delay == nil && spec.Replace == nil && spec.Patch == nil {
		s.errPath(p, "set at least one action: abort, delay, replace or patch")
	}
	if spec.Abort != nil && !*spec.Abort {
		s.errPath(p.key("abort"), "false does nothing: remove it or set true")
	}
	if r := spec.Replace; r != nil && r.Code != nil && (*r.Code < 100 || *r.Code > 599) {
		s.errPath(p.key("replace").key("code"), "%d is not an HTTP status", *r.Code)
	}
	if spec.Code != nil && spec.Target != v1alpha1.PodHttpResponse {
		s.errPath(p.key("code"), "only matches responses: use it with target Response")
	}
}

func checkDNSChaos(s *source, p fieldPath, spec *v1alpha1.DNSChaosSpec) {
	actions := []v1alpha1.DNSChaosAction{v1alpha1.ErrorAction, v1alpha1.RandomAction}
	if !oneOf(spec.Action, actions...) {
		s.errPath(p.key("action"), "must be one of %s, not %q", list(actions...), spec.Action)
	}
	for i, pat := range spec.DomainNamePatterns {
		if j := strings.IndexByte(pat, '*'); pat == "" || (j >= 0 && j != len(pat)-1) {
			s.errPath(p.key("patterns").index(i), "%q: a domain name, with ? for one character and * only at the end (chaos-mesh.*)", pat)
		}
	}
}

// clockIDs are the clocks a TimeChaos may shift (Chaos Mesh's list).
var clockIDs = []string{"CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
	"CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME", "CLOCK_REALTIME_ALARM", "CLOCK_BOOTTIME_ALARM"}

func checkTimeChaos(s *source, p fieldPath, spec *v1alpha1.TimeChaosSpec) {
	if spec.TimeOffset == "" {
		s.errPath(p.key("timeOffset"), "required: how far to shift the clocks, e.g. -10m or 1h")
	}
	for i, id := range spec.ClockIds {
		if !slices.Contains(clockIDs, id) {
			s.errPath(p.key("clockIds").index(i), "must be one of %s, not %q", strings.Join(clockIDs, ", "), id)
		}
	}
}

// checkNodeSelector: only a node-level kind takes a nodeSelector, and it
// must narrow the nodes (an empty one would take every node of the
// cluster).
func checkNodeSelector(s *source, p fieldPath, k *Kind, sel map[string]string, target *Target) {
	switch {
	case sel == nil:
	case !k.NodeLevel:
		s.errPath(p, "only used with kinds that act on nodes (%s), not %s", list(nodeLevelKinds()...), k.Name)
	case len(sel) == 0:
		s.errPath(p, "selects every node of the cluster: name at least one label, e.g. %s: zone-a", ZoneLabel)
	}
	if target != nil && target.Kind == TargetSandbox && target.Sandbox != nil {
		if z, ok := sel[ZoneLabel]; ok && !slices.Contains(target.Sandbox.Zones, z) {
			s.errPath(p.key(ZoneLabel), "the sandbox has no zone %q (zones: %s)", z, strings.Join(target.Sandbox.Zones, ", "))
		}
	}
}

func nodeLevelKinds() []FaultKind {
	var out []FaultKind
	for _, k := range kinds {
		if k.NodeLevel {
			out = append(out, k.Name)
		}
	}
	return out
}

func checkAWSChaos(s *source, p fieldPath, spec *v1alpha1.AWSChaosSpec, nodes map[string]string) {
	actions := []v1alpha1.AWSChaosAction{v1alpha1.Ec2Stop, v1alpha1.Ec2Restart, v1alpha1.DetachVolume}
	if !oneOf(spec.Action, actions...) {
		s.errPath(p.key("action"), "must be one of %s, not %q", list(actions...), spec.Action)
	}
	fault := p[:len(p)-1]
	switch {
	case nodes != nil && spec.Ec2Instance != "":
		s.errPath(p.key("ec2Instance"), "set by gameday for each node of %s: leave it out", fault.key("nodeSelector"))
	case nodes != nil && spec.Action == v1alpha1.DetachVolume:
		s.errPath(p.key("action"), "detach-volume needs a volume per instance: use ec2-stop or ec2-restart with %s, or name the instance and its volume", fault.key("nodeSelector"))
	case nodes == nil && spec.Ec2Instance == "":
		s.errPath(p.key("ec2Instance"), "required: the instance to act on, or %s to act on every node of a zone", fault.key("nodeSelector"))
	case nodes == nil && spec.AWSRegion == "":
		s.errPath(p.key("awsRegion"), "required with ec2Instance (with %s, each node's region is read from its %s label)", fault.key("nodeSelector"), RegionLabel)
	}
	if spec.Action == v1alpha1.DetachVolume && nodes == nil && (spec.EbsVolume == nil || spec.DeviceName == nil) {
		s.errPath(p, "action detach-volume needs volumeID and deviceName")
	}
}

// webhook runs Chaos Mesh's own defaulting and validation on a copy of the
// spec, as its admission webhooks would, and reports each error at our
// path of the field.
func webhook(s *source, p fieldPath, fs FaultSpec) {
	obj := fs.DeepCopy().Object()
	genericwebhook.Default(obj)
	for _, e := range genericwebhook.Validate(obj) {
		fp := jsonPath(reflect.TypeOf(obj).Elem(), e.Field)
		if len(fp) > 0 && fp[0] == "spec" {
			fp = fp[1:]
		}
		s.errPath(append(p[:len(p):len(p)], fp...), "chaos mesh: %s", e.ErrorBody())
	}
}

var pathSegment = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// jsonPath turns a Chaos Mesh field path made of Go field names
// ("Spec.TcParameter.Delay.Latency") into our path of json names
// (spec.delay.latency): inline embedded structs vanish.
func jsonPath(t reflect.Type, goPath string) fieldPath {
	var out fieldPath
	for _, m := range pathSegment.FindAllStringSubmatch(goPath, -1) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if m[2] != "" {
			i, _ := strconv.Atoi(m[2])
			out = append(out, i)
			if t.Kind() == reflect.Slice {
				t = t.Elem()
			}
			continue
		}
		name := m[1]
		if t.Kind() != reflect.Struct {
			out = append(out, name)
			continue
		}
		sf, ok := t.FieldByName(name)
		if !ok {
			for _, f := range jsonFields(t).list {
				if f.name == name {
					sf, ok = reflect.StructField{Name: name, Type: f.typ, Tag: reflect.StructTag(`json:"` + name + `"`)}, true
				}
			}
		}
		if !ok {
			out = append(out, name)
			continue
		}
		t = sf.Type
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		switch {
		case sf.Anonymous && tag == "":
			// inline: no segment
		case tag != "":
			out = append(out, tag)
		default:
			out = append(out, sf.Name)
		}
	}
	return out
}
