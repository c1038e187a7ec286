package kube

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/gamedayhq/gameday/harness/internal/load"
	"github.com/gamedayhq/gameday/harness/internal/runner"
)

// DefaultLoadLead is how long the load Job's pods have to be scheduled
// and running before the workers start.
const DefaultLoadLead = 60 * time.Second

// JobLoad runs a game day's load as an indexed Job of workers
// (runner.Config.StartLoad): Start creates the Job, waits until every
// worker pod runs and the common start has come, and follows their logs,
// merging each second into the live timeline once every worker reported
// it, so that stop conditions see the Job's load as they see a local one.
type JobLoad struct {
	Engine *Engine
	// Job is the Job to run; its StartAt is set by Start.
	Job JobConfig
	// Lead bounds the wait for the pods (default DefaultLoadLead).
	Lead time.Duration
}

// Start implements runner.Config.StartLoad; the plan's profile and mix are
// the Job's (its Load), the plan's target is not used: the workers reach
// PetClinic at Job.Target.
func (j *JobLoad) Start(ctx context.Context, p load.Plan) (runner.LoadRun, error) {
	if j.Lead <= 0 {
		j.Lead = DefaultLoadLead
	}
	lead := j.Lead
	c := j.Job
	c.StartAt = time.Now().Add(lead)
	if c.RunID == "" {
		c.RunID = p.RunID
	}
	job, err := LoadJob(c)
	if err != nil {
		return nil, err
	}
	cl := j.Engine.c.Client
	if err := cl.Create(ctx, job); err != nil {
		return nil, fmt.Errorf("create load job: %w", err)
	}
	remove := func() {
		dctx, cancel := waitCtx(ctx, 10*time.Second)
		defer cancel()
		_ = cl.Delete(dctx, job, client.PropagationPolicy(metav1.DeletePropagationBackground)) // its deadline and TTL end it anyway
	}
	pods, err := j.awaitPods(ctx, job, c.StartAt)
	if err != nil {
		remove()
		return nil, err
	}
	core, err := corev1client.NewForConfig(j.Engine.c.RESTConfig)
	if err != nil {
		remove()
		return nil, err
	}
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	// Each log is opened by its reader: the kubelet answers a follow with
	// the container's first output, which a worker writes only once its
	// first second is complete (the load's timeout and more after the
	// start): waiting for it here would start the fault timeline late.
	var streams []io.Reader
	for _, name := range pods {
		streams = append(streams, &lazyStream{open: func() (io.ReadCloser, error) {
			s, err := core.Pods(c.Namespace).GetLogs(name, &corev1.PodLogOptions{Container: WorkerContainer, Follow: true}).Stream(streamCtx)
			if err != nil {
				return nil, fmt.Errorf("load job %s: follow the logs of %s: %w", job.Name, name, err)
			}
			return s, nil
		}})
	}
	tl := load.NewTimeline(load.TimelineConfig{Start: c.StartAt, SealAfter: max(c.Load.Timeout.D()+2*time.Second, p.LiveWindow+time.Second), Profile: &p.Profile})
	run := &jobRun{tl: tl, done: make(chan error, 1), aborted: make(chan struct{}),
		check: func() error { return JobSucceeded(context.WithoutCancel(ctx), cl, job, c.Workers, JobStatusWait) }}
	go func() { run.done <- MergeLive(tl, streams...) }()
	stop := context.AfterFunc(ctx, func() {
		close(run.aborted)
		remove()
		cancel()
	})
	run.finish = func() { stop(); cancel(); remove() }
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(c.StartAt)):
	}
	return run, nil
}

