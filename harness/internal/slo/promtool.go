package slo

import (
	"fmt"
	"math"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Promtool unit tests of an SLO's rules: for every line of the Workbook's
// table, three bursts of errors after clean traffic as long as the longest
// window of the table (3d), so that every window the rules read holds data
// and computes its ratio over its own length, not over whatever history
// the test happens to have:
//
//   - above: the long window at 1.05× the threshold: the line fires, and
//     no other line does except one its burst implies (3× over 1d is 1×
//     over 3d and 3× over 2h is 1× over 6h: the 1d line cannot fire
//     without the 3d one; implied says so from the table's arithmetic);
//   - below: a burst of half the long window at 1.9×, so the long window
//     is at 0.95× while the short one is far above: no line fires (a long
//     window shorter than written would fire);
//   - reset: a burst for the long window, then clean traffic for 1.5× the
//     short window (of the line, or of a line it implies when longer: 6h
//     for the 1d line): the long window is still at 1.25×, the short one
//     is clean, no line fires (the short window ends the alert).
//
// The alerts expected at the end are not read from the rules: they come
// from the arithmetic of windowRatio, so a wrong expression, threshold or
// window in the rules fails the test (TestPromtoolTestsPassAndCatchWrongRules
// checks that). Every case lists the exact set of the SLO's alerts that
// fire (they share one alertname, told apart by long_window), so an alert
// of another line firing fails the case as much as the line's own missing.

const (
	testEvents = 1000 // events per minute
	testEvery  = 15   // minutes between evaluations of the rules
	// testStep: minutes between the samples of the input series. 5m keeps
	// three days of history cheap for promtool (a fifth of the samples of
	// 1m) and is still exact: samples fall on every evaluation and on both
	// ends of every window, the shortest of which (5m) holds two.
	testStep = 5
	// testMargin: no window's ratio may be this close to a threshold, so
	// that the expectation does not hang on rounding.
	testMargin = 0.02
)

// A burst is one test: History minutes of clean traffic, Minutes of errors
// at Ratio, then Tail minutes of clean traffic.
type burst struct {
	Alert                  BurnAlert
	Case                   string
	History, Minutes, Tail int
	Ratio                  float64
}

// history is the clean traffic before every burst: the longest window of
// the table, so that no window's ratio is computed over less than its
// length.
func history() int {
	h := 0
	for _, a := range BurnAlerts {
		long, _ := ParseWindow(a.Long)
		h = max(h, int(long.D.Minutes()))
	}
	return h
}

// implied says whether a burst that fires line a necessarily fires line k
// too: k's windows contain a's, and k's threshold over them is no more
// than a's threshold spread over them (factor × window not above a's).
func implied(a, k BurnAlert) bool {
	w := func(s string) float64 { d, _ := ParseWindow(s); return d.D.Minutes() }
	return w(k.Long) >= w(a.Long) && w(k.Short) >= w(a.Short) &&
		k.Factor*w(k.Long) <= a.Factor*w(a.Long) && k.Factor*w(k.Short) <= a.Factor*w(a.Short)
}

func (s *SLO) bursts() []burst {
	var out []burst
	h := history()
	for _, a := range BurnAlerts {
		long, _ := ParseWindow(a.Long)
		short, _ := ParseWindow(a.Short)
		l, th := int(long.D.Minutes()), a.Factor*s.Budget()
		// The tail: 1.5× the short window, in whole evaluations of the
		// tests (promtool judges at the last evaluation before eval_time).
		// The lines a burst of a implies end with it: the tail is as long
		// as the longest of their short windows needs.
		for _, k := range BurnAlerts {
			if ks, _ := ParseWindow(k.Short); implied(a, k) && ks.D > short.D {
				short = ks
			}
		}
		tail := int(math.Ceil(1.5*short.D.Minutes()/testEvery) * testEvery)
		// below: half the long window at 1.9×; with a low objective (a
		// ratio above 1 is impossible) a shorter burst at a ratio within
		// reach, in whole evaluations.
		r, half := 1.9*th, l/2
		if r > 1 {
			r = (1 + th) / 2
			half = max(testEvery, int(math.Round(0.95*th*float64(l)/r/testEvery))*testEvery)
		}
		out = append(out,
			burst{a, "above", h, l, 0, 1.05 * th},
			burst{a, "below", h, half, 0, r},
			burst{a, "reset", h, l, tail, min(1, 1.25*th*float64(l)/float64(l-tail))},
		)
	}
	return out
}

// windowRatio is the error ratio over the window w at the end of b: the
// errors of the burst in the window over the events of the window (or of
// all the data when the window is longer).
func (b burst) windowRatio(w string) float64 {
	d, _ := ParseWindow(w)
	m := d.D.Minutes()
	overlap := max(0, min(m, float64(b.Tail+b.Minutes))-float64(b.Tail))
	return b.Ratio * overlap / min(m, float64(b.History+b.Minutes+b.Tail))
}

// firing are the lines of the table that fire at the end of b; an error
// when a ratio is too close to its threshold to say.
func (s *SLO) firing(b burst) ([]BurnAlert, error) {
	var out []BurnAlert
	for _, a := range BurnAlerts {
		th := a.Factor * s.Budget()
		fire := true
		for _, w := range []string{a.Long, a.Short} {
			r := b.windowRatio(w)
			if r > 0 && math.Abs(r/th-1) < testMargin {
				return nil, fmt.Errorf("%s burst for %s: the %s ratio %g is within %g%% of the %g× threshold", b.Case, b.Alert.Long, w, r, 100*testMargin, a.Factor)
			}
			fire = fire && r > th
		}
		if fire {
			out = append(out, a)
		}
	}
	return out, nil
}

// isolates checks that the lines firing at the end of b are the line under
// test (and those it implies) for an above burst, none otherwise.
func (b burst) isolates(fire []BurnAlert) error {
	var want []BurnAlert
	if b.Case == "above" {
		for _, k := range BurnAlerts {
			if implied(b.Alert, k) {
				want = append(want, k)
			}
		}
	}
	if !slices.Equal(fire, want) {
		return fmt.Errorf("%s burst for %s: lines %v fire, want %v", b.Case, b.Alert.Long, longs(fire), longs(want))
	}
	return nil
}

func longs(as []BurnAlert) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.Long)
	}
	return out
}

