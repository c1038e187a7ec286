package kube

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/runner"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Load beyond one process: an indexed Job of N workers, each running
// `gameday load-worker` (Vegeta through package load) at 1/N of the
// experiment's rate profile from a common start time, and printing one
// JSON line per second of what it measured (WorkerSecond). The harness
// reads the workers' logs and merges the lines into one load.Timeline
// (Merge), the same the report draws.

// JobConfig is one load Job.
type JobConfig struct {
	Namespace, RunID, Experiment string
	// Image runs `gameday load-worker` (the harness's own image).
	Image string
	// Workers is N: completions and parallelism of the indexed Job.
	Workers int
	// Target is PetClinic's URL as the workers reach it (a Service).
	Target string
	// Load is the experiment's load; each worker sends 1/N of its rates.
	Load spec.Load
	// StartAt is when every worker starts (so their seconds line up);
	// scheduling and image pulls must fit before it.
	StartAt time.Time
	// CPU and Memory a worker requests (default DefaultWorkerCPU and
	// DefaultWorkerMemory); Memory is its limit too. No CPU limit: a
	// throttled load generator would report its own stalls as PetClinic's
	// latency.
	CPU, Memory string
}

// Defaults of a worker's resources.
const (
	DefaultWorkerCPU    = "500m"
	DefaultWorkerMemory = "256Mi"
)

// MaxJobName is the longest load Job name: an indexed Job's pods are named
// and hostnamed <job>-<index>-<suffix>, and their hostname must fit in 63
// characters with an index of up to 4 digits (MaxLoadWorkers) and a margin.
const MaxJobName = 52

// JobName is the load Job's name for runID and experiment, the experiment
// cut so that it fits MaxJobName.
func JobName(runID, experiment string) string {
	suffix := ObjectName(runID, "")                 // "-<10 hex>"
	room := MaxJobName - len("load-") - len(suffix) // for the experiment
	exp := experiment
	if len(exp) > room {
		exp = strings.TrimRight(exp[:room], "-.")
	}
	return "load-" + exp + suffix
}

// MaxLoadWorkers bounds the workers of a load Job.
const MaxLoadWorkers = 1000

// maxLineRequests bounds the requests of one journey in one second of one
// worker's output (a worker sends at most spec.MaxRate per second).
const maxLineRequests = 10 * spec.MaxRate

// WorkerContainer is the name of the worker container.
const WorkerContainer = "load-worker"

// SplitLoad is l with every rate divided by n.
func SplitLoad(l spec.Load, n int) spec.Load {
	f := 1 / float64(n)
	out := l
	switch p := l.Profile; {
	case p.Constant != nil:
		out.Profile = spec.RateProfile{Constant: &spec.ConstantRate{Rate: p.Constant.Rate * f}}
	case p.Ramp != nil:
		out.Profile = spec.RateProfile{Ramp: &spec.RampRate{From: p.Ramp.From * f, To: p.Ramp.To * f}}
	default:
		steps := make([]spec.RateStep, len(p.Steps))
		for i, s := range p.Steps {
			steps[i] = spec.RateStep{Rate: s.Rate * f, Duration: s.Duration}
		}
		out.Profile = spec.RateProfile{Steps: steps}
	}
	if l.MaxWorkers > 0 { // else each worker derives its own from its rate
		out.MaxWorkers = max(l.MaxWorkers/n, 1)
	}
	return out
}

// CheckWorkerResources refuses a load worker's CPU or memory request that is
// not a Kubernetes quantity ("" is the default).
func CheckWorkerResources(cpu, memory string) error {
	_, _, err := workerResources(cpu, memory)
	return err
}

func workerResources(cpu, memory string) (c, m resource.Quantity, err error) {
	if c, err = resource.ParseQuantity(cmp.Or(cpu, DefaultWorkerCPU)); err != nil {
		return c, m, fmt.Errorf("load job: worker cpu %q: %w", cpu, err)
	}
	if m, err = resource.ParseQuantity(cmp.Or(memory, DefaultWorkerMemory)); err != nil {
		return c, m, fmt.Errorf("load job: worker memory %q: %w", memory, err)
	}
	return c, m, nil
}