// awaitPods waits until the Job has Workers running pods, at most until
// deadline, and returns their names.
func (j *JobLoad) awaitPods(ctx context.Context, job *batchv1.Job, deadline time.Time) ([]string, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var running []string
	for {
		var pods corev1.PodList
		if err := j.Engine.c.Client.List(ctx, &pods, client.InNamespace(job.Namespace), client.MatchingLabels{"batch.kubernetes.io/job-name": job.Name}); err == nil {
			running = running[:0]
			for _, p := range pods.Items {
				if p.Status.Phase == corev1.PodRunning {
					running = append(running, p.Name)
				}
			}
			if len(running) == j.Job.Workers {
				return running, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("load job %s: %d of %d workers running after %s: raise --load-lead, check the image and the namespace's quota (kubectl -n %s describe job %s)",
				job.Name, len(running), j.Job.Workers, j.Lead, job.Namespace, job.Name)
		case <-time.After(time.Second):
		}
	}
}

type jobRun struct {
	tl      *load.Timeline
	done    chan error
	aborted chan struct{}
	check   func() error // did every worker succeed?
	finish  func()
}

// JobStatusWait bounds the wait for the Job controller to count the
// workers once their logs ended.
const JobStatusWait = 15 * time.Second

// JobSucceeded waits (at most wait) until the Job's status counts every
// one of its workers as succeeded or failed, and returns an error unless
// all succeeded: a worker that died sent less than its share, and its
// seconds are missing from the timeline.
func JobSucceeded(ctx context.Context, c client.Client, job *batchv1.Job, workers int, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var st batchv1.JobStatus
	for {
		var j batchv1.Job
		err := c.Get(ctx, client.ObjectKeyFromObject(job), &j)
		if err == nil {
			st = j.Status
			if int(st.Succeeded) >= workers {
				return nil
			}
			if int(st.Succeeded+st.Failed) >= workers || jobFinished(&j) {
				break
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("load job %s: read its status: %w", job.Name, err)
			}
			return fmt.Errorf("load job %s: %d of %d workers succeeded (%d failed, %d active) %s after their logs ended: the load was short; kubectl -n %s describe job %s",
				job.Name, st.Succeeded, workers, st.Failed, st.Active, wait, job.Namespace, job.Name)
		case <-time.After(time.Second / 4):
		}
	}
	return fmt.Errorf("load job %s: %d of %d workers succeeded, %d failed: the load was short (a worker died); kubectl -n %s logs job/%s --all-containers",
		job.Name, st.Succeeded, workers, st.Failed, job.Namespace, job.Name)
}

func jobFinished(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func (r *jobRun) Timeline() *load.Timeline { return r.tl }

// Wait waits until every worker's log ended (the Job done), or the run
// was aborted (the Job deleted), and returns the sealed timeline.
func (r *jobRun) Wait() (*load.Timeline, error) {
	var err error
	select {
	case err = <-r.done:
		select {
		case <-r.aborted: // the logs ended because the run was aborted
			err = load.ErrAborted
		default:
			if cerr := r.check(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
	case <-r.aborted:
		err = load.ErrAborted
	}
	r.finish()
	r.tl.Seal()
	return r.tl, err
}

// MergeLive reads the workers' lines as they come and adds each second to
// tl once every worker still running has reported a later one (workers
// write their seconds in order), so that the timeline fills in order. It
// returns when every reader has ended.
func MergeLive(tl *load.Timeline, workers ...io.Reader) error {
	type line struct {
		from int
		ws   *WorkerSecond
		err  error
	}
	lines := make(chan line)
	for i, r := range workers {
		go func() {
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
			for sc.Scan() {
				var ws WorkerSecond
				if err := json.Unmarshal(sc.Bytes(), &ws); err != nil {
					lines <- line{from: i, err: fmt.Errorf("worker output %d: %w", i, err)}
					continue
				}
				lines <- line{from: i, ws: &ws}
			}
			if err := sc.Err(); err != nil {
				lines <- line{from: i, err: fmt.Errorf("worker output %d: %w", i, err)}
			}
			lines <- line{from: i, err: io.EOF}
		}()
	}
	last := make([]int, len(workers)) // highest second seen, -1: none
	for i := range last {
		last[i] = -1
	}
	ended := make([]bool, len(workers))
	pending := map[int][]*WorkerSecond{}
	var errs []error
	// Seconds up to the lowest last second of the workers still running
	// are complete: a worker writes whole seconds, in order.
	flush := func() error {
		upTo := math.MaxInt
		for i, l := range last {
			if !ended[i] {
				upTo = min(upTo, l)
			}
		}
		for _, s := range slices.Sorted(maps.Keys(pending)) {
			if s > upTo {
				break
			}
			for _, ws := range pending[s] {
				if err := addSecond(tl, *ws); err != nil {
					return err
				}
			}
			delete(pending, s)
		}
		return nil
	}
	for open := len(workers); open > 0; {
		l := <-lines
		switch {
		case errors.Is(l.err, io.EOF):
			ended[l.from] = true
			open--
		case l.err != nil:
			errs = append(errs, l.err)
			continue
		default:
			pending[l.ws.Second] = append(pending[l.ws.Second], l.ws)
			last[l.from] = max(last[l.from], l.ws.Second)
		}
		if err := flush(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// lazyStream is a reader that opens its stream on the first Read.
type lazyStream struct {
	open func() (io.ReadCloser, error)
	r    io.ReadCloser
	err  error
}

func (l *lazyStream) Read(p []byte) (int, error) {
	if l.r == nil && l.err == nil {
		l.r, l.err = l.open()
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.r.Read(p)
}