// PromtoolTests renders the promtool test file of s's rules (in ruleFile,
// relative to the test file).
func (s *SLO) PromtoolTests(o Options, ruleFile string) ([]byte, error) {
	numS, total, numIsBad, err := s.testSeries()
	if err != nil {
		return nil, err
	}
	groups := s.Rules(o)
	alerts := map[string]Rule{}
	for _, r := range groups[0].Rules {
		if r.Alert != "" {
			alerts[r.Labels["long_window"]] = r
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rule_files:\n  - %s\nevaluation_interval: %dm\ntests:\n", ruleFile, testEvery)
	for _, bu := range s.bursts() {
		fire, err := s.firing(bu)
		if err != nil {
			return nil, err
		}
		verb := "fires"
		if !slices.Contains(fire, bu.Alert) {
			verb = "stays silent"
		}
		if err := bu.isolates(fire); err != nil {
			return nil, err
		}
		also := ""
		for _, a := range fire {
			if a != bu.Alert {
				also += fmt.Sprintf(", with the %s line it implies", a.Long)
			}
		}
		if bu.Case == "above" && also == "" {
			also = ", alone"
		}
		verb += also
		end := bu.History + bu.Minutes + bu.Tail
		th := bu.Alert.Factor * s.Budget()
		what := map[string]string{
			"above": fmt.Sprintf("its long window at %g× the threshold", round12(bu.windowRatio(bu.Alert.Long)/th)),
			"below": fmt.Sprintf("its long window at %g× the threshold, the short one at %g×", round12(bu.windowRatio(bu.Alert.Long)/th), round12(bu.windowRatio(bu.Alert.Short)/th)),
			"reset": fmt.Sprintf("its long window still at %g× the threshold, the short one clean again", round12(bu.windowRatio(bu.Alert.Long)/th)),
		}[bu.Case]
		fmt.Fprintf(&b, "  - name: %s\n", scalar(fmt.Sprintf("%s: %s %g× over %s and %s %s with %s (%s: %dm clean, %dm of errors at %g, %dm clean)",
			s.ID(), bu.Alert.Severity, bu.Alert.Factor, bu.Alert.Long, bu.Alert.Short, verb, what, bu.Case, bu.History, bu.Minutes, round12(bu.Ratio), bu.Tail)))
		fmt.Fprintf(&b, "    interval: %dm\n    input_series:\n", testStep)
		if bu.History%testStep != 0 || bu.Minutes%testStep != 0 || bu.Tail%testStep != 0 {
			return nil, fmt.Errorf("%s burst for %s: %dm, %dm, %dm are not whole steps of %dm", bu.Case, bu.Alert.Long, bu.History, bu.Minutes, bu.Tail, testStep)
		}
		e := round12(bu.Ratio * testEvents)
		// The numerator series and the other events of the total.
		// Counters: per minute, `before` during the history and the tail,
		// `during` in the burst; one sample every testStep minutes.
		counter := func(before, during float64) string {
			st := float64(testStep)
			v := fmt.Sprintf("0+%sx%d %s+%sx%d", num2(before*st), bu.History/testStep-1, num2(before*float64(bu.History)), num2(during*st), bu.Minutes/testStep)
			if bu.Tail > 0 {
				// Rounded up to the micro-event: promtool sums the burst's
				// steps in floating point, and a tail that starts a hair
				// below where the burst ended is a counter reset (rate
				// would count the whole counter again).
				at := before*float64(bu.History) + round12(during*st)*float64(bu.Minutes/testStep)
				at = math.Ceil(at*1e6) / 1e6
				v += fmt.Sprintf(" %s+%sx%d", strconv.FormatFloat(at+before*st, 'f', -1, 64), num2(before*st), bu.Tail/testStep-1)
			}
			return v
		}
		var numVals, restVals string
		switch {
		case numIsBad && total.matchesNum:
			numVals, restVals = counter(0, e), counter(testEvents, testEvents-e)
		case numIsBad:
			numVals, restVals = counter(0, e), counter(testEvents, testEvents)
		case total.matchesNum: // good events are part of the total
			numVals, restVals = counter(testEvents, testEvents-e), counter(0, e)
		default:
			numVals, restVals = counter(testEvents, testEvents-e), counter(testEvents, testEvents)
		}
		fmt.Fprintf(&b, "      - series: %s\n        values: %s\n", scalar(numS.series), scalar(numVals))
		fmt.Fprintf(&b, "      - series: %s\n        values: %s\n", scalar(total.series), scalar(restVals))
		fmt.Fprintf(&b, "    alert_rule_test:\n      - eval_time: %dm\n        alertname: %s\n", end, s.AlertName)
		if len(fire) == 0 {
			b.WriteString("        exp_alerts: []\n")
		} else {
			b.WriteString("        exp_alerts:\n")
		}
		for _, a := range fire {
			r := alerts[a.Long]
			b.WriteString("          - exp_labels:\n")
			writeSorted(&b, "              ", r.Labels)
			b.WriteString("            exp_annotations:\n")
			writeSorted(&b, "              ", r.Annotations)
		}
		// The burn rate over 5m is the burst's (or 0 after a tail), within 2 %.
		burn5m := bu.windowRatio("5m") / s.Budget()
		fmt.Fprintf(&b, "    promql_expr_test:\n      - expr: %s\n        eval_time: %dm\n        exp_samples:\n          - labels: %s\n            value: 1\n",
			scalar(within(RecordBurnRate+s.Selector(), burn5m*0.98-0.001, burn5m*1.02+0.001)), end, scalar(seriesText("", s.Labels())))
		// The budget remaining over the SLO window: the data present is all
		// the window holds; within 0.03.
		rem := 1 - bu.Ratio*float64(bu.Minutes)/float64(end)/s.Budget()
		fmt.Fprintf(&b, "      - expr: %s\n        eval_time: %dm\n        exp_samples:\n          - labels: %s\n            value: 1\n",
			scalar(within(RecordRemaining+s.Selector(), rem-0.03, rem+0.03)), end, scalar(seriesText("", s.Labels())))
	}
	return []byte(b.String()), nil
}

// within is 1 when the series q is in (lo, hi), 0 otherwise.
func within(q string, lo, hi float64) string {
	return fmt.Sprintf("(%s > bool %s) * (%s < bool %s)", q, num2(lo), q, num2(hi))
}

func num2(x float64) string { return num(round12(x)) }

func writeSorted(b *strings.Builder, indent string, m map[string]string) {
	keys := sortedKeys(m)
	for _, k := range keys {
		writeKV(b, indent, k, m[k])
	}
}

func seriesText(name string, l map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(l) {
		parts = append(parts, fmt.Sprintf("%s=%q", k, l[k]))
	}
	return name + "{" + strings.Join(parts, ", ") + "}"
}

// A testSeries is a series that an indicator's selector matches.
type testSeries struct {
	series     string
	matchesNum bool // the total's series also matches the numerator
}

// testSeries builds two series from the indicator's selectors: one that
// its numerator (good or bad) selects, and one that its total selects but
// the numerator does not; matchesNum says whether the numerator's series
// is also part of the total.
func (s *SLO) testSeries() (numS, totalS testSeries, numIsBad bool, err error) {
	numQ := s.Good
	if s.Bad != "" {
		numQ, numIsBad = s.Bad, true
	}
	nm, err := onlySelector(numQ)
	if err != nil {
		return numS, totalS, false, fmt.Errorf("numerator: %w", err)
	}
	tm, err := onlySelector(s.Total)
	if err != nil {
		return numS, totalS, false, fmt.Errorf("total: %w", err)
	}
	nl, err := satisfy(nm)
	if err != nil {
		return numS, totalS, false, fmt.Errorf("numerator: %w", err)
	}
	tl, err := satisfy(tm)
	if err != nil {
		return numS, totalS, false, fmt.Errorf("total: %w", err)
	}
	if matches(nm, tl) {
		// Break one of the numerator's matchers the total does not
		// constrain.
		for _, m := range nm {
			if slices.ContainsFunc(tm, func(t *labels.Matcher) bool { return t.Name == m.Name }) {
				continue
			}
			v, ok := violate(m)
			if !ok {
				continue
			}
			try := maps(tl)
			try[m.Name] = v
			if matches(tm, try) && !matches(nm, try) {
				tl = try
				break
			}
		}
		if matches(nm, tl) {
			return numS, totalS, false, fmt.Errorf("cannot build a series the total selects but the numerator does not")
		}
	}
	numS = testSeries{series: text(nl)}
	totalS = testSeries{series: text(tl), matchesNum: matches(tm, nl)}
	return numS, totalS, numIsBad, nil
}

// onlySelector is the label matchers of the one selector of q.
func onlySelector(q string) ([]*labels.Matcher, error) {
	e, err := promql().ParseExpr(q)
	if err != nil {
		return nil, err
	}
	var ms [][]*labels.Matcher
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			ms = append(ms, vs.LabelMatchers)
		}
		return nil
	})
	if len(ms) != 1 {
		return nil, fmt.Errorf("%d selectors in %q: the generated tests need exactly one", len(ms), q)
	}
	return ms[0], nil
}

