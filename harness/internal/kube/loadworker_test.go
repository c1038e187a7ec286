package kube_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/cli"
	"github.com/gamedayhq/gameday/harness/internal/kube"
	"github.com/gamedayhq/gameday/harness/internal/kube/kubetest"
	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/schedtest"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// TestLoadJobIsAcceptedAndSplitsTheRate: the indexed Job of 4 workers for
// a 2,000 req/s step profile is accepted by the API server (and by the
// shipped Role), each worker at 500 then 250 req/s. Pods do not run on
// envtest (no kubelet): what the workers do is tested below, for real,
// against a local server.
func TestLoadJobIsAcceptedAndSplitsTheRate(t *testing.T) {
	t.Parallel() // each test has its own namespace
	kubetest.Need(t)
	ns := "load-job"
	build(t, petclinic(ns))
	l := experiment(t, "zone-outage").Spec.Load
	l.Profile = spec.RateProfile{Steps: []spec.RateStep{{Rate: 2000, Duration: spec.Duration(30 * time.Second)}, {Rate: 1000, Duration: spec.Duration(120 * time.Second)}}}
	job, err := kube.LoadJob(kube.JobConfig{Namespace: ns, RunID: "load-1", Experiment: "zone-outage", Image: "ghcr.io/gamedayhq/gameday:test",
		Workers: 4, Target: "http://petclinic.load-job.svc:8080", Load: l, StartAt: time.Now().Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(t.Context(), job); err != nil {
		t.Fatalf("create the Job: %v", err)
	}
	var got batchv1.Job
	if err := env.Client.Get(t.Context(), client.ObjectKeyFromObject(job), &got); err != nil {
		t.Fatal(err)
	}
	if *got.Spec.CompletionMode != batchv1.IndexedCompletion || *got.Spec.Completions != 4 || *got.Spec.Parallelism != 4 {
		t.Errorf("mode %s, completions %d, parallelism %d: want Indexed, 4, 4", *got.Spec.CompletionMode, *got.Spec.Completions, *got.Spec.Parallelism)
	}
	args := got.Spec.Template.Spec.Containers[0].Args
	i := slices.Index(args, "--load")
	var part spec.Load
	if i < 0 || json.Unmarshal([]byte(args[i+1]), &part) != nil {
		t.Fatalf("no --load in %q", args)
	}
	if r := part.Profile.Steps; len(r) != 2 || r[0].Rate != 500 || r[1].Rate != 250 {
		t.Errorf("worker profile %+v, want steps of 500 and 250 req/s", part.Profile)
	}
	if got.Labels[kube.LabelRunID] != "load-1" || got.Labels[kube.LabelManagedBy] != "gameday" {
		t.Errorf("labels %v", got.Labels)
	}
}

// TestWorkersMergeIntoOneTimeline runs two real workers (Vegeta) at half
// of 60 req/s for 3 s each against a local server, as the Job's pods
// would, and merges their output into one timeline: every request is
// counted once, the seconds line up, the quantiles survive the 2 % buckets.
func TestWorkersMergeIntoOneTimeline(t *testing.T) {
	t.Parallel() // each test has its own namespace
	var served, failedServed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		time.Sleep(20 * time.Millisecond)
		if r.URL.Path == "/vets.html" {
			failedServed.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	l := spec.Load{Duration: spec.Duration(3 * time.Second), Profile: spec.RateProfile{Constant: &spec.ConstantRate{Rate: 60}},
		Journeys: []spec.Journey{{Name: "home", Weight: 1}, {Name: "vets", Weight: 1}}, Timeout: spec.Duration(2 * time.Second), MaxWorkers: 100}
	start := time.Now().Add(300 * time.Millisecond)
	outs := make([]bytes.Buffer, 2)
	errs := make(chan error, 2)
	for i := range outs {
		go func() {
			errs <- kube.RunWorker(context.Background(), kube.WorkerConfig{Target: srv.URL, Load: kube.SplitLoad(l, 2), Index: i, StartAt: start, RunID: "merge"}, &outs[i])
		}()
	}
	for range outs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	tl := load.NewTimeline(load.TimelineConfig{Start: start})
	n, err := kube.Merge(tl, &outs[0], &outs[1])
	if err != nil {
		t.Fatal(err)
	}
	tl.Seal()
	total := tl.Total()
	if int64(total.Requests) != served.Load() {
		t.Errorf("merged %d requests, the server saw %d", total.Requests, served.Load())
	}
	if total.Requests < 170 || total.Requests > 190 {
		t.Errorf("%d requests, want about 180 (60 req/s for 3 s)", total.Requests)
	}
	if n < 6 {
		t.Errorf("%d lines, want one per second per worker (6)", n)
	}
	// A hit is never sent before it is due: by the end of second k at most
	// 60(k+1) were sent; a busy machine delays them (measured: none idle),
	// up to half a second here.
	var sent uint64
	for k, s := range tl.Seconds() {
		sent += s.Requests
		due := min(60*uint64(k+1), 180)
		t.Logf("second %d: %d requests, %d of %d due sent by its end", k, s.Requests, sent, due)
		if sent > due+2 || sent+30 < due {
			t.Errorf("second %d: %d requests sent by its end, want %d (at most 2 early, 30 late)", k, sent, due)
		}
	}
	// The server sleeps 20ms: the merged p50 cannot be below it, and stays
	// near it unless the machine is very busy (a bad merge of the 2 %
	// buckets lands far off; measured 20-21ms idle).
	t.Logf("merged p50 %s, p99 %s", total.P50, total.P99)
	if total.P50 < 19*time.Millisecond || total.P50 > 100*time.Millisecond {
		t.Errorf("p50 %s, want about 20ms (the server sleeps 20ms)", total.P50)
	}
	var failed uint64
	for _, e := range total.Errors {
		failed += e.Count
	}
	if int64(failed) != failedServed.Load() || failed == 0 {
		t.Errorf("%d failed requests merged, the server answered %d with 500", failed, failedServed.Load())
	}
	t.Logf("merged %d lines: %d requests, %d failed, p50 %s, p99 %s", n, total.Requests, failed, total.P50, total.P99)
}

// TestLoadWorkerCommand runs the hidden `gameday load-worker` as the Job's
// pods do (JOB_COMPLETION_INDEX in the environment).
func TestLoadWorkerCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	t.Setenv("JOB_COMPLETION_INDEX", "3")
	part, _ := json.Marshal(spec.Load{Duration: spec.Duration(time.Second), Profile: spec.RateProfile{Constant: &spec.ConstantRate{Rate: 20}},
		Journeys: []spec.Journey{{Name: "home", Weight: 1}}, Timeout: spec.Duration(time.Second)})
	var out, errOut bytes.Buffer
	err := cli.Run(t.Context(), []string{"gameday", "load-worker", "--target", srv.URL, "--workers", "4", "--load", string(part),
		"--start-at", time.Now().Format(time.RFC3339Nano), "--run-id", "cmd"}, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var ws kube.WorkerSecond
	if err := json.Unmarshal(bytes.SplitN(out.Bytes(), []byte("\n"), 2)[0], &ws); err != nil {
		t.Fatalf("first line %q: %v", out.String(), err)
	}
	if ws.Worker != 3 || ws.Journeys["home"] == nil || ws.Journeys["home"].Successes == 0 {
		t.Errorf("first line %+v, want worker 3 with home successes", ws)
	}
}

// TestMergeLive: two real workers write into pipes as they go (as the
// Job's pod logs stream); the live merge fills the timeline in order while
// they run and ends with every request counted.
func TestMergeLive(t *testing.T) {
	t.Parallel() // each test has its own namespace
	sched := schedtest.Watch(t)
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { served.Add(1) }))
	defer srv.Close()
	l := spec.Load{Duration: spec.Duration(4 * time.Second), Profile: spec.RateProfile{Constant: &spec.ConstantRate{Rate: 40}},
		Journeys: []spec.Journey{{Name: "home", Weight: 1}}, Timeout: spec.Duration(time.Second), MaxWorkers: 50}
	start := time.Now().Add(200 * time.Millisecond)
	tl := load.NewTimeline(load.TimelineConfig{Start: start})
	var readers []io.Reader
	errs := make(chan error, 2)
	for i := range 2 {
		pr, pw := io.Pipe()
		readers = append(readers, pr)
		go func() {
			err := kube.RunWorker(context.Background(), kube.WorkerConfig{Target: srv.URL, Load: kube.SplitLoad(l, 2), Index: i, StartAt: start}, pw)
			pw.CloseWithError(err)
			errs <- err
		}()
	}
	merged := make(chan error, 1)
	go func() { merged <- kube.MergeLive(tl, readers...) }()
	// While the workers run, the first seconds arrive (a second is written
	// once no request of it can still end: timeout + 1 s later).
	time.Sleep(start.Sub(time.Now()) + 3500*time.Millisecond)
	if got := tl.Total().Requests; got == 0 {
		t.Errorf("nothing merged 3.5 s into a 4 s load")
	} else {
		t.Logf("merged live after 3.5 s: %d requests", got)
	}
	if err := <-merged; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	tl.Seal()
	if got := tl.Total().Requests; int64(got) != served.Load() || got < 150 {
		t.Errorf("merged %d requests, the server saw %d (want about 160)", got, served.Load())
	}
	if late := tl.Seconds(); slices.ContainsFunc(late, func(s load.Second) bool { return s.Late > 0 }) {
		t.Errorf("seconds with late results: the merge was out of order")
	}
	// The workers' own figures come along: the generators' CPU and
	// requests in flight per second (summed over the workers), and the
	// latency from the intended send time, never below the service time.
	if !slices.ContainsFunc(tl.Seconds(), func(s load.Second) bool { return s.CPU > 0 }) {
		t.Errorf("no second carries the workers' generator figures: %+v", tl.Seconds())
	}
	if total := tl.Total(); total.CorrectedP99 < total.P99 || total.CorrectedMax < total.Max {
		t.Errorf("corrected p99 %s / max %s below the service time's %s / %s", total.CorrectedP99, total.CorrectedMax, total.P99, total.Max)
	}
	// Saturated at 20/s a worker is the generator's fault, unless this
	// process itself stalled (the race detector on busy shared cores).
	if late := sched.Stop(); tl.Generator().Saturation != nil {
		msg := fmt.Sprintf("two workers at 20/s each saturated: %v (scheduler: %s)", tl.Generator().Saturation.Message(), late)
		if late.Worst < 50*time.Millisecond {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
	// A line naming a second no load reaches is refused, not allocated.
	if _, err := kube.Merge(load.NewTimeline(load.TimelineConfig{Start: start}), strings.NewReader(`{"worker":0,"second":999999999,"journeys":{}}`)); err == nil ||
		!strings.Contains(err.Error(), "outside a load") {
		t.Errorf("Merge of second 999999999: %v, want it refused", err)
	}
}

// FuzzMerge: worker output from anywhere (a pod's log) never panics the
// merge, and what is merged is what the lines say.
func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"worker":0,"second":0,"journeys":{"home":{"successes":2,"errors":{"http_500":1},"latency":{"400":3}}}}` + "\n"))
	f.Add([]byte(`{"worker":1,"second":3,"journeys":{"vets":{"canceled":1}}}` + "\n" + `not json`))
	f.Add([]byte(`{"worker":0,"second":-5,"journeys":{"x":{"successes":18446744073709551615,"latency":{"1":1}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tl := load.NewTimeline(load.TimelineConfig{Start: time.Unix(0, 0)})
		if _, err := kube.Merge(tl, bytes.NewReader(b)); err != nil {
			return
		}
		tl.Seal()
		_ = tl.Seconds()
	})
}

// TestLoadJobNameAndResources: a 60-character experiment name gives a Job
// name of at most 52 characters (its pods' hostnames fit 63), which the
// API server accepts; the worker requests CPU and memory (flags' defaults,
// or as given) and is limited in memory.
func TestLoadJobNameAndResources(t *testing.T) {
	t.Parallel()
	kubetest.Need(t)
	ns := "load-job-name"
	build(t, petclinic(ns))
	long := strings.Repeat("a-very-long-experiment-", 3)[:60]
	for _, tc := range []struct {
		name, exp, cpu, mem string
		wantCPU, wantMem    string
	}{
		{name: "defaults", exp: long, wantCPU: "500m", wantMem: "256Mi"},
		{name: "given", exp: "pod-kill", cpu: "2", mem: "1Gi", wantCPU: "2", wantMem: "1Gi"},
	} {
		job, err := kube.LoadJob(kube.JobConfig{Namespace: ns, RunID: "20261127-221500-" + tc.exp, Experiment: tc.exp, Image: "ghcr.io/gamedayhq/gameday:test",
			Workers: 1000, Target: "http://petclinic:8080", Load: experiment(t, "pod-kill").Spec.Load, StartAt: time.Now().Add(time.Minute), CPU: tc.cpu, Memory: tc.mem})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(job.Name); n > kube.MaxJobName || !strings.HasPrefix(job.Name, "load-") {
			t.Errorf("%s: Job name %q (%d characters), want load-… of at most %d", tc.name, job.Name, n, kube.MaxJobName)
		}
		if err := env.Client.Create(t.Context(), job); err != nil {
			t.Fatalf("%s: create the Job %s: %v", tc.name, job.Name, err)
		}
		res := job.Spec.Template.Spec.Containers[0].Resources
		if c, m, l := res.Requests.Cpu().String(), res.Requests.Memory().String(), res.Limits.Memory().String(); c != tc.wantCPU || m != tc.wantMem || l != tc.wantMem {
			t.Errorf("%s: requests cpu %s memory %s, limit memory %s; want %s, %s, %s", tc.name, c, m, l, tc.wantCPU, tc.wantMem, tc.wantMem)
		}
	}
	if _, err := kube.LoadJob(kube.JobConfig{Workers: 1, CPU: "half"}); err == nil || !strings.Contains(err.Error(), `worker cpu "half"`) {
		t.Errorf("a bad cpu quantity: %v", err)
	}
}

// TestJobSucceeded: once the workers' logs ended, the Job's status must
// count every worker as succeeded; a worker that failed (here written into
// the status, as the Job controller would) is an error naming the counts.
func TestJobSucceeded(t *testing.T) {
	t.Parallel()
	kubetest.Need(t)
	ns := "load-job-status"
	build(t, petclinic(ns))
	for _, tc := range []struct {
		name              string
		succeeded, failed int32
		completed         string
		want              string
	}{
		{name: "all", succeeded: 2, completed: "0,1"},
		{name: "one-failed", succeeded: 1, failed: 1, completed: "0", want: "1 of 2 workers succeeded, 1 failed"},
		{name: "not-counted", succeeded: 1, completed: "1", want: "1 of 2 workers succeeded (0 failed, 0 active) 1s after their logs ended"},
	} {
		job, err := kube.LoadJob(kube.JobConfig{Namespace: ns, RunID: "status-" + tc.name, Experiment: "pod-kill", Image: "ghcr.io/gamedayhq/gameday:test",
			Workers: 2, Target: "http://petclinic:8080", Load: experiment(t, "pod-kill").Spec.Load, StartAt: time.Now().Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Create(t.Context(), job); err != nil {
			t.Fatal(err)
		}
		now := metav1.Now()
		job.Status = batchv1.JobStatus{StartTime: &now, Succeeded: tc.succeeded, Failed: tc.failed, CompletedIndexes: tc.completed,
			UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{}}
		if err := env.Client.Status().Update(t.Context(), job); err != nil {
			t.Fatalf("%s: write the Job's status: %v", tc.name, err)
		}
		err = kube.JobSucceeded(t.Context(), env.Client, job, 2, time.Second)
		t.Logf("%s: %v", tc.name, err)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want nil", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}