// LoadJob is the indexed Job of c's workers.
func LoadJob(c JobConfig) (*batchv1.Job, error) {
	if c.Workers < 1 || c.Workers > MaxLoadWorkers {
		return nil, fmt.Errorf("load job: %d workers: want 1 to %d", c.Workers, MaxLoadWorkers)
	}
	part, err := json.Marshal(SplitLoad(c.Load, c.Workers))
	if err != nil {
		return nil, err
	}
	cpu, mem, err := workerResources(c.CPU, c.Memory)
	if err != nil {
		return nil, err
	}
	n := int32(c.Workers) // #nosec G115 -- bounded by MaxLoadWorkers above
	deadline := int64(time.Until(c.StartAt).Seconds() + c.Load.Duration.D().Seconds() + c.Load.Timeout.D().Seconds() + 60)
	labels := map[string]string{LabelManagedBy: ManagedBy, LabelRunID: RunLabel(c.RunID), LabelExperiment: c.Experiment, "app.kubernetes.io/component": "load-worker"}
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: JobName(c.RunID, c.Experiment), Namespace: c.Namespace, Labels: labels,
			Annotations: map[string]string{AnnotationRunID: c.RunID}},
		Spec: batchv1.JobSpec{
			CompletionMode:          ptr.To(batchv1.IndexedCompletion),
			Completions:             &n,
			Parallelism:             &n,
			BackoffLimit:            ptr.To[int32](0),
			ActiveDeadlineSeconds:   &deadline,
			TTLSecondsAfterFinished: ptr.To[int32](3600),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext:              &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65532), SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{
						Name: WorkerContainer, Image: c.Image,
						Args: []string{"load-worker", "--target", c.Target, "--workers", strconv.Itoa(c.Workers),
							"--start-at", c.StartAt.UTC().Format(time.RFC3339Nano), "--run-id", c.RunID, "--load", string(part)},
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: mem},
						},
					}},
				},
			},
		},
	}, nil
}

// WorkerSecond is one line of a worker's output: what it measured during
// one second (from the common start), by journey.
type WorkerSecond struct {
	Worker   int                       `json:"worker"`
	Second   int                       `json:"second"`
	Journeys map[string]*WorkerJourney `json:"journeys"`
	// Generator is what the worker's load generator measured of itself in
	// that second (its lag, CPU, saturation).
	Generator *load.GeneratorSecond `json:"generator,omitempty"`
}

// WorkerJourney is one journey's requests in one second. Latency counts
// the requests (canceled ones excepted) by latency bucket: bucket b holds
// latencies around 1.02^b microseconds (2 % relative error).
type WorkerJourney struct {
	Successes uint64            `json:"successes,omitempty"`
	Canceled  uint64            `json:"canceled,omitempty"`
	Errors    map[string]uint64 `json:"errors,omitempty"`
	Latency   map[int]uint64    `json:"latency,omitempty"`
	// Corrected counts the same requests by their latency from the
	// intended send time.
	Corrected map[int]uint64 `json:"corrected,omitempty"`
}

const bucketBase = 1.02

func latencyBucket(d time.Duration) int {
	us := max(float64(d)/float64(time.Microsecond), 1)
	return int(math.Round(math.Log(us) / math.Log(bucketBase)))
}

func bucketLatency(b int) time.Duration {
	return time.Duration(math.Pow(bucketBase, float64(b)) * float64(time.Microsecond))
}

// WorkerConfig is one worker (`gameday load-worker`).
type WorkerConfig struct {
	Target  string
	Load    spec.Load // already divided by the number of workers
	Index   int       // JOB_COMPLETION_INDEX
	StartAt time.Time
	RunID   string
}

