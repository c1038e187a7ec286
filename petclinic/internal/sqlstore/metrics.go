package sqlstore

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the pool's state under the names Spring Boot's
// Micrometer gives HikariCP, labelled pool=<pool> (Spring's "HikariPool-1"),
// so dashboards and alerts written for the Java PetClinic work unchanged;
// plus the wait counters of database/sql. Register it once per DB.
//
// database/sql does not expose how many callers wait for a connection, so
// hikaricp_connections_pending is estimated as the store operations in
// flight minus the connections in use: every operation holds at most one
// connection, so the rest are waiting. hikaricp_connections_timeout_total
// counts statements that ran out of QueryTimeout, whether waiting for a
// connection or running; HikariCP counts only the former. hikaricp_connections_min
// is MaxIdleConns, the closest database/sql has to minimumIdle.
func (db *DB) Collector(pool string) prometheus.Collector {
	labels := prometheus.Labels{"pool": pool}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, nil, labels)
	}
	return &collector{
		db:           db,
		total:        desc("hikaricp_connections", "Total connections"),
		active:       desc("hikaricp_connections_active", "Active connections"),
		idle:         desc("hikaricp_connections_idle", "Idle connections"),
		pending:      desc("hikaricp_connections_pending", "Pending threads"),
		max:          desc("hikaricp_connections_max", "Max connections"),
		min:          desc("hikaricp_connections_min", "Min connections"),
		timeouts:     desc("hikaricp_connections_timeout_total", "Connection timeout total count"),
		waitCount:    desc("go_sql_wait_count_total", "The total number of connections waited for."),
		waitDuration: desc("go_sql_wait_duration_seconds_total", "The total time blocked waiting for a new connection."),
	}
}

type collector struct {
	db                                               *DB
	total, active, idle, pending, max, min, timeouts *prometheus.Desc
	waitCount, waitDuration                          *prometheus.Desc
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.total, c.active, c.idle, c.pending, c.max, c.min, c.timeouts, c.waitCount, c.waitDuration} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.sql.Stats()
	pending := max(c.db.inflight.Load()-int64(s.InUse), 0)
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.total, float64(s.OpenConnections))
	gauge(c.active, float64(s.InUse))
	gauge(c.idle, float64(s.Idle))
	gauge(c.pending, float64(pending))
	gauge(c.max, float64(s.MaxOpenConnections))
	gauge(c.min, float64(c.db.cfg.MaxIdleConns))
	counter(c.timeouts, float64(c.db.timeouts.Load()))
	counter(c.waitCount, float64(s.WaitCount))
	counter(c.waitDuration, s.WaitDuration.Seconds())
}
