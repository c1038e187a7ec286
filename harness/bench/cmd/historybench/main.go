// Command historybench measures the run history, the web UI and the
// scheduler at rest, each as the gameday binary an operator runs (a fresh
// process): `gameday history list` and the UI's runs page over a reports
// tree of 10,000 runs, and `gameday schedule` idle (RSS, CPU). Baselines are
// measured in the same run: the process floor (`gameday version`) for the
// CLI, /healthz of the same server for the page. See harness/README.md,
// section Performance.
//
//	historybench --gameday bin/gameday                # the figures of record (make bench), about 1.5 minutes
//	historybench --gameday bin/gameday --runs 1000    # a smaller tree
//
// It exits 1 when a target is missed, 2 on bad flags.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/historytest"
	"github.com/gamedayhq/gameday/harness/internal/idle"
	"github.com/gamedayhq/gameday/harness/internal/report"
	"github.com/gamedayhq/gameday/harness/internal/sandbox"
)

// Targets (issue 12).
const (
	targetList  = 200 * time.Millisecond
	targetPage  = 300 * time.Millisecond
	targetRSS   = 40 << 20
	targetCores = 0.01
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "historybench: %s\n", err)
	}
	stop()
	os.Exit(code)
}

type row struct {
	what, measured, goal string
	pass                 *bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("historybench", flag.ContinueOnError)
	gameday := fs.String("gameday", "bin/gameday", "the gameday binary")
	runs := fs.Int("runs", 10000, "runs in the reports tree")
	repeat := fs.Int("repeat", 9, "measurements per figure (the median is kept)")
	watch := fs.Duration("idle", 30*time.Second, "how long the idle scheduler is watched")
	experiment := fs.String("experiment", "experiments/pod-kill.yaml", "an experiment file for the idle schedule")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	bin, err := filepath.Abs(*gameday)
	if err != nil {
		return 2, err
	}
	exp, err := filepath.Abs(*experiment)
	if err != nil {
		return 2, err
	}
	work, err := os.MkdirTemp("", "gd-historybench-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(work)
	reports := filepath.Join(work, "reports")
	log := func(format string, a ...any) { fmt.Fprintf(stderr, "historybench: "+format+"\n", a...) }

	t0 := time.Now()
	if err := writeTree(reports, *runs); err != nil {
		return 1, err
	}
	log("%d runs written to %s in %s (report.json only)", *runs, reports, time.Since(t0).Round(time.Millisecond))

	cold, err := timeCmd(ctx, bin, "history", "list", "--reports-dir", reports)
	if err != nil {
		return 1, err
	}
	log("history list, cold (index built from the tree): %s", cold.Round(time.Millisecond))
	floor, err := median(*repeat, func() (time.Duration, error) { return timeCmd(ctx, bin, "version") })
	if err != nil {
		return 1, err
	}
	list, err := median(*repeat, func() (time.Duration, error) { return timeCmd(ctx, bin, "history", "list", "--reports-dir", reports) })
	if err != nil {
		return 1, err
	}
	filtered, err := median(*repeat, func() (time.Duration, error) {
		return timeCmd(ctx, bin, "history", "list", "--reports-dir", reports, "--experiment", "pod-kill", "--status", "failed", "--since", "2026-11-01")
	})
	if err != nil {
		return 1, err
	}
	rescan, err := median(*repeat, func() (time.Duration, error) {
		return timeCmd(ctx, bin, "history", "list", "--reports-dir", reports, "--rescan")
	})
	if err != nil {
		return 1, err
	}
	log("history list, warm: median %s (process floor %s); with --rescan %s", list.Round(time.Millisecond), floor.Round(time.Millisecond), rescan.Round(time.Millisecond))

	page, health, deep, pageRescan, err := measureServe(ctx, bin, reports, *repeat)
	if err != nil {
		return 1, err
	}
	log("GET /runs: median %s (/healthz %s)", page.Round(time.Millisecond), health.Round(time.Millisecond))

	rss, anon, text, rodata, cores, err := measureIdle(ctx, bin, work, reports, exp, *watch)
	if err != nil {
		return 1, err
	}
	floorRSS, err := maxRSS(ctx, bin, "version")
	if err != nil {
		return 1, err
	}
	log("schedule idle for %s: RSS %.1f MB, %.4f cores", *watch, float64(rss)/(1<<20), cores)

	ok := true
	check := func(good bool) *bool { ok = ok && good; return &good }
	rows := []row{
		{fmt.Sprintf("history list, %d runs (warm)", *runs), ms(list), "< 200ms", check(list < targetList)},
		{"  over the process floor (gameday version)", fmt.Sprintf("%.2fx", ratio(list, floor)), "-", nil},
		{"  filtered (experiment, verdict, since)", ms(filtered), "-", nil},
		{"  --rescan (every report.json stat'ed; every 10 min)", ms(rescan), "-", nil},
		{"  cold (index built from the tree)", ms(cold), "-", nil},
		{fmt.Sprintf("GET /runs, %d runs", *runs), ms(page), "< 300ms", check(page < targetPage)},
		{"  over GET /healthz of the same server", fmt.Sprintf("%.2fx", ratio(page, health)), "-", nil},
		{"  GET /runs?page=100", ms(deep), "-", nil},
		{"  GET /runs that rescans the tree (every 5 s)", ms(pageRescan), "< 300ms", check(pageRescan < targetPage)},
		{"schedule idle: RSS", fmt.Sprintf("%.1f MB", float64(rss)/(1<<20)), "< 40 MB", check(rss < targetRSS)},
		{"  RSS of gameday version (the process floor)", fmt.Sprintf("%.1f MB", float64(floorRSS)/(1<<20)), "-", nil},
		{"  anonymous RSS (heap, stacks, SQLite)", fmt.Sprintf("%.1f MB", float64(anon)/(1<<20)), "-", nil},
		{"  the binary's text resident", fmt.Sprintf("%.1f MB", float64(text)/(1<<20)), "-", nil},
		{"  the binary's read-only data resident", fmt.Sprintf("%.1f MB", float64(rodata)/(1<<20)), "-", nil},
		{fmt.Sprintf("schedule idle: CPU over %s", *watch), fmt.Sprintf("%.4f cores", cores), "< 0.01", check(cores < targetCores)},
	}
	fmt.Fprintf(stdout, "\nrun history (SQLite index over the reports tree), web UI and scheduler; each a fresh gameday process\n")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tmeasured\tgoal\tresult\t")
	for _, r := range rows {
		res := ""
		if r.pass != nil {
			res = map[bool]string{true: "PASS", false: "FAIL"}[*r.pass]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", r.what, r.measured, r.goal, res)
	}
	tw.Flush()
	if !ok {
		return 1, errors.New("a target was missed")
	}
	return 0, nil
}

// writeTree writes n report.json files over 4 experiments, 2 suites, 3
// verdicts and n hours, the fault figures set on one experiment in two.
func writeTree(root string, n int) error {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exps := []string{"pod-kill", "zone-outage", "http-500", "replica-latency"}
	for i := range n {
		r := historytest.Report(historytest.Run{
			Suite: []string{"nightly", "adhoc"}[i%2], Experiment: exps[i%len(exps)], Start: start.Add(time.Duration(i) * time.Hour),
			Status: []string{"held", "held", "failed", "aborted"}[i%4], Score: float64(i % 101), WithFault: i%2 == 0,
		})
		b, err := report.JSON(r)
		if err != nil {
			return err
		}
		dir := filepath.Join(root, r.Suite, r.RunID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, report.FileJSON), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func timeCmd(ctx context.Context, bin string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = io.Discard
	var errb strings.Builder
	cmd.Stderr = &errb
	t := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, errb.String())
	}
	return time.Since(t), nil
}

func median(n int, f func() (time.Duration, error)) (time.Duration, error) {
	var ds []time.Duration
	for range n {
		d, err := f()
		if err != nil {
			return 0, err
		}
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}

// start runs a gameday server command and returns its base URL, read from
// its log line url=...
func start(ctx context.Context, bin string, args ...string) (*exec.Cmd, string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sent := false
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), "url="); ok && !sent {
				u, _, _ := strings.Cut(after, " ")
				urls <- strings.TrimSuffix(u, "/")
				sent = true
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u, nil
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, "", fmt.Errorf("%s %s printed no url", bin, strings.Join(args, " "))
	}
}

func stopCmd(cmd *exec.Cmd) {
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

func get(url string) (time.Duration, error) {
	t := time.Now()
	res, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return time.Since(t), err
}

func measureServe(ctx context.Context, bin, reports string, n int) (page, health, deep, rescan time.Duration, err error) {
	cmd, base, err := start(ctx, bin, "serve", "--reports-dir", reports, "--addr", "127.0.0.1:0")
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer stopCmd(cmd)
	if _, err = get(base + "/runs"); err != nil { // warm: connections, templates
		return
	}
	if health, err = median(n, func() (time.Duration, error) { return get(base + "/healthz") }); err != nil {
		return
	}
	if page, err = median(n, func() (time.Duration, error) { return get(base + "/runs") }); err != nil {
		return
	}
	if deep, err = median(n, func() (time.Duration, error) { return get(base + "/runs?page=100") }); err != nil {
		return
	}
	// The server rescans the tree at most every 5 s: wait that long before
	// each request, so that every one of them pays for a rescan.
	rescan, err = median(5, func() (time.Duration, error) {
		time.Sleep(5100 * time.Millisecond)
		return get(base + "/runs")
	})
	return
}

// maxRSS is the peak RSS of a gameday command (getrusage of the child).
func maxRSS(ctx context.Context, bin string, args ...string) (int64, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = io.Discard
	if err := cmd.Run(); err != nil {
		return 0, err
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, errors.New("no rusage")
	}
	return ru.Maxrss << 10, nil
}

// measureIdle starts the scheduler with one yearly schedule over the
// reports tree, lets it settle, then reads its RSS and CPU time from /proc.
func measureIdle(ctx context.Context, bin, work, reports, exp string, watch time.Duration) (rss, anon, text, rodata int64, cores float64, err error) {
	file := filepath.Join(work, "idle.yaml")
	body := fmt.Sprintf("apiVersion: gameday.dev/v1alpha1\nkind: Schedules\nmetadata:\n  name: idle\nspec:\n  schedules:\n    - name: yearly\n      cron: \"0 0 1 1 *\"\n      experiment: %s\n", exp)
	if err = os.WriteFile(file, []byte(body), 0o644); err != nil {
		return
	}
	cmd, base, err := start(ctx, bin, "schedule", "--reports-dir", reports, "--addr", "127.0.0.1:0", "--sandbox-dir", filepath.Join(work, "no-sandbox"), file)
	if err != nil {
		return
	}
	defer stopCmd(cmd)
	if _, err = get(base + "/metrics"); err != nil {
		return
	}
	time.Sleep(5 * time.Second)
	pid := cmd.Process.Pid
	cpu0, ok := sandbox.ProcCPUSeconds(pid)
	if !ok {
		return 0, 0, 0, 0, 0, fmt.Errorf("no CPU time for pid %d", pid)
	}
	t0 := time.Now()
	select {
	case <-ctx.Done():
		return 0, 0, 0, 0, 0, ctx.Err()
	case <-time.After(watch):
	}
	cpu1, ok := sandbox.ProcCPUSeconds(pid)
	if !ok {
		return 0, 0, 0, 0, 0, fmt.Errorf("no CPU time for pid %d", pid)
	}
	cores = (cpu1 - cpu0) / time.Since(t0).Seconds()
	rss, err = status(pid, "VmRSS:")
	if err != nil {
		return
	}
	if anon, err = status(pid, "RssAnon:"); err != nil {
		return
	}
	res, err := idle.Resident(pid)
	return rss, anon, res["r-xp"], res["r--p"], cores, err
}

// status is a kB field of /proc/pid/status (VmRSS:, RssAnon:), in bytes.
func status(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
