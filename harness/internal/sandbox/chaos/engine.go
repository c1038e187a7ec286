// Package chaos is the local chaos engine: it honours what it can of Chaos
// Mesh's PodChaos, NetworkChaos, StressChaos and HTTPChaos on the sandbox's
// real processes and sockets, and refuses (engine.ErrUnsupported, naming the
// field) what it cannot.
//
//   - PodChaos pod-kill: SIGKILL of the pod's process; the supervisor
//     restarts it after its back-off and gates it on readiness.
//     container-kill is the same (a sandbox pod has one container).
//     pod-failure: SIGSTOP for the duration, SIGCONT at recovery (the
//     process keeps its sockets: connections hang as to a frozen node).
//   - NetworkChaos delay (latency, jitter), loss (a retransmission model
//     honouring correlation, see sandbox.LossToxic), bandwidth, netem
//     (delay and/or loss) and partition (no byte passes), as toxiproxy
//     toxics on the links of the selected pods: balancer ↔ replica, and
//     replica ↔ Redis/MariaDB. direction "to" is the selected pods' egress.
//   - StressChaos cpu and memory: one stress-ng per selected pod. There are
//     no cgroups here: the stressors load the whole machine, not only the
//     pod.
//   - HTTPChaos abort, delay and replace (code, body, headers) on the
//     traffic the balancer sends to the selected replicas.
//
// Every fault is written to <sandbox>/runs/<run-id>.json before it is
// injected and marked recovered after; Cleanup replays those files.
package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// EnvFault tags every stress-ng process with its fault, so that Cleanup
// finds one whose pid was never recorded.
const EnvFault = "GAMEDAY_FAULT"

// ErrPreflight is returned when a preflight check fails.
var ErrPreflight = errors.New("sandbox preflight failed")

var _ engine.Engine = (*Engine)(nil)

// Engine is the local chaos engine of one sandbox directory.
type Engine struct {
	dir  string
	seed uint64
	mu   sync.Mutex
	rng  *rand.Rand
	// StressBin is the stress-ng binary (default stress-ng on PATH).
	StressBin string
}

// New returns the engine of the sandbox in dir. seed drives the random
// selection modes (one, fixed, fixed-percent, random-max-percent); 0 picks
// one from the clock. The seed is recorded in every run file.
func New(dir string, seed uint64) *Engine {
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &Engine{dir: dir, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), StressBin: "stress-ng"}
}

// Name is "sandbox".
func (e *Engine) Name() string { return "sandbox" }

// Seed is the seed of the random selections.
func (e *Engine) Seed() uint64 { return e.seed }

