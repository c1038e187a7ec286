// Package schedule runs game days on a schedule: the schedules file (strict,
// versioned YAML decoded with package spec's rules, so its errors read
// file:line:col: field: message like every other file of the repository),
// the pure decisions of when a fire runs or is skipped (cron in a time zone,
// jitter, blackout windows and change freezes, concurrency, missed runs,
// daily caps, the kill switch and the error budget: plan.go), the loop that
// waits for the next fire on an injectable clock (scheduler.go), the ledger
// of every fire and skip (ledger.go), its Prometheus metrics and the Lease
// that keeps two replicas from both running game days (leader.go).
package schedule

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Kind is the kind of a schedules file; its apiVersion is spec.APIVersion.
const Kind = spec.KindSchedules

// Policies and their defaults.
const (
	// ConcurrencyForbid skips a fire while another game day runs, and
	// records the skip; ConcurrencyQueue runs it after, within its
	// starting deadline.
	ConcurrencyForbid = "forbid"
	ConcurrencyQueue  = "queue"
	// MissedRunOnce runs one of the fires missed while the scheduler was
	// down (the latest), if it is within its starting deadline; MissedSkip
	// records them as skipped.
	MissedRunOnce = "run-once"
	MissedSkip    = "skip"

	TargetSandbox    = "sandbox"
	TargetKubernetes = "kubernetes"

	DefaultStartingDeadline = 10 * time.Minute
	DefaultTimeZone         = "Etc/UTC"
	// MaxJitter bounds the random delay of a fire.
	MaxJitter = 6 * time.Hour
)

// File is a schedules file.
type File struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       FileSpec `json:"spec"`
	// Path is the file as given; relative paths inside resolve against its
	// directory.
	Path string `json:"-"`
	// Plans are the schedules compiled, in file order.
	Plans []*Plan `json:"-"`
}

// Metadata names the file.
type Metadata struct {
	Name string `json:"name"`
}

// FileSpec holds the schedules and what applies to all of them.
type FileSpec struct {
	// TimeZone of every schedule and window that names none (IANA name,
	// default Etc/UTC).
	TimeZone string `json:"timeZone,omitempty"`
	// KillSwitch: while it is engaged no fire starts (recorded as skipped).
	KillSwitch *KillSwitch `json:"killSwitch,omitempty"`
	// Freezes are change freezes: no schedule fires inside one.
	Freezes []Window `json:"freezes,omitempty"`
	// Retention of the reports tree, applied after every scheduled run.
	Retention *Retention `json:"retention,omitempty"`
	// Schedules are the game days.
	Schedules []Schedule `json:"schedules"`
}

// KillSwitch is where the kill switch is read: a file on the sandbox
// (engaged while it exists and does not say "false"), or the Kubernetes
// ConfigMap namespace/name that `gameday kill-switch` writes.
type KillSwitch struct {
	File      string `json:"file,omitempty"`
	ConfigMap string `json:"configMap,omitempty"`
}

// Retention bounds the reports tree: runs older than MaxAge, and runs past
// the newest MaxRuns, are deleted (report directories and index rows).
type Retention struct {
	MaxAge  spec.Duration `json:"maxAge,omitempty"`
	MaxRuns int           `json:"maxRuns,omitempty"`
}

// Schedule is one game day on a schedule.
type Schedule struct {
	// Name is a DNS label, unique in the file.
	Name string `json:"name"`
	// Cron is 5 fields (minute hour day-of-month month day-of-week), or 6
	// with seconds first, or a descriptor (@daily, @every 1h).
	Cron string `json:"cron"`
	// TimeZone of Cron (IANA name; default the file's).
	TimeZone string `json:"timeZone,omitempty"`
	// Suite or Experiment is the file run (one of them), relative to the
	// schedules file.
	Suite      string `json:"suite,omitempty"`
	Experiment string `json:"experiment,omitempty"`
	// Target is sandbox (default) or kubernetes.
	Target string `json:"target,omitempty"`
	// Flags of `gameday run` for this target (without the leading --),
	// e.g. namespace: petclinic.
	Flags map[string]string `json:"flags,omitempty"`
	// Jitter delays each fire by a random time in [0, jitter), the same
	// for a fire however often the scheduler restarts.
	Jitter spec.Duration `json:"jitter,omitempty"`
	// Blackouts: no fire of this schedule inside one.
	Blackouts []Window `json:"blackouts,omitempty"`
	// Concurrency is forbid (default) or queue.
	Concurrency string `json:"concurrency,omitempty"`
	// Missed is run-once (default) or skip: what happens to fires missed
	// while the scheduler was down.
	Missed string `json:"missed,omitempty"`
	// StartingDeadline: a fire that cannot start within it after its time
	// (missed, queued) is skipped. Default 10m.
	StartingDeadline spec.Duration `json:"startingDeadline,omitempty"`
	// Budget skips a fire when an SLO has less error budget left than
	// MinRemaining.
	Budget *Budget `json:"budget,omitempty"`
	// DailyCap is the most runs started per day (in the schedule's time
	// zone); 0: no cap.
	DailyCap int `json:"dailyCap,omitempty"`
	// Suspend stops new fires (each is recorded as skipped).
	Suspend bool `json:"suspend,omitempty"`
}