// satisfy builds labels that every matcher of ms accepts.
func satisfy(ms []*labels.Matcher) (map[string]string, error) {
	l := map[string]string{}
	for _, m := range ms {
		switch m.Type {
		case labels.MatchEqual:
			l[m.Name] = m.Value
		case labels.MatchRegexp:
			v, err := sample(m.Value)
			if err != nil {
				return nil, fmt.Errorf("%s=~%q: %w", m.Name, m.Value, err)
			}
			l[m.Name] = v
		}
	}
	if !matches(ms, l) {
		return nil, fmt.Errorf("cannot build a series that %s selects", ms)
	}
	return l, nil
}

func matches(ms []*labels.Matcher, l map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(l[m.Name]) {
			return false
		}
	}
	return true
}

// violate is a value m rejects.
func violate(m *labels.Matcher) (string, bool) {
	var v string
	switch m.Type {
	case labels.MatchEqual:
		v = m.Value + "_other"
		if m.Value == "" {
			v = "other"
		}
	case labels.MatchNotEqual:
		v = m.Value
	case labels.MatchRegexp:
		v = "gameday_no_match"
	case labels.MatchNotRegexp:
		s, err := sample(m.Value)
		if err != nil {
			return "", false
		}
		v = s
	}
	return v, !m.Matches(v)
}

// sample is a string the (anchored) regular expression re matches.
func sample(re string) (string, error) {
	r, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", err
	}
	var walk func(r *syntax.Regexp) string
	walk = func(r *syntax.Regexp) string {
		switch r.Op {
		case syntax.OpLiteral:
			return string(r.Rune)
		case syntax.OpCharClass:
			if len(r.Rune) > 0 {
				return string(r.Rune[0])
			}
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			return "x"
		case syntax.OpCapture, syntax.OpPlus:
			return walk(r.Sub[0])
		case syntax.OpRepeat:
			return strings.Repeat(walk(r.Sub[0]), r.Min)
		case syntax.OpConcat:
			var b strings.Builder
			for _, s := range r.Sub {
				b.WriteString(walk(s))
			}
			return b.String()
		case syntax.OpAlternate:
			return walk(r.Sub[0])
		}
		return "" // star, quest, empty, anchors
	}
	return walk(r.Simplify()), nil
}

func maps(l map[string]string) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = v
	}
	return out
}

// text writes labels as a series: name{k="v", ...}.
func text(l map[string]string) string {
	name := l[labels.MetricName]
	rest := maps(l)
	delete(rest, labels.MetricName)
	return seriesText(name, rest)
}
