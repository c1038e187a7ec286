package probe

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/spec/spectest"
)

// baselines are a valid probe of each kind, as the spec defaults them.
var baselines = map[spec.ProbeType]func() spec.Probe{
	spec.ProbeHTTP: func() spec.Probe {
		return spec.Probe{Name: "base", Type: spec.ProbeHTTP, Mode: spec.ModeContinuous, Interval: spec.Duration(5 * time.Second), Weight: 1,
			HTTP: &spec.HTTPProbe{Path: "/", Method: "GET", ExpectStatus: 200, Timeout: spec.Duration(time.Second)}}
	},
	spec.ProbePromQL: func() spec.Probe {
		return spec.Probe{Name: "base", Type: spec.ProbePromQL, Mode: spec.ModeContinuous, Interval: spec.Duration(5 * time.Second), Weight: 1,
			PromQL: &spec.PromQLProbe{Query: "up"}, Tolerance: lt(1)}
	},
	spec.ProbeLogQL: func() spec.Probe {
		return spec.Probe{Name: "base", Type: spec.ProbeLogQL, Mode: spec.ModeContinuous, Interval: spec.Duration(5 * time.Second), Weight: 1,
			LogQL: &spec.LogQLProbe{Query: `sum(count_over_time({app="petclinic"} [1m]))`}, Tolerance: lt(1)}
	},
	spec.ProbeLoad: func() spec.Probe {
		return spec.Probe{Name: "base", Type: spec.ProbeLoad, Mode: spec.ModeContinuous, Interval: spec.Duration(5 * time.Second), Weight: 1,
			Load: &spec.LoadProbe{Metric: spec.LoadP99, Window: spec.Duration(10 * time.Second)}, Tolerance: lt(0.5)}
	},
}

// notReachingTheProbe are the fields of spec.Probe that do not go into the
// runtime probe or its schedule, and why. Nothing else may be missing.
var notReachingTheProbe = map[string]string{
	"Type":   "selects the kind's translation",
	"Weight": "the verdict reads it from the spec for the score (verdict.ScoreOf)",
}

// kindBlocks are the json names of spec.Probe's blocks: every pointer to
// a struct but the tolerance is the block of one probe type.
func kindBlocks() map[string]int {
	out := map[string]int{}
	t := reflect.TypeFor[spec.Probe]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct && name != "tolerance" {
			out[name] = i
		}
	}
	return out
}

func TestEveryProbeKindHasATranslation(t *testing.T) {
	blocks := kindBlocks()
	if len(blocks) == 0 {
		t.Fatal("spec.Probe has no kind block: the test lost its way")
	}
	for name := range blocks {
		if k := kinds[spec.ProbeType(name)]; k.New == nil || k.Measures == nil {
			t.Errorf("spec.Probe has a %q block but probe.kinds has no translation for it (New and Measures)", name)
		}
		if baselines[spec.ProbeType(name)] == nil {
			t.Errorf("no baseline %q probe in this test: add one", name)
		}
	}
	for k := range kinds {
		if _, ok := blocks[string(k)]; !ok {
			t.Errorf("probe.kinds translates %q, which spec.Probe has no block for", k)
		}
	}
	if _, err := New(spec.Probe{Name: "x", Type: "grpc"}, Clients{}); err == nil || err.Error() != `probe x: unknown type "grpc"` {
		t.Errorf("an unknown type: %v", err)
	}
}

func TestMeasures(t *testing.T) {
	post := baselines[spec.ProbeHTTP]()
	post.HTTP.Method, post.HTTP.Path = "POST", "/graphql"
	url := baselines[spec.ProbeHTTP]()
	url.HTTP.Path, url.HTTP.URL = "", "https://petclinic.example.com/vets"
	for _, tc := range []struct {
		p    spec.Probe
		want string
	}{
		{baselines[spec.ProbeHTTP](), "/"},
		{post, "POST /graphql"},
		{url, "https://petclinic.example.com/vets"},
		{baselines[spec.ProbePromQL](), "up"},
		{baselines[spec.ProbeLogQL](), `sum(count_over_time({app="petclinic"} [1m]))`},
		{spec.Probe{Type: "grpc"}, ""},
	} {
		if got := Measures(tc.p); got != tc.want {
			t.Errorf("Measures(%s probe) = %q, want %q", tc.p.Type, got, tc.want)
		}
	}
}