// Budget is the error-budget policy of a schedule.
type Budget struct {
	// MinRemaining is the least share of error budget every SLO must have
	// left for the fire to start, in [0, 1).
	MinRemaining float64 `json:"minRemaining"`
	// SLODir holds the OpenSLO specs (relative to the schedules file;
	// default the run's --slo-dir flag, else slo).
	SLODir string `json:"sloDir,omitempty"`
}

// Window is a blackout or a change freeze: recurring (a cron of its starts
// and a duration) or dated (from, until: RFC 3339, or a date, midnight in
// the window's time zone).
type Window struct {
	Name     string        `json:"name"`
	Cron     string        `json:"cron,omitempty"`
	Duration spec.Duration `json:"duration,omitempty"`
	From     string        `json:"from,omitempty"`
	Until    string        `json:"until,omitempty"`
	TimeZone string        `json:"timeZone,omitempty"`
}

// Options are what the loader cannot know by itself.
type Options struct {
	// CheckFlags checks a schedule's flags as `gameday run` reads its own:
	// names, values and how they go together (nil: not checked).
	CheckFlags func(flags map[string]string) []FlagError
	// LoadRunnable reads a suite or experiment file and returns its errors
	// (nil: the file must only exist).
	LoadRunnable func(path string) error
}

// A FlagError is what is wrong with a schedule's flags: about the flag
// Flag, or about them as a whole when Flag is "".
type FlagError struct {
	Flag string
	Err  error
}

// ReservedFlags are set by the scheduler for every run.
var ReservedFlags = []string{"reports-dir", "run-id", "output", "suite", "target", "no-color"}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	parser   = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
)

// Load reads, decodes strictly, defaults, validates and compiles the
// schedules file at path. The error is a spec.ErrorList naming
// file:line:col and the field of every problem (exit code 2).
func Load(path string, o Options) (*File, error) {
	d, err := spec.ParseFileKind(path, Kind)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path}
	if !d.Decode(f) {
		return nil, d.Errors()
	}
	f.Path = path
	f.compile(d, o)
	if err := d.Errors(); err != nil {
		return nil, err
	}
	return f, nil
}

// IsSchedules reports whether the YAML file at path is a schedules file
// (its kind), without validating it.
func IsSchedules(path string) bool {
	docs, err := spec.ParseFileDocuments(path)
	return err == nil && len(docs) == 1 && docs[0].Str("kind") == Kind
}

// Resolve is path relative to the schedules file's directory.
func (f *File) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(f.Path), path)
}

