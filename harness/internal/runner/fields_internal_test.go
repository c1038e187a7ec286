package runner

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
	"github.com/gamedayhq/gameday/harness/internal/spec/spectest"
)

// The spec types this file walks reach the runtime through one translation
// each: spec.Load through LoadPlan (the load.Plan the attacker runs),
// spec.StopCondition through stopRules (what the run loop trips on), and a
// suite file through LoadSuite (suite_fields_test.go). Every leaf of each
// type is set in turn, by reflection, to values of its own, and each value
// must be found in the translation: a field added to the spec with no
// runtime use fails here.

// loadBaselines are a valid load of each profile shape; a field under
// profile.<shape> is set over that shape's baseline, the others over the
// constant one.
var loadBaselines = map[string]func() spec.Load{
	"constant": func() spec.Load {
		return spec.Load{Duration: spec.Duration(time.Minute), Profile: spec.RateProfile{Constant: &spec.ConstantRate{Rate: 10}},
			Journeys: []spec.Journey{{Name: "home", Weight: 1}}, Timeout: spec.Duration(5 * time.Second), MaxWorkers: 512}
	},
	"ramp": func() spec.Load {
		return spec.Load{Duration: spec.Duration(time.Minute), Profile: spec.RateProfile{Ramp: &spec.RampRate{From: 1, To: 10}},
			Journeys: []spec.Journey{{Name: "home", Weight: 1}}, Timeout: spec.Duration(5 * time.Second), MaxWorkers: 512}
	},
	"steps": func() spec.Load {
		return spec.Load{Duration: spec.Duration(time.Minute), Profile: spec.RateProfile{Steps: []spec.RateStep{{Rate: 10, Duration: spec.Duration(time.Minute)}}},
			Journeys: []spec.Journey{{Name: "home", Weight: 1}}, Timeout: spec.Duration(5 * time.Second), MaxWorkers: 512}
	},
}

func TestEveryLoadFieldReachesTheLoadPlan(t *testing.T) {
	fields := spectest.Fields(reflect.TypeFor[spec.Load]())
	if len(fields) < 8 {
		t.Fatalf("got %d leaves of spec.Load: the walk lost its way", len(fields))
	}
	for n, f := range fields {
		t.Run(f.Path, func(t *testing.T) {
			shape := "constant"
			if rest, ok := strings.CutPrefix(f.Path, "profile."); ok {
				shape, _, _ = strings.Cut(rest, ".")
			}
			base, ok := loadBaselines[shape]
			if !ok {
				t.Fatalf("no baseline load for the profile shape %q: add one", shape)
			}
			l := base()
			want := distinct(f.Type(reflect.TypeFor[spec.Load]()), n)
			f.Set(&l, want.Interface())
			plan, err := LoadPlan(l)
			if err != nil {
				t.Fatalf("LoadPlan with %s = %v: %v", f.Path, want, err)
			}
			have := spectest.Scalars(reflect.ValueOf(plan))
			for _, w := range spectest.Scalars(want) {
				if !spectest.Found(have, w) {
					t.Errorf("load.%s = %v does not reach the load plan %+v", f.Path, w, plan)
				}
			}
		})
	}
}

func TestEveryStopConditionFieldReachesItsRule(t *testing.T) {
	fields := spectest.Fields(reflect.TypeFor[spec.StopCondition]())
	if len(fields) < 5 {
		t.Fatalf("got %d leaves of spec.StopCondition: the walk lost its way", len(fields))
	}
	for n, f := range fields {
		t.Run(f.Path, func(t *testing.T) {
			// Both forms at once: the translation reads each field on its own.
			ratio := 0.05
			sc := spec.StopCondition{Name: "base", Probe: "front-door", Breaches: 2, ErrorRatioAbove: &ratio, Window: spec.Duration(10 * time.Second)}
			want := distinct(f.Type(reflect.TypeFor[spec.StopCondition]()), n)
			f.Set(&sc, want.Interface())
			rules := stopRules([]spec.StopCondition{sc})
			have := spectest.Scalars(reflect.ValueOf(rules))
			for _, w := range spectest.Scalars(want) {
				if !spectest.Found(have, w) {
					t.Errorf("stopConditions[0].%s = %v does not reach the run's stop rule %+v", f.Path, w, rules)
				}
			}
		})
	}
}

// TestStopRulesDefaultAsTheSpecDoes: a condition built in code, without
// the spec's defaults, trips as the spec's defaults say.
func TestStopRulesDefaultAsTheSpecDoes(t *testing.T) {
	ratio := 0.1
	got := stopRules([]spec.StopCondition{{Probe: "front-door"}, {ErrorRatioAbove: &ratio}})
	want := []stopRule{{name: "probe-front-door", probe: "front-door", breaches: spec.DefaultBreaches},
		{name: "error-ratio", errorRatioAbove: &ratio, window: spec.DefaultErrorWindow}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// distinct is a value of type t made from n, unlike any baseline's and
// valid where the translation checks it: a positive duration of whole
// milliseconds, a positive number, a string of its own.
func distinct(t reflect.Type, n int) reflect.Value {
	v := reflect.New(t).Elem()
	switch {
	case t == reflect.TypeFor[spec.Duration]():
		v.SetInt(int64(time.Duration(700+n) * time.Millisecond))
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("gd%03d", n))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(700 + n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(700 + n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(700+n) / 1000) // a ratio too
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(distinct(t.Elem(), n).Addr())
	case reflect.Slice:
		v.Set(reflect.Append(reflect.MakeSlice(t, 0, 1), distinct(t.Elem(), n)))
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		v.SetMapIndex(distinct(t.Key(), n), distinct(t.Elem(), n+500))
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				v.Field(i).Set(distinct(t.Field(i).Type, n+10*(i+1)))
			}
		}
	default:
		panic(fmt.Sprintf("distinct: no value for a %s field: teach the test", t))
	}
	return v
}