// TestEverySpecFieldReachesTheRuntimeProbe sets each field of each probe
// kind's spec types by reflection, one at a time over a valid baseline, to
// a value of its own, and looks for that value in the runtime schedule
// (probe, mode, interval). A field added to the spec without a
// translation fails here.
func TestEverySpecFieldReachesTheRuntimeProbe(t *testing.T) {
	blocks := kindBlocks()
	clients := Clients{TargetURL: "http://127.0.0.1:9"}
	for kind, base := range baselines {
		var leaves [][]int
		leafPaths(reflect.TypeFor[spec.Probe](), nil, func(f reflect.StructField, idx []int) bool {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			_, isBlock := blocks[name]
			return len(idx) == 1 && isBlock && name != string(kind) // another kind's block
		}, &leaves)
		before := schedule(t, base(), clients)
		n := 0
		for _, idx := range leaves {
			path := fieldName(idx)
			if _, ok := notReachingTheProbe[path]; ok {
				continue
			}
			t.Run(string(kind)+"/"+path, func(t *testing.T) {
				n++
				p := base()
				want := set(reflect.ValueOf(&p).Elem(), idx, n)
				after := schedule(t, p, clients)
				if reflect.DeepEqual(before, after) {
					t.Fatalf("setting %s to %v changed nothing in the runtime probe %+v", path, want, after.Probe)
				}
				have := spectest.Scalars(reflect.ValueOf(after))
				for _, w := range spectest.Scalars(want) {
					if !spectest.Found(have, w) {
						t.Errorf("%s = %v does not reach the runtime probe: %+v (schedule %+v)", path, w, after.Probe, after)
					}
				}
			})
		}
		if n < 4 {
			t.Errorf("%s: only %d fields checked: the walk lost its way", kind, n)
		}
	}
}

// schedule is the schedule of an experiment holding only p.
func schedule(t *testing.T, p spec.Probe, c Clients) Schedule {
	t.Helper()
	ss, err := Schedules(&spec.Experiment{Spec: spec.ExperimentSpec{Hypothesis: spec.Hypothesis{Probes: []spec.Probe{p}}}}, c)
	if err != nil || len(ss) != 1 {
		t.Fatalf("Schedules: %v (%d)", err, len(ss))
	}
	return ss[0]
}

// leafPaths lists the field index paths of the leaves of t (not structs,
// nor pointers to structs: their fields are), skipping what skip says.
func leafPaths(t reflect.Type, prefix []int, skip func(reflect.StructField, []int) bool, out *[][]int) {
	for i := range t.NumField() {
		f := t.Field(i)
		idx := append(prefix[:len(prefix):len(prefix)], i)
		if !f.IsExported() || skip(f, idx) {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			leafPaths(ft, idx, skip, out)
			continue
		}
		*out = append(*out, idx)
	}
}

// fieldName is the dotted name of a field path of spec.Probe.
func fieldName(idx []int) string {
	var names []string
	t := reflect.TypeFor[spec.Probe]()
	for _, i := range idx {
		f := t.Field(i)
		names = append(names, f.Name)
		if t = f.Type; t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	return strings.Join(names, ".")
}

// set sets the leaf at idx (allocating the structs on its way) to a value
// of its own, made from n, and returns that value.
func set(v reflect.Value, idx []int, n int) reflect.Value {
	for _, i := range idx {
		v = v.Field(i)
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
	}
	v.Set(distinct(v.Type(), n))
	return v
}

// distinct is a value of type t made from n, unlike any baseline's.
func distinct(t reflect.Type, n int) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("/gd%03d", n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(700 + n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(700 + n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(700.25 + float64(n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		k := distinct(t.Key(), n)
		if k.Kind() == reflect.String { // a header name is canonical
			k.SetString(fmt.Sprintf("X-Gd%03d", n))
		}
		v.SetMapIndex(k, distinct(t.Elem(), n+500))
	case reflect.Slice:
		v.Set(reflect.Append(reflect.MakeSlice(t, 0, 1), distinct(t.Elem(), n)))
	default:
		panic(fmt.Sprintf("distinct: no value for a %s field: teach the test", t))
	}
	return v
}

func TestSchedules(t *testing.T) {
	logs := baselines[spec.ProbeLogQL]()
	logs.Mode, logs.Interval = spec.ModeAfter, spec.Duration(2*time.Second)
	e := &spec.Experiment{Spec: spec.ExperimentSpec{Hypothesis: spec.Hypothesis{Probes: []spec.Probe{baselines[spec.ProbeHTTP](), logs}}}}
	ss, err := Schedules(e, Clients{TargetURL: "http://127.0.0.1:8080/"})
	if err != nil {
		t.Fatal(err)
	}
	h, ok := ss[0].Probe.(*HTTP)
	if !ok || h.URL != "http://127.0.0.1:8080/" || ss[0].Mode != spec.ModeContinuous || ss[0].Interval != 5*time.Second {
		t.Errorf("http schedule %+v (%+v)", ss[0], ss[0].Probe)
	}
	// Without a Loki the LogQL probe is skipped, never passed.
	if s := ss[1].Probe.Check(t.Context(), time.Now()); s.Status != StatusSkipped || ss[1].Mode != spec.ModeAfter {
		t.Errorf("logql sample %s in mode %s, want skipped in after", s.Status, ss[1].Mode)
	}
	if _, err := Schedules(e, Clients{}); err == nil || err.Error() != "probe base: path / needs the target's URL" {
		t.Errorf("an http probe with a path and no target URL: %v", err)
	}
}