// RunWorker waits for StartAt, sends the load and writes one WorkerSecond
// line per second to w as soon as the second can receive no more results.
func RunWorker(ctx context.Context, c WorkerConfig, w io.Writer) error {
	profile, err := runner.Profile(c.Load)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(c.StartAt)):
	}
	timeout := c.Load.Timeout.D()
	var mu sync.Mutex
	secs := map[int]*WorkerSecond{}
	enc := json.NewEncoder(w)
	flush := func(upTo int) error { // write every second < upTo
		mu.Lock()
		defer mu.Unlock()
		for _, s := range slices.Sorted(maps.Keys(secs)) {
			if s >= upTo {
				break
			}
			if err := enc.Encode(secs[s]); err != nil {
				return err
			}
			delete(secs, s)
		}
		return nil
	}
	start := time.Now()
	second := func(s int) *WorkerSecond { // with mu held
		ws := secs[s]
		if ws == nil {
			ws = &WorkerSecond{Worker: c.Index, Second: s, Journeys: map[string]*WorkerJourney{}}
			secs[s] = ws
		}
		return ws
	}
	run, err := load.Start(ctx, load.Plan{
		Target: c.Target, Profile: profile, Mix: runner.Mix(c.Load), RunID: c.RunID, Seed: uint64(max(c.Index, 0)) + 1, // #nosec G115 -- not negative
		Timeout: timeout, LatencyBudget: c.Load.LatencyBudget.D(), MaxWorkers: uint64(max(c.Load.MaxWorkers, 0)), // #nosec G115 -- not negative
		Timeline: load.NewTimeline(load.TimelineConfig{Start: start, SealAfter: timeout + 2*time.Second, Profile: &profile}),
		OnGenerator: func(s int, g load.GeneratorSecond) {
			mu.Lock()
			defer mu.Unlock()
			second(s).Generator = &g
		},
		OnRecord: func(r load.Record) {
			s := int(max(r.At.Sub(start), 0) / time.Second)
			mu.Lock()
			defer mu.Unlock()
			ws := second(s)
			j := ws.Journeys[r.Journey]
			if j == nil {
				j = &WorkerJourney{}
				ws.Journeys[r.Journey] = j
			}
			switch r.Class {
			case "":
				j.Successes++
			case load.ClassCanceled:
				j.Canceled++
				return
			default:
				if j.Errors == nil {
					j.Errors = map[string]uint64{}
				}
				j.Errors[string(r.Class)]++
			}
			if j.Latency == nil {
				j.Latency, j.Corrected = map[int]uint64{}, map[int]uint64{}
			}
			j.Latency[latencyBucket(r.Latency)]++
			j.Corrected[latencyBucket(r.Corrected())]++
		},
	})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		_, err := run.Wait()
		done <- err
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if ferr := flush(math.MaxInt); ferr != nil {
				return ferr
			}
			return err
		case now := <-tick.C:
			// a second is complete once no request sent in it can still end
			if err := flush(int(now.Sub(start)-timeout-time.Second) / int(time.Second)); err != nil {
				return err
			}
		}
	}
}

// Merge reads the lines of every worker (one reader each) into tl, whose
// start is the workers' common start, second by second (a timeline seals
// a second once later ones arrive): each request becomes a load.Record
// again, its latency the bucket's, its time spread over the second. It
// returns how many lines it read.
func Merge(tl *load.Timeline, workers ...io.Reader) (int, error) {
	var all []WorkerSecond
	for i, r := range workers {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
		line := 0
		for sc.Scan() {
			line++
			var ws WorkerSecond
			if err := json.Unmarshal(sc.Bytes(), &ws); err != nil {
				return len(all), fmt.Errorf("worker output %d, line %d: %w", i, line, err)
			}
			all = append(all, ws)
		}
		if err := sc.Err(); err != nil {
			return len(all), fmt.Errorf("worker output %d: %w", i, err)
		}
	}
	slices.SortStableFunc(all, func(a, b WorkerSecond) int {
		return cmp.Or(cmp.Compare(a.Second, b.Second), cmp.Compare(a.Worker, b.Worker))
	})
	for _, ws := range all {
		if err := addSecond(tl, ws); err != nil {
			return len(all), err
		}
	}
	return len(all), nil
}