// Plan returns the compiled schedule named name, or nil.
func (f *File) Plan(name string) *Plan {
	for _, p := range f.Plans {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (f *File) compile(d *spec.Document, o Options) {
	if !dnsLabel.MatchString(f.Metadata.Name) {
		d.Errorf([]any{"metadata", "name"}, "%q: use lowercase letters, digits and '-' (a DNS label)", f.Metadata.Name)
	}
	if f.Spec.TimeZone == "" {
		f.Spec.TimeZone = DefaultTimeZone
	}
	fileLoc, err := time.LoadLocation(f.Spec.TimeZone)
	if err != nil {
		d.Errorf([]any{"spec", "timeZone"}, "unknown time zone %q: use an IANA name such as Europe/Paris or Etc/UTC", f.Spec.TimeZone)
		fileLoc = time.UTC
	}
	if ks := f.Spec.KillSwitch; ks != nil {
		switch {
		case (ks.File == "") == (ks.ConfigMap == ""):
			d.Errorf([]any{"spec", "killSwitch"}, "set one of file or configMap")
		case ks.ConfigMap != "" && !strings.Contains(ks.ConfigMap, "/"):
			d.Errorf([]any{"spec", "killSwitch", "configMap"}, "%q: want namespace/name", ks.ConfigMap)
		}
		ks.File = f.Resolve(ks.File)
	}
	if r := f.Spec.Retention; r != nil {
		if r.MaxAge.D() < 0 || r.MaxRuns < 0 || (r.MaxAge == 0 && r.MaxRuns == 0) {
			d.Errorf([]any{"spec", "retention"}, "set maxAge (a positive duration) or maxRuns (a positive count), or leave retention out")
		}
	}
	var freezes []window
	for i := range f.Spec.Freezes {
		if w, ok := compileWindow(d, []any{"spec", "freezes", i}, &f.Spec.Freezes[i], fileLoc, "freeze"); ok {
			freezes = append(freezes, w)
		}
	}
	checkNames(d, []any{"spec", "freezes"}, f.Spec.Freezes)
	if len(f.Spec.Schedules) == 0 {
		d.Errorf([]any{"spec", "schedules"}, "at least one schedule")
	}
	seen := map[string]int{}
	for i := range f.Spec.Schedules {
		s := &f.Spec.Schedules[i]
		at := func(field ...any) []any { return append([]any{"spec", "schedules", i}, field...) }
		if first, dup := seen[s.Name]; dup {
			d.Errorf(at("name"), "duplicate schedule name %q (also spec.schedules[%d])", s.Name, first)
		} else {
			seen[s.Name] = i
		}
		if p, ok := f.compileSchedule(d, at, s, fileLoc, o); ok {
			p.windows = append(p.windows, freezes...)
			f.Plans = append(f.Plans, p)
		}
	}
}

func (f *File) compileSchedule(d *spec.Document, at func(...any) []any, s *Schedule, fileLoc *time.Location, o Options) (*Plan, bool) {
	ok := true
	fail := func(path []any, format string, a ...any) {
		d.Errorf(path, format, a...)
		ok = false
	}
	if !dnsLabel.MatchString(s.Name) || len(s.Name) > 40 {
		fail(at("name"), "%q: use lowercase letters, digits and '-' (a DNS label of at most 40 characters)", s.Name)
	}
	loc := fileLoc
	if s.TimeZone != "" {
		l, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			fail(at("timeZone"), "unknown time zone %q: use an IANA name such as Europe/Paris or Etc/UTC", s.TimeZone)
		} else {
			loc = l
		}
	}
	sched, err := parseCron(s.Cron, loc)
	if err != nil {
		fail(at("cron"), "%s", err)
	}
	switch {
	case (s.Suite == "") == (s.Experiment == ""):
		fail(at(), "set one of suite or experiment")
	default:
		field, rel := "suite", s.Suite
		if s.Experiment != "" {
			field, rel = "experiment", s.Experiment
		}
		path := f.Resolve(rel)
		if _, err := os.Stat(path); err != nil {
			fail(at(field), "%s: no such file (paths are relative to %s)", rel, filepath.Dir(f.Path))
		} else if o.LoadRunnable != nil {
			if err := o.LoadRunnable(path); err != nil {
				var l spec.ErrorList
				if errors.As(err, &l) && len(l) > 0 {
					fail(at(field), "%s does not validate: %s", rel, l[0])
				} else {
					fail(at(field), "%s: %s", rel, err)
				}
			}
		}
	}
	switch s.Target {
	case "":
		s.Target = TargetSandbox
	case TargetSandbox, TargetKubernetes:
	default:
		fail(at("target"), "%q: use sandbox or kubernetes", s.Target)
	}
	reserved := false
	for _, k := range sortedKeys(s.Flags) {
		if slices.Contains(ReservedFlags, k) {
			fail(at("flags", k), "set by the scheduler for every run: leave it out")
			reserved = true
		}
	}
	if o.CheckFlags != nil && !reserved {
		for _, fe := range o.CheckFlags(s.Flags) {
			if _, ok := s.Flags[fe.Flag]; ok {
				fail(at("flags", fe.Flag), "%s", fe.Err)
			} else {
				fail(at("flags"), "%s", fe.Err)
			}
		}
	}
	if j := s.Jitter.D(); j < 0 || j > MaxJitter {
		fail(at("jitter"), "%s: want 0 to %s", j, MaxJitter)
	}
	switch s.Concurrency {
	case "":
		s.Concurrency = ConcurrencyForbid
	case ConcurrencyForbid, ConcurrencyQueue:
	default:
		fail(at("concurrency"), "%q: use forbid or queue", s.Concurrency)
	}
	switch s.Missed {
	case "":
		s.Missed = MissedRunOnce
	case MissedRunOnce, MissedSkip:
	default:
		fail(at("missed"), "%q: use run-once or skip", s.Missed)
	}
	switch dl := s.StartingDeadline.D(); {
	case dl == 0:
		s.StartingDeadline = spec.Duration(DefaultStartingDeadline)
	case dl < time.Second:
		fail(at("startingDeadline"), "%s: want at least 1s", dl)
	}
	if b := s.Budget; b != nil {
		if b.MinRemaining < 0 || b.MinRemaining >= 1 {
			fail(at("budget", "minRemaining"), "%g: want a share in [0, 1), e.g. 0.25", b.MinRemaining)
		}
		if b.SLODir != "" {
			b.SLODir = f.Resolve(b.SLODir)
		}
	}
	if s.DailyCap < 0 {
		fail(at("dailyCap"), "%d: want 0 (no cap) or more", s.DailyCap)
	}
	p := &Plan{Schedule: s, Name: s.Name, Loc: loc, cron: sched}
	for i := range s.Blackouts {
		if w, wok := compileWindow(d, at("blackouts", i), &s.Blackouts[i], loc, "blackout"); wok {
			p.windows = append(p.windows, w)
		} else {
			ok = false
		}
	}
	checkNames(d, at("blackouts"), s.Blackouts)
	if ok && sched != nil {
		if _, found := p.next(time.Date(2026, 1, 1, 0, 0, 0, 0, loc)); !found {
			fail(at("cron"), "%q never fires", s.Cron)
		}
	}
	return p, ok
}

func checkNames(d *spec.Document, path []any, ws []Window) {
	seen := map[string]bool{}
	for i, w := range ws {
		if seen[w.Name] {
			d.Errorf(append(slices.Clone(path), i, "name"), "duplicate window name %q", w.Name)
		}
		seen[w.Name] = true
	}
}

// parseCron reads a cron expression of 5 fields, 6 with seconds, or a
// descriptor, in loc.
func parseCron(expr string, loc *time.Location) (cron.Schedule, error) {
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("%q: set timeZone instead of a TZ= prefix", expr)
	}
	sched, err := parser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid cron %q: %s (want 5 fields: minute hour day-of-month month day-of-week, or 6 with seconds first, or @daily, @every 1h)", expr, err)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		ss.Location = loc
	}
	return sched, nil
}

