package spec

import (
	"errors"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/gamedayhq/gameday/harness/internal/logql"
)

// ValidateOptions carry what validation needs from other packages, so that
// this package imports none of them.
type ValidateOptions struct {
	// Journeys are the journey names the load generator knows
	// (load.JourneyNames()); nil skips the check of journey names.
	Journeys []string
	// TargetKinds refuses, at spec.faults[i].kind, a fault kind the engine
	// of the experiment's target does not inject (the table's Targets), as
	// gameday validate does. Off where the target may still change:
	// gameday run's --target overrides the file's, and the engine refuses
	// the kind then.
	TargetKinds bool
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// checkName reports a name that is not a DNS label.
func (s *source) checkName(p fieldPath, name string) {
	if name == "" {
		s.errPath(p, "required")
		return
	}
	if len(name) > 63 || !dnsLabel.MatchString(name) {
		s.errPath(p, "%q is not a DNS label (lowercase letters, digits and '-', at most 63 characters)", name)
	}
}

func oneOf[T ~string](v T, allowed ...T) bool { return slices.Contains(allowed, v) }

func list[T ~string](allowed ...T) string {
	s := make([]string, len(allowed))
	for i, a := range allowed {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func (s *source) checkHeader(apiVersion, kind, wantKind string, m Metadata) {
	if apiVersion != APIVersion {
		s.errPath(fieldPath{"apiVersion"}, "must be %q, not %q", APIVersion, apiVersion)
	}
	if kind != wantKind {
		s.errPath(fieldPath{"kind"}, "must be %q, not %q", wantKind, kind)
	}
	s.checkName(fieldPath{"metadata", "name"}, m.Name)
	switch n := words(m.Description); {
	case n == 0:
		s.errPath(fieldPath{"metadata", "description"}, "required")
	case n > MaxDescription:
		s.errPath(fieldPath{"metadata", "description"}, "%d words: at most %d", n, MaxDescription)
	}
	for k := range m.Labels {
		if k == "" {
			s.errPath(fieldPath{"metadata", "labels"}, "empty label key")
		}
	}
}

// validate checks e as a whole, after defaults: every cross-field rule is
// here.
func (e *Experiment) validate(s *source, opts ValidateOptions) {
	s.checkHeader(e.APIVersion, e.Kind, KindExperiment, e.Metadata)
	sp := fieldPath{"spec"}
	run := e.Spec.Load.Duration.D()
	if e.Spec.Target != nil {
		e.Spec.Target.validate(s, sp.key("target"))
	}
	e.Spec.Load.validate(s, sp.key("load"), opts)

	probes := map[string]*Probe{}
	pp := sp.key("hypothesis").key("probes")
	if len(e.Spec.Hypothesis.Probes) == 0 {
		s.errPath(pp, "at least one probe is required")
	}
	for i := range e.Spec.Hypothesis.Probes {
		p := &e.Spec.Hypothesis.Probes[i]
		if probes[p.Name] != nil {
			s.errPath(pp.index(i).key("name"), "duplicate probe name %q", p.Name)
		}
		probes[p.Name] = p
		p.validate(s, pp.index(i), run)
	}

	fp := sp.key("faults")
	names := map[string]bool{}
	var firstStart, lastEnd time.Duration = run, 0
	for i := range e.Spec.Faults {
		f := &e.Spec.Faults[i]
		if names[f.Name] {
			s.errPath(fp.index(i).key("name"), "duplicate fault name %q", f.Name)
		}
		names[f.Name] = true
		f.validate(s, fp.index(i), e.Spec.Target, run)
		if opts.TargetKinds && e.Spec.Target != nil {
			checkTargetKind(s, fp.index(i).key("kind"), f.Kind, e.Spec.Target.Kind)
		}
		firstStart = min(firstStart, f.StartAfter.D())
		lastEnd = max(lastEnd, f.End().D())
	}

	var within time.Duration
	if r := e.Spec.Recovery; r != nil {
		within = r.Within.D()
	}
	for i, p := range e.Spec.Hypothesis.Probes {
		mp := pp.index(i).key("mode")
		switch {
		case p.Mode == ModeDuring && len(e.Spec.Faults) == 0:
			s.errPath(mp, "a during probe needs at least one fault")
		case p.Mode == ModeBefore && len(e.Spec.Faults) > 0 && firstStart < p.Interval.D():
			s.errPath(mp, "a before probe needs one interval (%s) before the first fault, which starts at %s", p.Interval, Duration(firstStart))
		case p.Mode == ModeAfter && lastEnd+within+p.Interval.D() > run:
			s.errPath(mp, "an after probe needs one interval (%s) between the end of the last fault and its recovery (%s) and the end of the load (%s)",
				p.Interval, Duration(lastEnd+within), Duration(run))
		}
	}

	cp := sp.key("stopConditions")
	for i, c := range e.Spec.StopConditions {
		c.validate(s, cp.index(i), probes, run)
	}

	if r := e.Spec.Recovery; r != nil {
		rp := sp.key("recovery")
		if r.Within <= 0 || r.Within.D() > run {
			s.errPath(rp.key("within"), "%s: must be positive and at most the load's duration", r.Within)
		}
		for _, f := range e.Spec.Faults {
			if f.Duration <= 0 || f.StartAfter < 0 || f.Duration.D() > run || f.StartAfter.D() > run || r.Within.D() > run {
				continue // reported above; the sum below cannot overflow
			}
			if end := f.End().D() + r.Within.D(); end > run {
				s.errPath(rp.key("within"), "fault %q ends at %s: its recovery window ends at %s, after the load (%s)", f.Name, f.End(), Duration(end), Duration(run))
			}
		}
		if len(r.Probes) == 0 {
			s.errPath(rp.key("probes"), "name at least one probe")
		}
		seen := map[string]bool{}
		for i, name := range r.Probes {
			p, ok := probes[name]
			switch {
			case !ok:
				s.errPath(rp.key("probes").index(i), "no probe named %q", name)
			case seen[name]:
				s.errPath(rp.key("probes").index(i), "probe %q is named twice", name)
			case p.Mode == ModeBefore:
				s.errPath(rp.key("probes").index(i), "probe %q has mode before: it is not measured after a fault", name)
			}
			seen[name] = true
		}
	}
}

func (t *Target) validate(s *source, p fieldPath) {
	if !oneOf(t.Kind, TargetSandbox, TargetKubernetes) {
		s.errPath(p.key("kind"), "must be one of %s, not %q", list(TargetSandbox, TargetKubernetes), t.Kind)
	}
	if t.Kind != TargetSandbox && t.Sandbox != nil {
		s.errPath(p.key("sandbox"), "only used with kind sandbox")
	}
	if t.Kind != TargetKubernetes && t.Kubernetes != nil {
		s.errPath(p.key("kubernetes"), "only used with kind kubernetes")
	}
	if sb := t.Sandbox; sb != nil && t.Kind == TargetSandbox {
		if sb.Replicas < 1 || sb.Replicas > 12 {
			s.errPath(p.key("sandbox").key("replicas"), "%d: must be between 1 and 12", sb.Replicas)
		}
		seen := map[string]bool{}
		for i, z := range sb.Zones {
			zp := p.key("sandbox").key("zones").index(i)
			s.checkName(zp, z)
			if seen[z] {
				s.errPath(zp, "duplicate zone %q", z)
			}
			seen[z] = true
		}
	}
	if k := t.Kubernetes; k != nil && t.Kind == TargetKubernetes {
		s.checkName(p.key("kubernetes").key("namespace"), k.Namespace)
		s.checkName(p.key("kubernetes").key("deployment"), k.Deployment)
		s.checkURL(p.key("kubernetes").key("url"), k.URL)
	}
	s.checkURL(p.key("prometheusURL"), t.PrometheusURL)
	s.checkURL(p.key("lokiURL"), t.LokiURL)
}

// checkURL reports a non-empty u that is not an absolute http(s) URL.
func (s *source) checkURL(p fieldPath, u string) {
	if u == "" {
		return
	}
	if x, err := url.Parse(u); err != nil || (x.Scheme != "http" && x.Scheme != "https") || x.Host == "" {
		s.errPath(p, "%q is not an absolute http(s) URL", u)
	}
}

func (l *Load) validate(s *source, p fieldPath, opts ValidateOptions) {
	run := l.Duration.D()
	if run <= 0 || run > MaxRunDuration {
		s.errPath(p.key("duration"), "%s: must be positive and at most %s", l.Duration, MaxRunDuration)
	}
	rate := func(p fieldPath, r float64, zeroOK bool) {
		if !finite(r) || r < 0 || (!zeroOK && r == 0) || r > MaxRate {
			lo := "above 0"
			if zeroOK {
				lo = "at least 0"
			}
			s.errPath(p, "%g requests/s: must be %s and at most %d", r, lo, MaxRate)
		}
	}
	pp := p.key("profile")
	set := 0
	if c := l.Profile.Constant; c != nil {
		set++
		rate(pp.key("constant").key("rate"), c.Rate, false)
	}
	if r := l.Profile.Ramp; r != nil {
		set++
		rate(pp.key("ramp").key("from"), r.From, true)
		rate(pp.key("ramp").key("to"), r.To, true)
		if r.From == 0 && r.To == 0 {
			s.errPath(pp.key("ramp"), "from and to are both 0: the ramp sends nothing")
		}
	}
	if st := l.Profile.Steps; len(st) > 0 {
		set++
		var total time.Duration
		var peak float64
		for i, step := range st {
			rate(pp.key("steps").index(i).key("rate"), step.Rate, true)
			if step.Duration <= 0 {
				s.errPath(pp.key("steps").index(i).key("duration"), "must be positive")
			}
			total += step.Duration.D()
			peak = max(peak, step.Rate)
		}
		if total != run {
			s.errPath(pp.key("steps"), "the steps last %s, the load %s: they must add up", Duration(total), l.Duration)
		}
		if peak == 0 {
			s.errPath(pp.key("steps"), "every step has rate 0: the load sends nothing")
		}
	}
	if set != 1 {
		s.errPath(pp, "set exactly one of constant, ramp and steps")
	}

	jp := p.key("journeys")
	if len(l.Journeys) == 0 {
		s.errPath(jp, "at least one journey is required")
	}
	seen := map[string]bool{}
	for i, j := range l.Journeys {
		switch {
		case j.Name == "":
			s.errPath(jp.index(i).key("name"), "required")
		case seen[j.Name]:
			s.errPath(jp.index(i).key("name"), "duplicate journey %q", j.Name)
		case opts.Journeys != nil && !slices.Contains(opts.Journeys, j.Name):
			s.errPath(jp.index(i).key("name"), "unknown journey %q: one of %s", j.Name, strings.Join(opts.Journeys, ", "))
		}
		seen[j.Name] = true
		if !finite(j.Weight) || j.Weight <= 0 {
			s.errPath(jp.index(i).key("weight"), "%g: must be above 0", j.Weight)
		}
	}
	if l.Timeout <= 0 || l.Timeout.D() > MaxRequestTimeout {
		s.errPath(p.key("timeout"), "%s: must be positive and at most %s", l.Timeout, MaxRequestTimeout)
	}
	if l.LatencyBudget <= 0 || l.LatencyBudget > l.Timeout {
		s.errPath(p.key("latencyBudget"), "%s: must be positive and at most the timeout (%s): a request ends at its timeout", l.LatencyBudget, l.Timeout)
	}
	if l.MaxWorkers < 0 || l.MaxWorkers > MaxWorkers {
		s.errPath(p.key("maxWorkers"), "%d: must be between 1 and %d (or unset: derived from the rate and the latency budget)", l.MaxWorkers, MaxWorkers)
	}
}

var promql = parser.NewParser(parser.Options{})

// headerName is an HTTP field name: a token of RFC 9110.
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func (pr *Probe) validate(s *source, p fieldPath, run time.Duration) {
	s.checkName(p.key("name"), pr.Name)
	types := []ProbeType{ProbeHTTP, ProbePromQL, ProbeLogQL, ProbeLoad}
	if !oneOf(pr.Type, types...) {
		s.errPath(p.key("type"), "must be one of %s, not %q", list(types...), pr.Type)
	}
	blocks := map[ProbeType]bool{ProbeHTTP: pr.HTTP != nil, ProbePromQL: pr.PromQL != nil, ProbeLogQL: pr.LogQL != nil, ProbeLoad: pr.Load != nil}
	for _, t := range types {
		switch {
		case t == pr.Type && !blocks[t]:
			s.errPath(p.key(string(t)), "required for a probe of type %s", t)
		case t != pr.Type && blocks[t]:
			s.errPath(p.key(string(t)), "not used by a probe of type %s", pr.Type)
		}
	}
	if pr.Type != ProbeHTTP && pr.Tolerance == nil && oneOf(pr.Type, types...) {
		s.errPath(p.key("tolerance"), "required for a probe of type %s", pr.Type)
	}
	if t := pr.Tolerance; t != nil {
		t.validate(s, p.key("tolerance"))
	}
	modes := []ProbeMode{ModeBefore, ModeDuring, ModeAfter, ModeContinuous}
	if !oneOf(pr.Mode, modes...) {
		s.errPath(p.key("mode"), "must be one of %s, not %q", list(modes...), pr.Mode)
	}
	if pr.Interval.D() < time.Second || (run > 0 && pr.Interval.D() > run) {
		s.errPath(p.key("interval"), "%s: must be at least 1s and at most the load's duration", pr.Interval)
	}
	if !finite(pr.Weight) || pr.Weight <= 0 {
		s.errPath(p.key("weight"), "%g: must be above 0", pr.Weight)
	}
	if h := pr.HTTP; h != nil {
		hp := p.key("http")
		switch {
		case (h.URL == "") == (h.Path == ""):
			s.errPath(hp, "set exactly one of url and path")
		case h.URL != "":
			s.checkURL(hp.key("url"), h.URL)
		case !strings.HasPrefix(h.Path, "/"):
			s.errPath(hp.key("path"), "%q must start with /", h.Path)
		}
		methods := []string{"GET", "HEAD", "POST"}
		if !oneOf(h.Method, methods...) {
			s.errPath(hp.key("method"), "must be one of %s, not %q", list(methods...), h.Method)
		}
		for _, k := range slices.Sorted(maps.Keys(h.Headers)) {
			switch {
			case !headerName.MatchString(k):
				s.errPath(hp.key("headers").key(k), "%q is not an HTTP header name", k)
			case strings.ContainsFunc(h.Headers[k], func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
				s.errPath(hp.key("headers").key(k), "the value holds a control character (a line break?)")
			}
		}
		if h.Body != "" && h.Method != "POST" {
			s.errPath(hp.key("body"), "only sent with method POST, not %s", h.Method)
		}
		if h.ExpectStatus < 100 || h.ExpectStatus > 599 {
			s.errPath(hp.key("expectStatus"), "%d is not an HTTP status", h.ExpectStatus)
		}
		if h.Timeout <= 0 || h.Timeout > pr.Interval {
			s.errPath(hp.key("timeout"), "%s: must be positive and at most the interval (%s)", h.Timeout, pr.Interval)
		}
	}
	if l := pr.Load; l != nil {
		lp := p.key("load")
		metrics := []LoadMetric{LoadP50, LoadP95, LoadP99, LoadErrorRatio}
		if !oneOf(l.Metric, metrics...) {
			s.errPath(lp.key("metric"), "must be one of %s, not %q", list(metrics...), l.Metric)
		}
		if l.Window.D() < time.Second || l.Window.D() > MaxLoadWindow {
			s.errPath(lp.key("window"), "%s: must be at least 1s and at most %s", l.Window, MaxLoadWindow)
		}
	}
	if q := pr.PromQL; q != nil {
		qp := p.key("promql").key("query")
		expr, err := promql.ParseExpr(q.Query)
		switch {
		case strings.TrimSpace(q.Query) == "":
			s.errPath(qp, "required")
		case err != nil:
			var perrs parser.ParseErrors
			if errors.As(err, &perrs) && len(perrs) > 0 {
				s.errInScalar(qp, int(perrs[0].PositionRange.Start), "invalid PromQL: %s", perrs[0].Err)
			} else {
				s.errPath(qp, "invalid PromQL: %s", err)
			}
		case expr.Type() != parser.ValueTypeVector && expr.Type() != parser.ValueTypeScalar:
			s.errPath(qp, "must return an instant vector or a scalar, not a %s", expr.Type())
		}
	}
	if q := pr.LogQL; q != nil {
		qp := p.key("logql").key("query")
		if l, err := logql.Parse(q.Query); err != nil {
			var le *logql.Error
			errors.As(err, &le)
			s.errInScalar(qp, le.Pos, "invalid LogQL: %s", le.Msg)
		} else if !l.Metric {
			s.errPath(qp, "a log query returns lines: a LogQL probe needs a metric query returning one value, e.g. sum(count_over_time(%s [1m]))", strings.TrimSpace(q.Query))
		}
	}
}

func (t *Tolerance) validate(s *source, p fieldPath) {
	switch fixed := t.Threshold != nil || t.Range != nil; {
	case t.Threshold != nil && t.Range != nil:
		s.errPath(p, "set exactly one of threshold and range")
	case t.Relative == nil && !fixed:
		s.errPath(p, "set exactly one of threshold and range (or relative)")
	case t.Relative != nil:
		t.Relative.validate(s, p.key("relative"), fixed)
	}
	if th := t.Threshold; th != nil {
		ops := []Op{OpLT, OpLE, OpGT, OpGE, OpEQ}
		if !oneOf(th.Op, ops...) {
			s.errPath(p.key("threshold").key("op"), "must be one of %s, not %q", list(ops...), th.Op)
		}
	}
	if r := t.Range; r != nil && r.Min > r.Max {
		s.errPath(p.key("range"), "min %g is above max %g", r.Min, r.Max)
	}
}

func (r *RelativeTolerance) validate(s *source, p fieldPath, fixed bool) {
	ops := []Op{OpLT, OpLE, OpGT, OpGE}
	if !oneOf(r.Op, ops...) {
		s.errPath(p.key("op"), "must be one of %s, not %q", list(ops...), r.Op)
	}
	switch {
	case (r.Factor == 0) == (r.MADs == 0):
		s.errPath(p, "set exactly one of factor and mads")
	case r.Factor != 0 && (!finite(r.Factor) || r.Factor <= 0):
		s.errPath(p.key("factor"), "%g: must be above 0", r.Factor)
	case r.MADs != 0 && (!finite(r.MADs) || r.MADs <= 0):
		s.errPath(p.key("mads"), "%g: must be above 0", r.MADs)
	}
	if !finite(r.MinMargin) || r.MinMargin < 0 {
		s.errPath(p.key("minMargin"), "%g: must be 0 or more", r.MinMargin)
	}
	if r.Runs < 1 || r.Runs > MaxBaselineRuns {
		s.errPath(p.key("runs"), "%d: must be between 1 and %d", r.Runs, MaxBaselineRuns)
	}
	if r.MinRuns < 1 || r.MinRuns > r.Runs {
		s.errPath(p.key("minRuns"), "%d: must be between 1 and runs (%d)", r.MinRuns, r.Runs)
	}
	switch r.WhenTooFewRuns {
	case TooFewRunsFallback:
		if !fixed {
			s.errPath(p.key("whenTooFewRuns"), "fallback needs the fixed tolerance to fall back to: set threshold or range beside relative, or whenTooFewRuns: fail")
		}
	case TooFewRunsFail:
	default:
		s.errPath(p.key("whenTooFewRuns"), "must be one of fallback, fail, not %q", r.WhenTooFewRuns)
	}
}

func (c StopCondition) validate(s *source, p fieldPath, probes map[string]*Probe, run time.Duration) {
	if (c.Probe == "") == (c.ErrorRatioAbove == nil) {
		s.errPath(p, "set exactly one of probe and errorRatioAbove")
		return
	}
	if c.Probe != "" {
		if probes[c.Probe] == nil {
			s.errPath(p.key("probe"), "no probe named %q", c.Probe)
		}
		if c.Breaches < 1 {
			s.errPath(p.key("breaches"), "%d: must be at least 1", c.Breaches)
		}
		if c.Window != 0 {
			s.errPath(p.key("window"), "only used with errorRatioAbove")
		}
	}
	if r := c.ErrorRatioAbove; r != nil {
		if !finite(*r) || *r <= 0 || *r > 1 {
			s.errPath(p.key("errorRatioAbove"), "%g: must be above 0 and at most 1", *r)
		}
		if c.Breaches != 0 {
			s.errPath(p.key("breaches"), "only used with probe")
		}
		if c.Window.D() < time.Second || (run > 0 && c.Window.D() > run) {
			s.errPath(p.key("window"), "%s: must be at least 1s and at most the load's duration", c.Window)
		}
	}
}

// validate checks the suite's own fields; its experiments are checked when
// they are loaded.
func (st *Suite) validate(s *source) {
	s.checkHeader(st.APIVersion, st.Kind, KindSuite, st.Metadata)
	sp := fieldPath{"spec"}
	if t := st.Spec.Defaults.Target; t != nil {
		t.validate(s, sp.key("defaults").key("target"))
	}
	ep := sp.key("experiments")
	if len(st.Spec.Experiments) == 0 {
		s.errPath(ep, "at least one experiment is required")
	}
	seen := map[string]bool{}
	for i, e := range st.Spec.Experiments {
		switch {
		case e.File == "":
			s.errPath(ep.index(i).key("file"), "required")
		case !strings.HasSuffix(e.File, ".yaml") && !strings.HasSuffix(e.File, ".yml"):
			s.errPath(ep.index(i).key("file"), "%q is not a .yaml file", e.File)
		case seen[e.File]:
			s.errPath(ep.index(i).key("file"), "%q is listed twice", e.File)
		}
		seen[e.File] = true
	}
	if st.Spec.Cooldown < 0 || st.Spec.Cooldown.D() > 10*time.Minute {
		s.errPath(sp.key("cooldown"), "%s: must be between 0s and 10m", st.Spec.Cooldown)
	}
	if r := st.Spec.Regression; r != nil {
		r.validate(s, sp.key("regression"))
	}
}
