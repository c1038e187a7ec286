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
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// EnvFault tags every stress-ng process with its fault, so that Cleanup
// finds one whose pid was never recorded.
const EnvFault = "GAMEDAY_FAULT"

var _ engine.Engine = (*Engine)(nil)

// Engine is the local chaos engine of one sandbox directory.
type Engine struct {
	dir  string
	seed uint64
	mu   sync.Mutex
	// expiries is Expire's memory of the run files, under expireMu.
	expireMu sync.Mutex
	expiries map[string]expiry
	rng      *rand.Rand
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

// Prepare runs the preflight checks of run runID: the sandbox runs, every
// replica is ready, the zones are spread (at least 2; 3 when a fault
// selects by zone), Prometheus is ready and every fault can be honoured.
// A refusal wraps engine.ErrRefused and exits 3 (the target is not ready).
func (e *Engine) Prepare(ctx context.Context, runID string, x *spec.Experiment) (engine.Session, engine.Preflight, error) {
	if err := validRunID(runID); err != nil {
		return nil, engine.Preflight{}, exitcode.Wrap(exitcode.Invalid, err)
	}
	p := &preflight{e: e, x: x}
	pf, err := engine.RunChecks(ctx, p.checks())
	if err != nil {
		return nil, pf, err
	}
	return &Session{e: e, runID: runID}, pf, nil
}

// preflight is what the checks of one Prepare read.
type preflight struct {
	e  *Engine
	x  *spec.Experiment
	st *sandbox.State
}

func (p *preflight) checks() []engine.PreflightCheck {
	return []engine.PreflightCheck{
		{Name: "sandbox running", Run: p.running},
		{Name: "replicas ready", Run: p.ready, Gate: true},
		{Name: "replicas as the experiment wants", Run: p.replicas},
		{Name: "zones as the experiment wants", Run: p.zoneNames},
		{Name: "zones spread", Run: p.zones},
		{Name: "prometheus ready", Run: p.prometheus},
		{Name: "faults supported", Run: p.supported},
		{Name: "stress-ng available", Run: p.stressNG},
	}
}

func (p *preflight) running(ctx context.Context) (string, error) {
	st, err := sandbox.Status(ctx, p.e.dir)
	if err != nil || !st.Running {
		return "", fmt.Errorf("no sandbox runs in %s: gameday sandbox up", p.e.dir)
	}
	p.st = st
	return fmt.Sprintf("supervisor pid %d, balancer %s", st.Supervisor.PID, st.URL), nil
}

func (p *preflight) ready(context.Context) (string, error) {
	ready := 0
	for _, n := range p.st.ReadyByZone() {
		ready += n
	}
	msg := fmt.Sprintf("%d of %d PetClinic replicas ready", ready, p.st.Desired)
	if ready != p.st.Desired {
		return "", errors.New(msg)
	}
	return msg, nil
}

func (p *preflight) replicas(context.Context) (string, error) {
	t := p.x.Spec.Target
	if t == nil || t.Sandbox == nil || t.Sandbox.Replicas == 0 {
		return "", engine.ErrSkip
	}
	want := t.Sandbox.Replicas
	msg := fmt.Sprintf("experiment wants %d, sandbox has %d (gameday sandbox down && gameday sandbox up --replicas %d)", want, p.st.Desired, want)
	if want != p.st.Desired {
		return "", errors.New(msg)
	}
	return msg, nil
}

// zoneNames: the experiment's target.sandbox.zones are the sandbox's, in
// order (replica i runs in zone i mod n), so that a fault's zone selector
// hits the replicas the file says.
func (p *preflight) zoneNames(context.Context) (string, error) {
	t := p.x.Spec.Target
	if t == nil || t.Sandbox == nil || len(t.Sandbox.Zones) == 0 {
		return "", engine.ErrSkip
	}
	want, have := strings.Join(t.Sandbox.Zones, ", "), strings.Join(p.st.Zones, ", ")
	if want != have {
		return "", fmt.Errorf("experiment wants zones %s, sandbox has %s (the sandbox's zones: write them in target.sandbox.zones, or leave it out)", want, have)
	}
	return "zones " + have, nil
}

func (p *preflight) zones(context.Context) (string, error) {
	zones := 0
	for _, n := range p.st.ReadyByZone() {
		if n > 0 {
			zones++
		}
	}
	needZones := 2
	for _, f := range p.x.Spec.Faults {
		if ps := f.Spec.PodSelector(); ps != nil {
			if _, ok := ps.Selector.LabelSelectors[spec.ZoneLabel]; ok {
				needZones = 3
			}
		}
	}
	msg := fmt.Sprintf("ready replicas in %d zones, %d needed", zones, needZones)
	if zones < needZones {
		return "", errors.New(msg)
	}
	return msg, nil
}

func (p *preflight) prometheus(ctx context.Context) (string, error) {
	url := p.st.Prometheus.URL
	if url == "" {
		return "", errors.New("the sandbox runs no Prometheus")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/-/ready", nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return url, nil
}

func (p *preflight) supported(context.Context) (string, error) {
	if err := p.e.Validate(p.x); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d faults", len(p.x.Spec.Faults)), nil
}

func (p *preflight) stressNG(context.Context) (string, error) {
	if !slices.ContainsFunc(p.x.Spec.Faults, func(f spec.Fault) bool { return planners[f.Kind].stressNG }) {
		return "", engine.ErrSkip
	}
	msg := fmt.Sprintf("%s (apt-get install stress-ng)", p.e.StressBin)
	if _, err := exec.LookPath(p.e.StressBin); err != nil {
		return "", errors.New(msg)
	}
	return msg, nil
}

// Session is one run on the sandbox: its faults go into the run file
// runs/<run-id>.json.
type Session struct {
	e     *Engine
	runID string

	active engine.Active
}

var _ engine.Session = (*Session)(nil)

// Inject records fault f in the run file, then applies it (see
// Engine.Inject).
func (s *Session) Inject(ctx context.Context, f spec.Fault) (*engine.Injection, error) {
	in, err := s.e.Inject(ctx, s.runID, f)
	if err != nil {
		return nil, err
	}
	s.active.Add(in)
	return in, nil
}

// Recover reverts the injection's actions (see Engine.Recover).
func (s *Session) Recover(ctx context.Context, in *engine.Injection) error {
	if err := s.e.Recover(ctx, in); err != nil {
		return err
	}
	s.active.Done(in)
	return nil
}

// Abort is Recover: every sandbox fault ends at once when reverted.
func (s *Session) Abort(ctx context.Context, in *engine.Injection) error { return s.Recover(ctx, in) }

// Observe counts the ready replicas per zone.
func (s *Session) Observe(ctx context.Context) (engine.Observation, error) {
	st, err := sandbox.Status(ctx, s.e.dir)
	if err != nil {
		return engine.Observation{}, err
	}
	return engine.Observation{At: time.Now(), ReadyByZone: st.ReadyByZone(), Desired: st.Desired}, nil
}

// Close recovers every injection of the session still active (the runner
// ends them before; a leftover is a bug the error names).
func (s *Session) Close(ctx context.Context) error { return s.active.AbortAll(ctx, s.Abort) }

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
	unlock, err := e.lock()
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.Name, err)
	}
	defer unlock()
	run, err := e.load(runID)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.Name, err)
	}
	ref := fmt.Sprintf("%s.%s.%d", runID, f.Name, len(run.Faults))
	acts, err := plan(st, ref, f, e.rng)
	if err != nil {
		return nil, fmt.Errorf("inject %s: %w", f.Name, err)
	}
	planned := time.Now().UTC()
	rec := Record{Ref: ref, Fault: f.Name, Kind: string(f.Kind), Action: f.Spec.Label(), Actions: acts, Planned: planned,
		Deadline: planned.Add(f.Duration.D() + DeadlineGrace)}
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

