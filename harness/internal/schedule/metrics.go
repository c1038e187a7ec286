package schedule

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the scheduler's Prometheus series. They are registered on
// the registry the server exposes at /metrics; other packages register
// their own collectors on the same registry (Server.Registry).
type Metrics struct {
	Runs          *prometheus.CounterVec
	RunDuration   *prometheus.HistogramVec
	LastRun       *prometheus.GaugeVec
	NextRun       *prometheus.GaugeVec
	Interval      *prometheus.GaugeVec
	Suspended     *prometheus.GaugeVec
	Skipped       *prometheus.CounterVec
	Running       *prometheus.GaugeVec
	Leader        prometheus.Gauge
	HistoryErrors *prometheus.CounterVec
}

// NewMetrics creates the series and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gameday_schedule_runs_total",
			Help: "Game days the scheduler ran, by schedule, experiment and verdict (held, failed, aborted, inconclusive, error)."},
			[]string{"schedule", "experiment", "verdict"}),
		RunDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gameday_schedule_run_duration_seconds",
			Help:    "Duration of a scheduled fire (every experiment of its suite), by schedule.",
			Buckets: []float64{30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}}, []string{"schedule"}),
		LastRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gameday_schedule_last_run_timestamp_seconds",
			Help: "Unix time the schedule's last game day started (the scheduler's start when it has not run yet)."}, []string{"schedule"}),
		NextRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gameday_schedule_next_run_timestamp_seconds",
			Help: "Unix time of the schedule's next fire (jitter included)."}, []string{"schedule"}),
		Interval: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gameday_schedule_interval_seconds",
			Help: "Longest gap between two fires of the schedule over the next five weeks (the unit of the stopped alert)."}, []string{"schedule"}),
		Suspended: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gameday_schedule_suspended",
			Help: "1 when the schedule is suspended."}, []string{"schedule"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gameday_schedule_skipped_total",
			Help: "Fires skipped, by schedule and reason."}, []string{"schedule", "reason"}),
		Running: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "gameday_schedule_running",
			Help: "1 while a game day of the schedule runs."}, []string{"schedule"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gameday_scheduler_leader",
			Help: "1 when this replica holds the Lease and runs game days."}),
		HistoryErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gameday_history_errors_total",
			Help: "Writes to the history that failed (index, ledger, prune), and reads of the published runs from the reports repository (repo); the runs' verdicts stand."}, []string{"store"}),
	}
	reg.MustRegister(m.Runs, m.RunDuration, m.LastRun, m.NextRun, m.Interval, m.Suspended, m.Skipped, m.Running, m.Leader, m.HistoryErrors)
	for _, s := range []string{"index", "ledger", "prune", "repo"} {
		m.HistoryErrors.WithLabelValues(s)
	}
	return m
}

// init shows every series of plan at zero, so rate() and absent() see
// them from the start.
func (m *Metrics) init(p *Plan) {
	for _, r := range Reasons {
		m.Skipped.WithLabelValues(p.Name, string(r))
	}
	m.Running.WithLabelValues(p.Name).Set(0)
	susp := 0.0
	if p.Suspend {
		susp = 1
	}
	m.Suspended.WithLabelValues(p.Name).Set(susp)
}