func compileWindow(d *spec.Document, path []any, w *Window, loc *time.Location, kind string) (window, bool) {
	at := func(field string) []any { return append(slices.Clone(path), field) }
	ok := true
	fail := func(p []any, format string, a ...any) {
		d.Errorf(p, format, a...)
		ok = false
	}
	if !dnsLabel.MatchString(w.Name) {
		fail(at("name"), "%q: use lowercase letters, digits and '-'", w.Name)
	}
	if w.TimeZone != "" {
		l, err := time.LoadLocation(w.TimeZone)
		if err != nil {
			fail(at("timeZone"), "unknown time zone %q: use an IANA name such as Europe/Paris or Etc/UTC", w.TimeZone)
		} else {
			loc = l
		}
	}
	out := window{name: w.Name, kind: kind}
	switch {
	case w.Cron != "" && (w.From != "" || w.Until != ""):
		fail(path, "a %s is recurring (cron, duration) or dated (from, until), not both", kind)
	case w.Cron != "":
		sched, err := parseCron(w.Cron, loc)
		if err != nil {
			fail(at("cron"), "%s", err)
			break
		}
		dur := w.Duration.D()
		if dur <= 0 {
			fail(at("duration"), "a recurring %s needs a positive duration (it would never end)", kind)
			break
		}
		out.cron, out.dur = sched, dur
		if gap := minGap(sched, loc); gap > 0 && dur >= gap {
			fail(at("duration"), "%s never ends: it lasts %s but starts again every %s", kind, dur, gap)
		}
	case w.From != "" || w.Until != "":
		if w.Duration != 0 {
			fail(at("duration"), "a dated %s has from and until, not a duration", kind)
		}
		if w.Until == "" {
			fail(path, "a dated %s needs until (it would never end)", kind)
			break
		}
		var err error
		if out.from, err = parseInstant(w.From, loc); err != nil {
			fail(at("from"), "%s", err)
		}
		if out.until, err = parseInstant(w.Until, loc); err != nil {
			fail(at("until"), "%s", err)
		}
		if ok && !out.until.After(out.from) {
			fail(at("until"), "%s is not after from %s", w.Until, w.From)
		}
	default:
		fail(path, "a %s needs cron and duration (recurring) or from and until (dated)", kind)
	}
	return out, ok
}

// parseInstant reads RFC 3339, or a date (midnight in loc). Empty is the
// zero time (a window open since always).
func parseInstant(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-12-20T00:00:00Z) or a date (2026-12-20)", s)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
