package chaos_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"

	"github.com/gamedayhq/gameday/harness/internal/engine"
	"github.com/gamedayhq/gameday/harness/internal/exitcode"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/chaos"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
	"github.com/gamedayhq/gameday/harness/internal/schedtest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

func sel(labels map[string]string, mode v1alpha1.SelectorMode, value string) v1alpha1.PodSelector {
	return v1alpha1.PodSelector{Selector: v1alpha1.PodSelectorSpec{GenericSelectorSpec: v1alpha1.GenericSelectorSpec{LabelSelectors: labels}}, Mode: mode, Value: value}
}

func pod(name string) map[string]string { return map[string]string{sandbox.LabelPod: name} }

func ptr[T any](v T) *T { return &v }

func fault(name string, d time.Duration, fs spec.FaultSpec) spec.Fault {
	return spec.Fault{Name: name, Kind: fs.Kind().Name, Duration: spec.Duration(d), Spec: fs}
}

// load sends GETs to url from workers goroutines until ctx ends.
func load(ctx context.Context, url string, workers int) (ok, failed *atomic.Int64, wait func()) {
	ok, failed = new(atomic.Int64), new(atomic.Int64)
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 5 * time.Second}
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				resp, err := c.Get(url)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if ctx.Err() != nil {
					return
				}
				if err != nil || resp.StatusCode != 200 {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
			}
		})
	}
	return ok, failed, wg.Wait
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not after %s", what, timeout)
	return 0
}