// Validate checks offline that every fault of x can be honoured here.
func (e *Engine) Validate(x *spec.Experiment) error {
	var errs []error
	for i, f := range x.Spec.Faults {
		for _, err := range CheckFault(f) {
			errs = append(errs, fmt.Errorf("experiment %s: spec.faults[%d] (%s): %w", x.Metadata.Name, i, f.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Preflight checks that the sandbox runs, every replica is ready, the zones
// are spread (at least 2; 3 when a fault selects by zone), Prometheus is
// ready and every fault can be honoured. A failed check also returns an
// error wrapping ErrPreflight.
func (e *Engine) Preflight(ctx context.Context, x *spec.Experiment) (engine.Preflight, error) {
	var pf engine.Preflight
	add := func(name string, ok bool, format string, a ...any) {
		pf.Checks = append(pf.Checks, engine.Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, a...)})
	}
	st, err := sandbox.Status(ctx, e.dir)
	if err != nil || !st.Running {
		add("sandbox running", false, "no sandbox runs in %s: gameday sandbox up", e.dir)
		return pf, fmt.Errorf("%w: sandbox not running in %s", ErrPreflight, e.dir)
	}
	add("sandbox running", true, "supervisor pid %d, balancer %s", st.Supervisor.PID, st.URL)
	ready := 0
	for _, n := range st.ReadyByZone() {
		ready += n
	}
	add("replicas ready", ready == st.Desired, "%d of %d PetClinic replicas ready", ready, st.Desired)
	if x.Spec.Target != nil && x.Spec.Target.Sandbox != nil && x.Spec.Target.Sandbox.Replicas != 0 {
		want := x.Spec.Target.Sandbox.Replicas
		add("replicas as the experiment wants", want == st.Desired, "experiment wants %d, sandbox has %d (gameday sandbox down && gameday sandbox up --replicas %d)", want, st.Desired, want)
	}
	zones := 0
	for _, n := range st.ReadyByZone() {
		if n > 0 {
			zones++
		}
	}
	needZones := 2
	for _, f := range x.Spec.Faults {
		if ps := f.Spec.PodSelector(); ps != nil {
			if _, ok := ps.Selector.LabelSelectors[spec.ZoneLabel]; ok {
				needZones = 3
			}
		}
	}
	add("zones spread", zones >= needZones, "ready replicas in %d zones, %d needed", zones, needZones)
	promOK := false
	if st.Prometheus.URL != "" {
		c := &http.Client{Timeout: 2 * time.Second}
		if resp, err := c.Get(st.Prometheus.URL + "/-/ready"); err == nil {
			resp.Body.Close()
			promOK = resp.StatusCode == http.StatusOK
		}
	}
	add("prometheus ready", promOK, "%s", st.Prometheus.URL)
	if err := e.Validate(x); err != nil {
		add("faults supported", false, "%v", err)
	} else {
		add("faults supported", true, "%d faults", len(x.Spec.Faults))
	}
	for _, f := range x.Spec.Faults {
		if f.Spec.Stress != nil {
			_, err := exec.LookPath(e.StressBin)
			add("stress-ng available", err == nil, "%s (apt-get install stress-ng)", e.StressBin)
			break
		}
	}
	var failed []string
	for _, c := range pf.Checks {
		if !c.OK {
			failed = append(failed, c.Name+": "+c.Detail)
		}
	}
	if len(failed) > 0 {
		return pf, fmt.Errorf("%w: %s", ErrPreflight, strings.Join(failed, "; "))
	}
	return pf, nil
}

// Observe counts the ready replicas per zone.
func (e *Engine) Observe(ctx context.Context) (engine.Observation, error) {
	st, err := sandbox.Status(ctx, e.dir)
	if err != nil {
		return engine.Observation{}, err
	}
	return engine.Observation{At: time.Now(), ReadyByZone: st.ReadyByZone(), Desired: st.Desired}, nil
}

// Inject records fault f of run runID in the run file, then applies it. If
// applying fails midway, what was applied is recovered.
func (e *Engine) Inject(ctx context.Context, runID string, f spec.Fault) (*engine.Injection, error) {
	if errs := CheckFault(f); len(errs) > 0 {
		return nil, fmt.Errorf("inject %s: %w", f.Name, errors.Join(errs...))
	}
	st, err := sandbox.Status(ctx, e.dir)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.Name, err)
	}
	if !st.Running {
		return nil, fmt.Errorf("inject %s: %w", f.Name, sandbox.ErrNotRunning)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	run, err := e.load(runID)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.Name, err)
	}
	ref := fmt.Sprintf("%s.%s.%d", runID, f.Name, len(run.Faults))
	acts, err := plan(st, ref, f, e.rng)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.Name, err)
	}
	rec := Record{Ref: ref, Fault: f.Name, Kind: string(f.Kind), Action: action(f), Actions: acts, Planned: time.Now().UTC()}
	for _, a := range acts {
		if !slices.Contains(rec.Targets, a.Pod) {
			rec.Targets = append(rec.Targets, a.Pod)
		}
	}
	run.Faults = append(run.Faults, rec)
	i := len(run.Faults) - 1
	if err := e.save(run); err != nil { // BEFORE anything is changed
		return nil, fmt.Errorf("inject %s: record: %w", f.Name, err)
	}
	ctl := sandbox.NewControl(st)
	for j := range acts {
		if err := e.apply(ctx, st, ctl, &run.Faults[i].Actions[j]); err != nil {
			e.revert(context.WithoutCancel(ctx), ctl, &run.Faults[i])
			run.Faults[i].Recovered = time.Now().UTC()
			run.Faults[i].Error = err.Error()
			e.save(run)
			return nil, fmt.Errorf("inject %s: %s: %w", f.Name, acts[j], err)
		}
		// Stress pids are known only now.
		if acts[j].Type == ActStress {
			e.save(run)
		}
	}
	run.Faults[i].Injected = time.Now().UTC()
	if err := e.save(run); err != nil {
		return nil, fmt.Errorf("inject %s: record: %w", f.Name, err)
	}
	return run.Faults[i].injection(runID), nil
}