// RecoverTimeout bounds one recovery. Recovery ignores the cancellation of
// its context (an aborted run must still recover), not its deadline.
const RecoverTimeout = 15 * time.Second

// Recover ends one injection; recovering twice is not an error.
func (e *Engine) Recover(ctx context.Context, in *engine.Injection) error {
	ctx, cancel := recoverCtx(ctx)
	defer cancel()
	unlock, err := e.lock()
	if err != nil {
		return fmt.Errorf("recover %s: %w", in.Fault, err)
	}
	defer unlock()
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
		if err := e.recoverRecord(ctx, run, r, ByHarness); err != nil {
			return fmt.Errorf("recover %s: %w", in.Fault, err)
		}
		in.Recovered = r.Recovered
		return nil
	}
	return fmt.Errorf("recover %s: no fault %s in run %s", in.Fault, in.Ref, in.RunID)
}

func (e *Engine) recoverRecord(ctx context.Context, run *Run, r *Record, by string) error {
	var ctl *sandbox.Control
	if st, err := sandbox.Status(ctx, e.dir); err == nil && st.Running {
		ctl = sandbox.NewControl(st)
	}
	if err := e.revert(ctx, ctl, r); err != nil {
		r.Error = err.Error()
		e.save(run)
		return err
	}
	r.Recovered, r.RecoveredBy = time.Now().UTC(), by
	r.Error = ""
	return e.save(run)
}

// Cleanup recovers every fault of runID (every run when runID is empty)
// that is not marked recovered, and reports what it did.
func (e *Engine) Cleanup(ctx context.Context, runID string) ([]string, error) {
	ctx, cancel := recoverCtx(ctx)
	defer cancel()
	unlock, err := e.lock()
	if err != nil {
		return nil, fmt.Errorf("cleanup: %w", err)
	}
	defer unlock()
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
			if err := e.recoverRecord(ctx, run, r, ByCleanup); err != nil {
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
	Ref     string    `json:"ref"`
	Fault   string    `json:"fault"`
	Kind    string    `json:"kind"`
	Action  string    `json:"action"`
	Targets []string  `json:"targets"`
	Actions []Action  `json:"actions"`
	Planned time.Time `json:"planned"`
	// Deadline is when the fault must be over, the harness alive or not:
	// Planned (the run's start + the fault's startAfter, when the runner
	// asked for it) + its duration + DeadlineGrace. The sandbox's
	// supervisor enforces it (Expire); zero in files of older versions.
	Deadline  time.Time `json:"deadline,omitzero"`
	Injected  time.Time `json:"injected,omitzero"`
	Recovered time.Time `json:"recovered,omitzero"`
	// RecoveredBy says who ended it: the harness, gameday cleanup, or the
	// supervisor at the deadline.
	RecoveredBy string `json:"recoveredBy,omitempty"`
	Error       string `json:"error,omitempty"`
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
