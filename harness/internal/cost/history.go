package cost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/report"
)

// GameDayCost is one game day of the history with its cost section.
type GameDayCost struct {
	RunID       string    `json:"runID"`
	Suite       string    `json:"suite"`
	Experiment  string    `json:"experiment"`
	Start       time.Time `json:"start"`
	Seconds     float64   `json:"seconds"`
	Verdict     string    `json:"verdict"`
	Environment string    `json:"environment"`
	// GameDayUSD (load generator + extra capacity) and PlatformUSD come
	// from the run's cost section; nil when the report has none.
	GameDayUSD       *float64 `json:"gameDayUSD"`
	LoadGeneratorUSD float64  `json:"loadGeneratorUSD"`
	ExtraCapacityUSD float64  `json:"extraCapacityUSD"`
	PlatformUSD      float64  `json:"platformUSD"`
	Source           string   `json:"source"`
	File             string   `json:"file"`
}

// History is what the game-day reports under a reports directory say.
type History struct {
	Runs []GameDayCost
	// Experiments counts the resilience experiments (zone-outage,
	// pod-kill) over every run found.
	Experiments []ExperimentRecord
	// Skipped are report.json files that could not be read.
	Skipped []string
}

// ReadHistory reads every <dir>/<suite>/<run-id>/report.json and keeps the
// runs that started in w for Runs; Experiments count every run found. A
// missing directory is an empty history.
func ReadHistory(dir string, w Window) (*History, error) {
	h := &History{}
	recs := map[string]*ExperimentRecord{}
	faultFailed, faultTotal := map[string]float64{}, map[string]float64{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && path != dir {
				return fs.SkipDir // a report being assembled
			}
			return nil
		}
		if d.Name() != report.FileJSON {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var r report.Report
		if err := json.Unmarshal(b, &r); err != nil || r.SchemaVersion == "" {
			h.Skipped = append(h.Skipped, fmt.Sprintf("%s: not a game-day report (%v)", path, err))
			return nil
		}
		status := string(r.Verdict.Status)
		if !r.Timings.Start.Before(w.Start) && r.Timings.Start.Before(w.End) {
			g := GameDayCost{RunID: r.RunID, Suite: r.Suite, Experiment: r.Experiment.Name, Start: r.Timings.Start, Seconds: r.Timings.ActualSeconds,
				Verdict: status, Environment: r.Target.Kind, File: path}
			if c := r.Cost; c != nil && c.Error == "" {
				usd := c.GameDayUSD
				g.GameDayUSD, g.LoadGeneratorUSD, g.ExtraCapacityUSD, g.PlatformUSD, g.Source = &usd, c.LoadGeneratorUSD, c.ExtraCapacityUSD, c.PlatformUSD, SourceReports+" ("+c.Source+")"
			} else {
				g.Source = "no cost section in the report"
			}
			h.Runs = append(h.Runs, g)
		}
		name := baseExperiment(r.Experiment.Name)
		if name == "" {
			return nil
		}
		rec := recs[name]
		if rec == nil {
			rec = &ExperimentRecord{Experiment: name, Verdicts: map[string]int{}}
			recs[name] = rec
		}
		rec.Runs++
		rec.Verdicts[status]++
		if r.Timings.Start.After(rec.Last) {
			rec.Last, rec.LastVerdict = r.Timings.Start, status
		}
		failed, total, secs := faultRequests(&r)
		faultFailed[name] += failed
		faultTotal[name] += total
		rec.FaultSeconds += secs
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("game-day history %s: %w", dir, err)
	}
	for name, rec := range recs {
		if faultTotal[name] > 0 {
			v := faultFailed[name] / faultTotal[name]
			rec.FaultErrorRatio = &v
		}
		h.Experiments = append(h.Experiments, *rec)
	}
	sort.Slice(h.Experiments, func(i, j int) bool { return h.Experiments[i].Experiment > h.Experiments[j].Experiment })
	sort.Slice(h.Runs, func(i, j int) bool { return h.Runs[i].Start.Before(h.Runs[j].Start) })
	return h, nil
}

// baseExperiment is the resilience experiment a run belongs to ("" for
// the others).
func baseExperiment(name string) string {
	for _, e := range resilienceExperiments {
		if name == e || strings.HasPrefix(name, e+"-") {
			return e
		}
	}
	return ""
}

// faultRequests counts the load's requests while a fault was active.
func faultRequests(r *report.Report) (failed, total, seconds float64) {
	type span struct{ from, to float64 }
	var spans []span
	for _, f := range r.Faults {
		if f.Result == nil || f.Result.Injected.IsZero() {
			continue
		}
		from := f.Result.Injected.Sub(r.Timings.Start).Seconds()
		to := r.Timings.ActualSeconds
		if !f.Result.Recovered.IsZero() {
			to = f.Result.Recovered.Sub(r.Timings.Start).Seconds()
		}
		spans = append(spans, span{from, to})
		seconds += to - from
	}
	for _, p := range r.Timeline {
		at := float64(p.Offset) + 0.5
		for _, s := range spans {
			if at >= s.from && at < s.to {
				total += float64(p.Requests)
				failed += float64(p.Requests - p.Successes)
				break
			}
		}
	}
	return failed, total, seconds
}