func action(f spec.Fault) string {
	switch {
	case f.Spec.Pod != nil:
		return string(f.Spec.Pod.Action)
	case f.Spec.Network != nil:
		return string(f.Spec.Network.Action)
	case f.Spec.Stress != nil:
		return "stress"
	case f.Spec.HTTP != nil:
		return "http-" + strings.ToLower(string(f.Spec.HTTP.Target))
	}
	return ""
}

// RecoverTimeout bounds one recovery. Recovery ignores the cancellation of
// its context (an aborted run must still recover), not its deadline.
const RecoverTimeout = 15 * time.Second

// Recover ends one injection; recovering twice is not an error.
func (e *Engine) Recover(ctx context.Context, in *engine.Injection) error {
	ctx, cancel := recoverCtx(ctx)
	defer cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	run, err := e.load(in.RunID)
	if err != nil {
		return fmt.Errorf("recover %s: %w", in.Fault, err)
	}
	for i := range run.Faults {
		r := &run.Faults[i]
		if r.Ref != in.Ref {
			continue
		}
		if !r.Recovered.IsZero() {
			in.Recovered = r.Recovered
			return nil
		}
		if err := e.recoverRecord(ctx, run, r); err != nil {
			return fmt.Errorf("recover %s: %w", in.Fault, err)
		}
		in.Recovered = r.Recovered
		return nil
	}
	return fmt.Errorf("recover %s: no fault %s in run %s", in.Fault, in.Ref, in.RunID)
}

func (e *Engine) recoverRecord(ctx context.Context, run *Run, r *Record) error {
	var ctl *sandbox.Control
	if st, err := sandbox.Status(ctx, e.dir); err == nil && st.Running {
		ctl = sandbox.NewControl(st)
	}
	if err := e.revert(ctx, ctl, r); err != nil {
		r.Error = err.Error()
		e.save(run)
		return err
	}
	r.Recovered = time.Now().UTC()
	r.Error = ""
	return e.save(run)
}

