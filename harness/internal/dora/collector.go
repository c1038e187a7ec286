package dora

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the latest report's metrics as Prometheus gauges, one
// series per service and environment. A figure the report does not have
// (no deployments, no failure) has no series: absent, never zero. It is a
// prometheus.Collector, so any registry can hold it (gameday dora --serve
// today, the scheduler's /metrics later).
type Collector struct {
	mu sync.Mutex
	r  *Report
}

var _ prometheus.Collector = (*Collector)(nil)

var (
	labels = []string{"service", "environment"}
	descs  = map[string]*prometheus.Desc{
		"deployments":             prometheus.NewDesc("gameday_dora_deployments", "Deployments counted in the report's window.", labels, nil),
		MetricDeploymentFrequency: prometheus.NewDesc("gameday_dora_deployments_per_day", "Deployment frequency: deployments per day over the window (absent without deployments).", labels, nil),
		MetricChangeLeadTime:      prometheus.NewDesc("gameday_dora_change_lead_time_seconds", "Change lead time: median over the changes first deployed in the window.", labels, nil),
		MetricChangeFailureRate:   prometheus.NewDesc("gameday_dora_change_failure_rate", "Change failure rate: failed deployments over deployments in the window.", labels, nil),
		MetricRecoveryTime:        prometheus.NewDesc("gameday_dora_failed_deployment_recovery_seconds", "Failed deployment recovery time: median over the failed deployments of the window that recovered.", labels, nil),
		MetricReworkRate:          prometheus.NewDesc("gameday_dora_rework_rate", "Rework rate: rework deployments over deployments in the window.", labels, nil),
		"failed":                  prometheus.NewDesc("gameday_dora_failed_deployments", "Failed deployments in the window.", labels, nil),
		"unrecovered":             prometheus.NewDesc("gameday_dora_unrecovered_deployments", "Failed deployments of the window still failing.", labels, nil),
		"missing":                 prometheus.NewDesc("gameday_dora_missing_revisions", "Deployed revisions of the window not found in the repository.", labels, nil),
		"level":                   prometheus.NewDesc("gameday_dora_level", "Performance level of a metric as a rank (the best level is the number of levels, the worst 1), against the report named in the labels.", append(labels, "metric", "level", "report"), nil),
		"window":                  prometheus.NewDesc("gameday_dora_window_seconds", "Length of the report's window.", nil, nil),
		"at":                      prometheus.NewDesc("gameday_dora_report_timestamp_seconds", "When the report was computed.", nil, nil),
	}
)

// Set replaces the report the gauges show.
func (c *Collector) Set(r *Report) {
	c.mu.Lock()
	c.r = r
	c.mu.Unlock()
}

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

// Collect sends the gauges of the current report.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	r := c.r
	c.mu.Unlock()
	if r == nil {
		return
	}
	g := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	g(descs["window"], r.Window.To.Sub(r.Window.From).Seconds())
	g(descs["at"], float64(r.At.UnixMilli())/1000)
	cite := r.Levels.Report + " " + itoa(r.Levels.Year)
	for _, e := range r.Entries {
		s, lv := e.Summary, []string{e.Service, e.Environment}
		g(descs["deployments"], float64(s.Deployments), lv...)
		g(descs["missing"], float64(len(e.Missing)), lv...)
		if s.NoDeployments() {
			continue
		}
		g(descs["failed"], float64(s.Failed), lv...)
		g(descs["unrecovered"], float64(s.Unrecovered), lv...)
		for i, m := range Metrics {
			if v := s.Value(m); v != nil {
				g(descs[m], *v, lv...)
			}
			if rt := s.Ratings[i]; rt.Level != "" {
				g(descs["level"], float64(len(r.Levels.Order)-indexOf(r.Levels.Order, rt.Level)), e.Service, e.Environment, m, rt.Level, cite)
			}
		}
	}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return len(ss)
}

func itoa(i int) string { return strconv.Itoa(i) }