// maxWorkerSecond bounds the second a worker's line may name: the longest
// load, plus its timeout and the Job's slack.
const maxWorkerSecond = int(spec.MaxRunDuration/time.Second) + int(spec.MaxRequestTimeout/time.Second) + 60

func addSecond(tl *load.Timeline, ws WorkerSecond) error {
	if ws.Second < 0 || ws.Second > maxWorkerSecond {
		return fmt.Errorf("worker %d second %d: outside a load (0 to %d): not a worker's output", ws.Worker, ws.Second, maxWorkerSecond)
	}
	if ws.Generator != nil {
		tl.AddGenerator(ws.Second, *ws.Generator)
	}
	sec := tl.Start().Add(time.Duration(ws.Second) * time.Second)
	for _, name := range slices.Sorted(maps.Keys(ws.Journeys)) {
		j := ws.Journeys[name]
		n, ok := j.Successes, j.Successes <= maxLineRequests && j.Canceled <= maxLineRequests
		n += j.Canceled
		for _, c := range j.Errors {
			ok = ok && c <= maxLineRequests
			n += c // no overflow: every term is bounded (or ok is false)
		}
		if !ok || n > maxLineRequests {
			return fmt.Errorf("worker %d second %d journey %s: %d requests in one second: not a worker's output", ws.Worker, ws.Second, name, n)
		}
		var measured uint64
		for _, c := range j.Latency {
			if c > maxLineRequests {
				measured = math.MaxUint64
				break
			}
			measured += c
		}
		if measured != n-j.Canceled {
			return fmt.Errorf("worker %d second %d journey %s: %d latencies for %d requests", ws.Worker, ws.Second, name, measured, n-j.Canceled)
		}
		var classes []load.ErrorClass
		for range j.Successes {
			classes = append(classes, "")
		}
		for _, c := range slices.Sorted(maps.Keys(j.Errors)) {
			for range j.Errors[c] {
				classes = append(classes, load.ErrorClass(c))
			}
		}
		var lats []time.Duration
		for _, b := range slices.Sorted(maps.Keys(j.Latency)) {
			for range j.Latency[b] {
				lats = append(lats, bucketLatency(b))
			}
		}
		if len(lats) != len(classes) {
			return fmt.Errorf("worker %d second %d journey %s: %d latencies for %d requests", ws.Worker, ws.Second, name, len(lats), len(classes))
		}
		// The corrected latencies, sorted like lats: the i-th smallest of
		// each makes one request (each histogram gets its own exactly).
		var corr []time.Duration
		for _, b := range slices.Sorted(maps.Keys(j.Corrected)) {
			for c := j.Corrected[b]; c > 0 && len(corr) < len(lats); c-- {
				corr = append(corr, bucketLatency(b))
			}
		}
		if len(corr) != len(lats) {
			corr = lats // an older worker: no corrected latencies
		}
		canceled := int(j.Canceled) // #nosec G115 -- bounded by maxLineRequests
		total := time.Duration(len(classes) + canceled)
		for i, c := range classes {
			at := sec.Add(time.Duration(i) * time.Second / total)
			tl.Add(load.Record{At: at, Intended: at.Add(-max(corr[i]-lats[i], 0)), Latency: lats[i], Class: c, Journey: name, Code: codeOf(c)})
		}
		for i := range canceled {
			tl.Add(load.Record{At: sec.Add(time.Duration(len(classes)+i) * time.Second / total), Class: load.ClassCanceled, Journey: name})
		}
	}
	return nil
}

func codeOf(c load.ErrorClass) int {
	if c == "" {
		return 200
	}
	if s, ok := strings.CutPrefix(string(c), "http_"); ok {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return 0
}
