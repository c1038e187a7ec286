package spec

import (
	"maps"
	"slices"
	"time"
)

// Defaults, in one place.
const (
	DefaultReplicas         = 3
	DefaultRequestTimeout   = 5 * time.Second
	DefaultProbeInterval    = 5 * time.Second
	DefaultHTTPProbeTimeout = 2 * time.Second
	DefaultLoadWindow       = 10 * time.Second
	DefaultBreaches         = 3
	DefaultErrorWindow      = 10 * time.Second
	DefaultCooldown         = 10 * time.Second
	DefaultNamespace        = "petclinic"
	DefaultDeployment       = "petclinic"
)

// DefaultZones are the sandbox's zones, the values of the
// topology.kubernetes.io/zone label of its replicas.
func DefaultZones() []string { return []string{"zone-a", "zone-b", "zone-c"} }

// DefaultSelector are the labels of the PetClinic pods.
func DefaultSelector() map[string]string { return map[string]string{"app": "petclinic"} }

// defaults fills every field left empty. suiteTarget, when not nil, is the
// target of an experiment that sets none. It is idempotent.
func (e *Experiment) defaults(suiteTarget *Target) {
	s := &e.Spec
	if s.Target == nil {
		s.Target = &Target{}
		if suiteTarget != nil {
			s.Target = suiteTarget.clone()
		}
	}
	s.Target.defaults()

	if s.Load.Timeout == 0 {
		s.Load.Timeout = Duration(DefaultRequestTimeout)
	}
	if s.Load.LatencyBudget == 0 {
		s.Load.LatencyBudget = s.Load.Timeout
	}

	for i := range s.Hypothesis.Probes {
		p := &s.Hypothesis.Probes[i]
		if p.Mode == "" {
			p.Mode = ModeContinuous
		}
		if p.Interval == 0 {
			p.Interval = Duration(DefaultProbeInterval)
		}
		if p.Weight == 0 {
			p.Weight = 1
		}
		if l := p.Load; l != nil && l.Window == 0 {
			l.Window = Duration(DefaultLoadWindow)
		}
		if r := p.Tolerance.relative(); r != nil {
			if r.Runs == 0 {
				r.Runs = DefaultBaselineRuns
			}
			if r.MinRuns == 0 {
				r.MinRuns = min(DefaultBaselineMinRuns, r.Runs)
			}
			if r.WhenTooFewRuns == "" {
				r.WhenTooFewRuns = TooFewRunsFallback
			}
		}
		if h := p.HTTP; h != nil {
			if h.Method == "" {
				h.Method = "GET"
			}
			if h.ExpectStatus == 0 {
				h.ExpectStatus = 200
			}
			if h.Timeout == 0 {
				h.Timeout = Duration(DefaultHTTPProbeTimeout)
			}
		}
	}

	for i := range s.Faults {
		f := &s.Faults[i]
		if sel := f.Spec.PodSelector(); sel != nil && s.Target.Kind == TargetKubernetes &&
			s.Target.Kubernetes != nil && len(sel.Selector.Namespaces) == 0 {
			sel.Selector.Namespaces = []string{s.Target.Kubernetes.Namespace}
		}
		if f.Duration <= 0 {
			continue
		}
		if d := f.Spec.Duration(); d != nil && *d == nil {
			ds := f.Duration.String()
			*d = &ds
		}
	}

	for i := range s.StopConditions {
		c := &s.StopConditions[i]
		if c.Probe != "" && c.Breaches == 0 {
			c.Breaches = DefaultBreaches
		}
		if c.ErrorRatioAbove != nil && c.Window == 0 {
			c.Window = Duration(DefaultErrorWindow)
		}
		if c.Name == "" {
			c.Name = "error-ratio"
			if c.Probe != "" {
				c.Name = c.Probe
			}
		}
	}
}

func (t *Target) defaults() {
	if t.Kind == "" {
		t.Kind = TargetSandbox
	}
	switch t.Kind {
	case TargetSandbox:
		if t.Sandbox == nil {
			t.Sandbox = &SandboxTarget{}
		}
		if t.Sandbox.Replicas == 0 {
			t.Sandbox.Replicas = DefaultReplicas
		}
		if len(t.Sandbox.Zones) == 0 {
			t.Sandbox.Zones = DefaultZones()
		}
	case TargetKubernetes:
		if t.Kubernetes == nil {
			t.Kubernetes = &KubernetesTarget{}
		}
		if t.Kubernetes.Namespace == "" {
			t.Kubernetes.Namespace = DefaultNamespace
		}
		if t.Kubernetes.Deployment == "" {
			t.Kubernetes.Deployment = DefaultDeployment
		}
		if len(t.Kubernetes.Selector) == 0 {
			t.Kubernetes.Selector = DefaultSelector()
		}
	}
}

func (s *Suite) defaults() {
	if s.Spec.Cooldown == 0 {
		s.Spec.Cooldown = Duration(DefaultCooldown)
	}
	if t := s.Spec.Defaults.Target; t != nil {
		t.defaults()
	}
}

// clone is a deep copy of t.
func (t *Target) clone() *Target {
	c := *t
	if t.Sandbox != nil {
		sb := *t.Sandbox
		sb.Zones = slices.Clone(sb.Zones)
		c.Sandbox = &sb
	}
	if t.Kubernetes != nil {
		k := *t.Kubernetes
		k.Selector = maps.Clone(k.Selector)
		c.Kubernetes = &k
	}
	return &c
}

func (t *Tolerance) relative() *RelativeTolerance {
	if t == nil {
		return nil
	}
	return t.Relative
}