func status(t *testing.T, dir string) *sandbox.State {
	t.Helper()
	st, err := sandbox.Status(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// median latency of n GETs of url.
func median(t *testing.T, url string, n int) time.Duration {
	t.Helper()
	var ds []time.Duration
	c := &http.Client{Timeout: 5 * time.Second}
	for range n {
		start := time.Now()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[n/2]
}

// inRotation waits until the balancer sends traffic to pod again, as seen
// in a state written after the call (a passive ejection may be in flight).
func inRotation(t *testing.T, dir, pod string) {
	t.Helper()
	since := time.Now().Add(100 * time.Millisecond)
	waitFor(t, pod+" in the balancer's rotation", 10*time.Second, func() bool {
		st := status(t, dir)
		p, _ := st.Pod(pod)
		return p.Balancer == "in" && st.Updated.After(since)
	})
}

func linkOf(st *sandbox.State, name string) sandbox.Link {
	for _, l := range st.Links {
		if l.Name == name {
			return l
		}
	}
	return sandbox.Link{}
}

func toxics(t *testing.T, st *sandbox.State, link string) []string {
	t.Helper()
	resp, err := http.Get(st.ControlURL + "/v1/links/" + link + "/toxics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ts []struct{ Name string }
	json.NewDecoder(resp.Body).Decode(&ts)
	var names []string
	for _, x := range ts {
		names = append(names, x.Name)
	}
	return names
}

func TestEngine(t *testing.T) {
	st := sandboxtest.Up(t, sandbox.Config{})
	ctx := context.Background()
	eng := chaos.New(st.Dir, 42)

	t.Run("prepare passes on a ready sandbox for the pod-kill experiment; Close recovers what is still active", func(t *testing.T) {
		x, err := spec.LoadFile("../../../../experiments/pod-kill.yaml")
		if err != nil {
			t.Fatal(err)
		}
		s, pf, err := eng.Prepare(ctx, "run-session", x)
		if err != nil {
			t.Fatalf("got %v (%+v)", err, pf)
		}
		obs, err := s.Observe(ctx)
		if err != nil || fmt.Sprint(obs.ReadyByZone) != "map[zone-a:1 zone-b:1 zone-c:1]" || obs.Desired != 3 {
			t.Errorf("got observation %+v, %v", obs, err)
		}
		p0, _ := status(t, st.Dir).Pod("petclinic-0")
		in, err := s.Inject(ctx, fault("freeze", 10*time.Second, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(pod("petclinic-0"), v1alpha1.AllMode, "")}, Action: v1alpha1.PodFailureAction})))
		if err != nil {
			t.Fatal(err)
		}
		if got := sandbox.ProcState(p0.PID); got != "T" {
			t.Fatalf("got petclinic-0 in state %q, want T (stopped)", got)
		}
		err = s.Close(ctx)
		if err == nil || !strings.Contains(err.Error(), "fault freeze ("+in.Ref+") was still active at Close: aborted") {
			t.Errorf("got %v, want Close to name the fault it recovered", err)
		}
		if got := sandbox.ProcState(p0.PID); got == "T" {
			t.Errorf("got petclinic-0 still stopped after Close")
		}
		if err := s.Close(ctx); err != nil {
			t.Errorf("second Close: got %v, want nothing to do", err)
		}
		run, _ := eng.Run("run-session")
		if len(run.Faults) != 1 || run.Faults[0].Recovered.IsZero() {
			t.Errorf("got run file %+v, want the fault marked recovered", run.Faults)
		}
		inRotation(t, st.Dir, "petclinic-0")
	})

	t.Run("prepare refuses an experiment that wants more replicas than run", func(t *testing.T) {
		x, err := spec.LoadFile("../../../../experiments/zone-outage.yaml")
		if err != nil {
			t.Fatal(err)
		}
		s, pf, err := eng.Prepare(ctx, "run-refused", x)
		if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), "experiment wants 6, sandbox has 3") || exitcode.Of(err) != exitcode.Infra || s != nil {
			t.Fatalf("got %v (exit %d), session %v; want ErrRefused naming 6 replicas, exit 3, no session", err, exitcode.Of(err), s)
		}
		failed := 0
		for _, c := range pf.Checks {
			if !c.OK {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("got %d failed checks %+v, want only the replica count", failed, pf.Checks)
		}
	})

	t.Run("prepare refuses an experiment whose zones the sandbox does not run", func(t *testing.T) {
		x, err := spec.LoadFile("../../../../experiments/pod-kill.yaml")
		if err != nil {
			t.Fatal(err)
		}
		x.Spec.Target.Sandbox.Zones = []string{"zone-c", "zone-b", "zone-a"}
		s, pf, err := eng.Prepare(ctx, "run-zones", x)
		want := "experiment wants zones zone-c, zone-b, zone-a, sandbox has zone-a, zone-b, zone-c"
		if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), want) || s != nil {
			t.Fatalf("got %v, session %v; want ErrRefused with %q, no session", err, s, want)
		}
		for _, c := range pf.Checks {
			if !c.OK && c.Name != "zones as the experiment wants" {
				t.Errorf("got check %+v failed too, want only the zones", c)
			}
		}
	})

	t.Run("pod-kill: the balancer keeps serving and the supervisor restarts the replica", func(t *testing.T) {
		lctx, stop := context.WithCancel(ctx)
		ok, failed, wait := load(lctx, st.URL+"/petclinic/api/vets", 4)
		time.Sleep(300 * time.Millisecond)
		before, _ := status(t, st.Dir).Pod("petclinic-1")
		in, err := eng.Inject(ctx, "run-kill", fault("kill-one", 10*time.Second, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(pod("petclinic-1"), v1alpha1.OneMode, "")}, Action: v1alpha1.PodKillAction})))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(in.Targets, []string{"petclinic-1"}) {
			t.Errorf("got targets %v", in.Targets)
		}
		var after sandbox.Pod
		took := waitFor(t, "petclinic-1 restarted and ready", 20*time.Second, func() bool {
			after, _ = status(t, st.Dir).Pod("petclinic-1")
			return after.Ready && after.PID != before.PID
		})
		time.Sleep(300 * time.Millisecond)
		stop()
		wait()
		t.Logf("pod-kill: ready again %s after SIGKILL (restart delay %s); %d ok, %d failed requests", took.Round(time.Millisecond), sandbox.DefaultRestartDelay, ok.Load(), failed.Load())
		if f := failed.Load(); f > 0 {
			t.Errorf("got %d failed requests of %d during the kill, want 0", f, f+ok.Load())
		}
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("pod-failure freezes the replica until recovery, the balancer serves around it", func(t *testing.T) {
		lctx, stop := context.WithCancel(ctx)
		ok, failed, wait := load(lctx, st.URL+"/petclinic/api/vets", 4)
		p0, _ := status(t, st.Dir).Pod("petclinic-0")
		in, err := eng.Inject(ctx, "run-freeze", fault("freeze", 10*time.Second, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(map[string]string{sandbox.LabelZone: "zone-a", sandbox.LabelApp: "petclinic"}, v1alpha1.AllMode, "")}, Action: v1alpha1.PodFailureAction})))
		if err != nil {
			t.Fatal(err)
		}
		if got := sandbox.ProcState(p0.PID); got != "T" {
			t.Errorf("got state %q of petclinic-0, want T (stopped)", got)
		}
		waitFor(t, "zone-a observed down", 10*time.Second, func() bool {
			by := status(t, st.Dir).ReadyByZone()
			return by["zone-a"] == 0 && by["zone-b"] == 1
		})
		time.Sleep(2 * time.Second)
		stop()
		wait()
		t.Logf("pod-failure: %d ok, %d failed requests while frozen", ok.Load(), failed.Load())
		if f := failed.Load(); f > 0 {
			t.Errorf("got %d failed requests of %d, want 0 (retried on another replica)", f, f+ok.Load())
		}
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := eng.Recover(ctx, in); err != nil {
			t.Errorf("second recover: %v", err)
		}
		if got := sandbox.ProcState(p0.PID); got == "T" || got == "" {
			t.Errorf("got state %q after recovery, want running", got)
		}
		took := waitFor(t, "petclinic-0 ready again, same process", 10*time.Second, func() bool {
			p, _ := status(t, st.Dir).Pod("petclinic-0")
			return p.Ready && p.PID == p0.PID
		})
		t.Logf("pod-failure: ready %s after SIGCONT", took.Round(time.Millisecond))
	})

	t.Run("network delay adds latency on one replica's link only, and is removed", func(t *testing.T) {
		st := status(t, st.Dir)
		l1 := "http://" + linkOf(st, "balancer--petclinic-1").Listen + "/actuator/health/liveness"
		l2 := "http://" + linkOf(st, "balancer--petclinic-2").Listen + "/actuator/health/liveness"
		sched := schedtest.Watch(t)
		base := median(t, l1, 15)
		in, err := eng.Inject(ctx, "run-delay", fault("slow-one", 10*time.Second, spec.NewFaultSpec(&v1alpha1.NetworkChaosSpec{
			PodSelector: sel(pod("petclinic-1"), v1alpha1.OneMode, ""), Action: v1alpha1.DelayAction,
			TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "100ms", Jitter: "10ms", Correlation: "25"}}})))
		if err != nil {
			t.Fatal(err)
		}
		slow, other := median(t, l1, 15), median(t, l2, 15)
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
		after := median(t, l1, 15)
		added := slow - base
		// A busy machine's slack on the upper bounds: twice the worst wake-up
		// this process saw meanwhile (medians of 15 ride out most of it).
		late := sched.Stop()
		slack := 2 * late.Worst
		t.Logf("delay 100ms: median %s before, %s during (+%s), %s after; other replica %s; scheduler: %s", base, slow, added, after, other, late)
		if added < 90*time.Millisecond || added > 140*time.Millisecond+slack {
			t.Errorf("got +%s, want +100ms (90..140, +%s of slack)", added, slack)
		}
		if other > base+50*time.Millisecond+slack {
			t.Errorf("got %s on petclinic-2, want it unaffected (%s, +%s of slack)", other, base, slack)
		}
		if after > base+50*time.Millisecond+slack {
			t.Errorf("got %s after recovery, want back near %s (+%s of slack)", after, base, slack)
		}
	})

	t.Run("loss delays about that share of a replica's responses by a retransmission timeout", func(t *testing.T) {
		st := status(t, st.Dir)
		url := "http://" + linkOf(st, "balancer--petclinic-2").Listen + "/actuator/health/liveness"
		in, err := eng.Inject(ctx, "run-loss", fault("lossy", 10*time.Second, spec.NewFaultSpec(&v1alpha1.NetworkChaosSpec{
			PodSelector: sel(pod("petclinic-2"), v1alpha1.AllMode, ""), Action: v1alpha1.LossAction,
			TcParameter: v1alpha1.TcParameter{Loss: &v1alpha1.LossSpec{Loss: "30"}}})))
		if err != nil {
			t.Fatal(err)
		}
		c := &http.Client{Timeout: 5 * time.Second}
		sched := schedtest.Watch(t)
		slow := 0
		const n = 20
		for range n {
			start := time.Now()
			resp, err := c.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if time.Since(start) >= sandbox.MinRTO-10*time.Millisecond {
				slow++
			}
		}
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
		// A stall of this process as long as a retransmission makes one more
		// response look delayed: each one raises the upper bound.
		late := sched.Stop()
		stalls := 0
		for _, st := range late.Stalls {
			if st.Late >= sandbox.MinRTO/2 {
				stalls++
			}
		}
		t.Logf("loss 30%%: %d of %d responses delayed by at least %s; scheduler: %s", slow, n, sandbox.MinRTO, late)
		if slow < 1 || slow > 12+stalls {
			t.Errorf("got %d of %d delayed, want about 30%% (1..12, +%d for the stalls of ≥ %s)", slow, n, stalls, sandbox.MinRTO/2)
		}
	})

	t.Run("bandwidth limits a replica's responses to the rate", func(t *testing.T) {
		st := status(t, st.Dir)
		url := "http://" + linkOf(st, "balancer--petclinic-2").Listen + "/petclinic/api/owners"
		in, err := eng.Inject(ctx, "run-bw", fault("thin", 10*time.Second, spec.NewFaultSpec(&v1alpha1.NetworkChaosSpec{
			PodSelector: sel(pod("petclinic-2"), v1alpha1.AllMode, ""), Action: v1alpha1.BandwidthAction,
			TcParameter: v1alpha1.TcParameter{Bandwidth: &v1alpha1.BandwidthSpec{Rate: "80kbps", Limit: 1000, Buffer: 1000}}})))
		if err != nil {
			t.Fatal(err)
		}
		sched := schedtest.Watch(t)
		start := time.Now()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		late := sched.Stop()
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
		want := time.Duration(float64(len(b)) / 10000 * float64(time.Second)) // 80 kbps = 10 KB/s
		t.Logf("bandwidth 80kbps: %d bytes in %s (ideal %s); scheduler: %s", len(b), took.Round(time.Millisecond), want.Round(time.Millisecond), late)
		if took < want*6/10 || took > want*2+200*time.Millisecond+2*late.Worst {
			t.Errorf("got %s for %d bytes, want about %s (at most twice it + 200ms + twice the worst wake-up, %s)", took, len(b), want, late.Worst)
		}
	})

	t.Run("partition of every replica from redis: requests still succeed", func(t *testing.T) {
		if _, ok := st.Pod("redis-0"); !ok {
			t.Skip("no redis-server: the sandbox runs without Redis")
		}
		in, err := eng.Inject(ctx, "run-redis", fault("cut-redis", 10*time.Second, spec.NewFaultSpec(&v1alpha1.NetworkChaosSpec{
			PodSelector: sel(map[string]string{sandbox.LabelApp: "petclinic"}, v1alpha1.AllMode, ""), Action: v1alpha1.PartitionAction,
			Direction: v1alpha1.To, Target: ptr(sel(map[string]string{sandbox.LabelApp: "redis"}, v1alpha1.AllMode, ""))})))
		if err != nil {
			t.Fatal(err)
		}
		st := status(t, st.Dir)
		for _, l := range []string{"petclinic-0--redis-0", "petclinic-1--redis-0", "petclinic-2--redis-0"} {
			if got := toxics(t, st, l); len(got) != 1 || !strings.HasSuffix(got[0], ".timeout.upstream") {
				t.Errorf("got toxics %v on %s, want one upstream timeout", got, l)
			}
		}
		if got := toxics(t, st, "balancer--petclinic-0"); len(got) != 0 {
			t.Errorf("got toxics %v on the balancer's link, want none", got)
		}
		c := &http.Client{Timeout: 5 * time.Second}
		for i := range 12 {
			resp, err := c.Get(st.URL + "/petclinic/api/vets")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("request %d: got %d, want 200 without Redis", i, resp.StatusCode)
			}
		}
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
		if got := toxics(t, st, "petclinic-0--redis-0"); len(got) != 0 {
			t.Errorf("got toxics %v after recovery", got)
		}
	})

	t.Run("HTTPChaos abort: reads are retried elsewhere, writes to that replica fail", func(t *testing.T) {
		inRotation(t, st.Dir, "petclinic-1")
		in, err := eng.Inject(ctx, "run-abort", fault("abort", 10*time.Second, spec.NewFaultSpec(&v1alpha1.HTTPChaosSpec{
			PodSelector: sel(pod("petclinic-1"), v1alpha1.AllMode, ""), Target: v1alpha1.PodHttpRequest,
			PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: ptr(true)}})))
		if err != nil {
			t.Fatal(err)
		}
		// Three rounds of the balancer's rotation: each replica gets 3 POSTs,
		// fewer than the passive ejection's 5 errors in a row.
		codes := map[string]int{}
		for i := range 9 {
			body := fmt.Sprintf(`{"firstName":"Abort","lastName":"Test%s","address":"1 Loop St","city":"Local","telephone":"0123456789"}`, string(rune('a'+i)))
			resp, err := http.Post(st.URL+"/petclinic/api/owners", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes[fmt.Sprintf("POST %s=%d", resp.Header.Get(sandbox.PodHeader), resp.StatusCode)]++
		}
		for range 6 {
			resp, err := http.Get(st.URL + "/petclinic/api/vets")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes[fmt.Sprintf("GET %s=%d", resp.Header.Get(sandbox.PodHeader), resp.StatusCode)]++
		}
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
		t.Logf("HTTPChaos abort on petclinic-1: %v", codes)
		for k := range codes {
			bad := strings.HasSuffix(k, "=502")
			if bad != (k == "POST petclinic-1=502") || strings.HasPrefix(k, "GET petclinic-1=") {
				t.Errorf("got %s, want GETs served by the others and POSTs to petclinic-1 failing", k)
			}
		}
		if codes["POST petclinic-1=502"] == 0 {
			t.Errorf("got %v, want a failed POST on petclinic-1", codes)
		}
	})

	t.Run("HTTPChaos replaces the code of one replica's responses only", func(t *testing.T) {
		inRotation(t, st.Dir, "petclinic-1")
		in, err := eng.Inject(ctx, "run-http", fault("five-hundreds", 10*time.Second, spec.NewFaultSpec(&v1alpha1.HTTPChaosSpec{
			PodSelector: sel(map[string]string{sandbox.LabelZone: "zone-b"}, v1alpha1.AllMode, ""), Target: v1alpha1.PodHttpResponse,
			Port: 8080, Path: ptr("*"), PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Replace: &v1alpha1.PodHttpChaosReplaceActions{Code: ptr(int32(503))}}})))
		if err != nil {
			t.Fatal(err)
		}
		codes := map[string]int{}
		for range 30 {
			resp, err := http.Get(st.URL + "/petclinic/api/vets")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			codes[fmt.Sprintf("%s=%d", resp.Header.Get(sandbox.PodHeader), resp.StatusCode)]++
		}
		if err := eng.Recover(ctx, in); err != nil {
			t.Fatal(err)
		}
		t.Logf("HTTPChaos 503 on zone-b: %v", codes)
		for k := range codes {
			if strings.HasSuffix(k, "=503") != strings.HasPrefix(k, "petclinic-1=") {
				t.Errorf("got %s, want 503 from petclinic-1 (zone-b) only", k)
			}
		}
		if codes["petclinic-1=503"] == 0 {
			t.Errorf("got %v, want some 503 from petclinic-1", codes)
		}
	})

	t.Run("cleanup recovers what a crashed engine left", func(t *testing.T) {
		if _, err := os.Stat("/usr/bin/stress-ng"); err != nil {
			sandboxtest.Need(t, "stress-ng")
		}
		crashed := chaos.New(st.Dir, 7)
		p2, _ := status(t, st.Dir).Pod("petclinic-2")
		faults := []spec.Fault{
			fault("freeze", time.Minute, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{
				ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(pod("petclinic-2"), v1alpha1.AllMode, "")}, Action: v1alpha1.PodFailureAction})),
			fault("slow", time.Minute, spec.NewFaultSpec(&v1alpha1.NetworkChaosSpec{
				PodSelector: sel(pod("petclinic-0"), v1alpha1.AllMode, ""), Action: v1alpha1.DelayAction, Direction: v1alpha1.Both,
				TcParameter: v1alpha1.TcParameter{Delay: &v1alpha1.DelaySpec{Latency: "300ms", Jitter: "10ms"}}})),
			fault("errors", time.Minute, spec.NewFaultSpec(&v1alpha1.HTTPChaosSpec{
				PodSelector: sel(pod("petclinic-1"), v1alpha1.AllMode, ""), Target: v1alpha1.PodHttpRequest,
				PodHttpChaosActions: v1alpha1.PodHttpChaosActions{Abort: ptr(true)}})),
			fault("burn", time.Minute, spec.NewFaultSpec(&v1alpha1.StressChaosSpec{
				ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(pod("petclinic-1"), v1alpha1.AllMode, "")},
				Stressors:         &v1alpha1.Stressors{CPUStressor: &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: 1}, Load: ptr(10)}}})),
		}
		for _, f := range faults {
			if _, err := crashed.Inject(ctx, "run-crash", f); err != nil {
				t.Fatal(err)
			}
		}
		run, _ := crashed.Run("run-crash")
		stress := run.Faults[3].Actions[0]
		if !stress.Proc.Alive() || sandbox.ProcState(p2.PID) != "T" || len(toxics(t, st, "balancer--petclinic-0")) != 2 {
			t.Fatalf("got stress alive=%t, petclinic-2 state %q, toxics %v: faults not injected",
				stress.Proc.Alive(), sandbox.ProcState(p2.PID), toxics(t, st, "balancer--petclinic-0"))
		}
		// The engine is dropped here, as if the harness were kill -9ed.
		did, err := chaos.New(st.Dir, 0).Cleanup(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("cleanup: %s", strings.Join(did, "\n"))
		// SIGCONT; latency both ways on petclinic-0's two links (balancer
		// and Redis); the HTTP fault; stress-ng.
		if len(did) != 7 {
			t.Errorf("got %d recoveries, want 7", len(did))
		}
		if sandbox.ProcState(p2.PID) == "T" {
			t.Error("got petclinic-2 still stopped")
		}
		for _, l := range []string{"balancer--petclinic-0", "petclinic-0--redis-0"} {
			if got := toxics(t, st, l); len(got) != 0 {
				t.Errorf("got toxics %v left on %s", got, l)
			}
		}
		waitFor(t, "stress-ng gone", 5*time.Second, func() bool { return !stress.Proc.Alive() && len(sandbox.MarkedBy(stress.Marker)) == 0 })
		run, _ = crashed.Run("run-crash")
		for _, r := range run.Faults {
			if r.Recovered.IsZero() {
				t.Errorf("got fault %s not marked recovered", r.Fault)
			}
		}
		waitFor(t, "every replica ready", 10*time.Second, func() bool { return status(t, st.Dir).Ready() })
		c := &http.Client{Timeout: 5 * time.Second}
		for range 6 {
			resp, err := c.Get(st.URL + "/petclinic/api/vets")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v %v after cleanup", resp, err)
			}
			resp.Body.Close()
		}
		if did, err := chaos.New(st.Dir, 0).Cleanup(ctx, ""); err != nil || len(did) != 0 {
			t.Errorf("second cleanup: got %v, %v; want nothing to do", did, err)
		}
	})

	t.Run("an injection that selects nothing is an error and changes nothing", func(t *testing.T) {
		_, err := eng.Inject(ctx, "run-none", fault("nobody", time.Second, spec.NewFaultSpec(&v1alpha1.PodChaosSpec{
			ContainerSelector: v1alpha1.ContainerSelector{PodSelector: sel(map[string]string{sandbox.LabelZone: "zone-z"}, v1alpha1.AllMode, "")}, Action: v1alpha1.PodKillAction})))
		if err == nil || !strings.Contains(err.Error(), "selects no pod") {
			t.Errorf("got %v, want selects no pod", err)
		}
	})
}
