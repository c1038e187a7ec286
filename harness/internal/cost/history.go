package cost

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/history"
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

// History is what the run history of a reports tree (package history)
// says of the game days.
type History struct {
	Runs []GameDayCost
	// Experiments counts the resilience experiments (zone-outage,
	// pod-kill) over every run found.
	Experiments []ExperimentRecord
	// Skipped are report.json files that could not be read.
	Skipped []string
}

// ReadHistory reads the run history of store (synced first): the runs
// that started in w, with the cost section of their report.json, for
// Runs; every run for Experiments. The report.json files the history
// skipped are listed in Skipped.
func ReadHistory(ctx context.Context, store *history.Store, w Window) (*History, error) {
	all, skipped, err := store.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("game-day history %s: %w", store.Root(), err)
	}
	h := &History{Skipped: skipped}
	recs := map[string]*ExperimentRecord{}
	faultFailed, faultTotal := map[string]float64{}, map[string]float64{}
	for i := range all {
		r := &all[i]
		if !r.Start.Before(w.Start) && r.Start.Before(w.End) {
			g, err := gameDay(store, r)
			if err != nil {
				h.Skipped = append(h.Skipped, err.Error())
			} else {
				h.Runs = append(h.Runs, g)
			}
		}
		name := baseExperiment(r.Experiment)
		if name == "" {
			continue
		}
		rec := recs[name]
		if rec == nil {
			rec = &ExperimentRecord{Experiment: name, Verdicts: map[string]int{}}
			recs[name] = rec
		}
		rec.Runs++
		rec.Verdicts[r.Status]++
		if r.Start.After(rec.Last) {
			rec.Last, rec.LastVerdict = r.Start, r.Status
		}
		faultFailed[name] += float64(r.FaultFailed)
		faultTotal[name] += float64(r.FaultRequests)
		rec.FaultSeconds += r.FaultSeconds
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

// gameDay is a run of the window with the cost section of its report.
func gameDay(store *history.Store, r *history.Run) (GameDayCost, error) {
	path := store.Path(r, report.FileJSON)
	g := GameDayCost{RunID: r.RunID, Suite: r.Suite, Experiment: r.Experiment, Start: r.Start, Seconds: r.DurationSeconds,
		Verdict: r.Status, Environment: r.Target, File: path, Source: "no cost section in the report"}
	rep, err := store.Report(r)
	if err != nil {
		return g, fmt.Errorf("%s: %w", path, err)
	}
	if c := rep.Cost; c != nil && c.Error == "" {
		usd := c.GameDayUSD
		g.GameDayUSD, g.LoadGeneratorUSD, g.ExtraCapacityUSD, g.PlatformUSD, g.Source = &usd, c.LoadGeneratorUSD, c.ExtraCapacityUSD, c.PlatformUSD, SourceReports+" ("+c.Source+")"
	}
	return g, nil
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