// Cleanup recovers every fault of runID (every run when runID is empty)
// that is not marked recovered, and reports what it did.
func (e *Engine) Cleanup(ctx context.Context, runID string) ([]string, error) {
	ctx, cancel := recoverCtx(ctx)
	defer cancel()
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := []string{runID}
	if runID == "" {
		var err error
		if ids, err = e.runIDs(); err != nil {
			return nil, fmt.Errorf("cleanup: %w", err)
		}
	}
	var did []string
	var errs []error
	for _, id := range ids {
		run, err := e.load(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range run.Faults {
			r := &run.Faults[i]
			if !r.Recovered.IsZero() {
				continue
			}
			if err := e.recoverRecord(ctx, run, r); err != nil {
				errs = append(errs, fmt.Errorf("run %s: fault %s: %w", id, r.Fault, err))
				continue
			}
			for _, a := range r.Actions {
				if a.Type != ActKill {
					did = append(did, fmt.Sprintf("run %s: fault %s: recovered %s", id, r.Fault, a))
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return did, fmt.Errorf("cleanup: %w", err)
	}
	return did, nil
}

func recoverCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := RecoverTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) > 0 {
		d = min(d, time.Until(dl))
	}
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// apply makes one action.
func (e *Engine) apply(ctx context.Context, st *sandbox.State, ctl *sandbox.Control, a *Action) error {
	switch a.Type {
	case ActKill:
		return a.Proc.Signal(syscall.SIGKILL)
	case ActStop:
		if err := a.Proc.Signal(syscall.SIGSTOP); err != nil {
			return err
		}
		// The signal is delivered asynchronously: the injection is
		// confirmed once the kernel shows the process stopped.
		return awaitStopped(ctx, a.Proc.PID, time.Second)
	case ActToxic:
		return ctl.AddToxic(ctx, a.Link, *a.Toxic)
	case ActHTTPFault:
		return ctl.SetHTTPFault(ctx, a.Pod, *a.HTTP)
	case ActStress:
		cmd := exec.Command(e.StressBin, a.Args...)
		cmd.Env = append(os.Environ(), sandbox.EnvMarker+"="+st.Dir, a.Marker)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start stress-ng: %w", err)
		}
		a.Proc = sandbox.ProcOf(cmd.Process.Pid)
		go cmd.Wait()
		return nil
	}
	return fmt.Errorf("unknown action %q", a.Type)
}

// revert undoes every action of r; actions that were never made are
// harmless to undo.
func (e *Engine) revert(ctx context.Context, ctl *sandbox.Control, r *Record) error {
	var errs []error
	for _, a := range r.Actions {
		switch a.Type {
		case ActKill:
			// Nothing: the supervisor restarts the pod.
		case ActStop:
			errs = append(errs, a.Proc.Signal(syscall.SIGCONT))
		case ActToxic, ActHTTPFault:
			if ctl == nil {
				continue // the sandbox is gone, and its faults with it
			}
			if a.Type == ActToxic {
				errs = append(errs, ctl.RemoveToxic(ctx, a.Link, a.Toxic.Name))
			} else {
				errs = append(errs, ctl.ClearHTTPFault(ctx, a.Pod, a.HTTP.Name))
			}
		case ActStress:
			for _, p := range append(sandbox.MarkedBy(a.Marker), a.Proc) {
				// stress-ng's workers share its marker; kill the group.
				if p.Alive() {
					syscall.Kill(-p.PID, syscall.SIGKILL)
					errs = append(errs, p.Signal(syscall.SIGKILL))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Run is the state file of one run: <sandbox>/runs/<run-id>.json.
type Run struct {
	RunID  string   `json:"runID"`
	Seed   uint64   `json:"seed"`
	Faults []Record `json:"faults"`
}

// Record is one fault of a run: planned (and written) before it is applied,
// then injected, then recovered.
type Record struct {
	Ref       string    `json:"ref"`
	Fault     string    `json:"fault"`
	Kind      string    `json:"kind"`
	Action    string    `json:"action"`
	Targets   []string  `json:"targets"`
	Actions   []Action  `json:"actions"`
	Planned   time.Time `json:"planned"`
	Injected  time.Time `json:"injected,omitzero"`
	Recovered time.Time `json:"recovered,omitzero"`
	Error     string    `json:"error,omitempty"`
}

func (r Record) injection(runID string) *engine.Injection {
	return &engine.Injection{RunID: runID, Fault: r.Fault, Kind: r.Kind, Targets: r.Targets, Injected: r.Injected, Recovered: r.Recovered, Ref: r.Ref}
}

func (e *Engine) runPath(runID string) string {
	return filepath.Join(e.dir, sandbox.RunsDir, runID+".json")
}

func validRunID(id string) error {
	if id == "" || strings.ContainsAny(id, "/\\") || id == "." || id == ".." {
		return fmt.Errorf("run id %q is not a file name", id)
	}
	return nil
}

func (e *Engine) load(runID string) (*Run, error) {
	if err := validRunID(runID); err != nil {
		return nil, err
	}
	run := &Run{RunID: runID, Seed: e.seed}
	b, err := os.ReadFile(e.runPath(runID))
	if errors.Is(err, os.ErrNotExist) {
		return run, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, run); err != nil {
		return nil, fmt.Errorf("run %s: %w", runID, err)
	}
	return run, nil
}

func (e *Engine) save(run *Run) error {
	if err := os.MkdirAll(filepath.Join(e.dir, sandbox.RunsDir), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	return sandbox.WriteFileAtomic(e.runPath(run.RunID), append(b, '\n'))
}

func (e *Engine) runIDs() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(e.dir, sandbox.RunsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, en := range ents {
		if n := en.Name(); strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			ids = append(ids, strings.TrimSuffix(n, ".json"))
		}
	}
	return ids, nil
}

// Run reads the state file of runID, for reports and tests.
func (e *Engine) Run(runID string) (*Run, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.load(runID)
}

// awaitStopped polls /proc until pid is stopped (state T), it is gone, or
// limit passes (an error: the freeze is not confirmed).
func awaitStopped(ctx context.Context, pid int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		switch sandbox.ProcState(pid) {
		case "T", "t", "":
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d not stopped %s after SIGSTOP (state %s)", pid, limit, sandbox.ProcState(pid))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
