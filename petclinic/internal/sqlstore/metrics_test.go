package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCollectorShowsAnIdlePool(t *testing.T) {
	db := openDB(t, Config{Seed: true})
	want := `
# HELP hikaricp_connections Total connections
# TYPE hikaricp_connections gauge
hikaricp_connections{pool="HikariPool-1"} 1
# HELP hikaricp_connections_active Active connections
# TYPE hikaricp_connections_active gauge
hikaricp_connections_active{pool="HikariPool-1"} 0
# HELP hikaricp_connections_idle Idle connections
# TYPE hikaricp_connections_idle gauge
hikaricp_connections_idle{pool="HikariPool-1"} 1
# HELP hikaricp_connections_max Max connections
# TYPE hikaricp_connections_max gauge
hikaricp_connections_max{pool="HikariPool-1"} 1
# HELP hikaricp_connections_min Min connections
# TYPE hikaricp_connections_min gauge
hikaricp_connections_min{pool="HikariPool-1"} 1
# HELP hikaricp_connections_pending Pending threads
# TYPE hikaricp_connections_pending gauge
hikaricp_connections_pending{pool="HikariPool-1"} 0
# HELP hikaricp_connections_timeout_total Connection timeout total count
# TYPE hikaricp_connections_timeout_total counter
hikaricp_connections_timeout_total{pool="HikariPool-1"} 0
# HELP go_sql_wait_count_total The total number of connections waited for.
# TYPE go_sql_wait_count_total counter
go_sql_wait_count_total{pool="HikariPool-1"} 0
`
	c := db.Collector("HikariPool-1")
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"hikaricp_connections", "hikaricp_connections_active", "hikaricp_connections_idle",
		"hikaricp_connections_max", "hikaricp_connections_min", "hikaricp_connections_pending",
		"hikaricp_connections_timeout_total", "go_sql_wait_count_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 9 {
		t.Errorf("got %d metrics, want 9", n)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestCollectorShowsWaitersAndTimeouts(t *testing.T) {
	// One connection, held by a transaction, makes the next caller wait.
	db := openDB(t, Config{Seed: true, QueryTimeout: 5 * time.Second})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(db.Collector("p"))
	metric := func(name string) float64 {
		t.Helper()
		families, err := reg.Gather()
		must(t, err)
		for _, f := range families {
			if f.GetName() != name {
				continue
			}
			m := f.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
		t.Fatalf("no metric %s", name)
		return 0
	}

	holding, release := make(chan struct{}), make(chan struct{})
	txDone := make(chan error, 1)
	go func() {
		txDone <- db.tx(t.Context(), func(r runner) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	readDone := make(chan error, 1)
	go func() {
		_, err := db.Owner(t.Context(), 1)
		readDone <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for metric("hikaricp_connections_pending") != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := metric("hikaricp_connections_pending"); got != 1 {
		t.Errorf("got %v pending while the only connection is held, want 1", got)
	}
	if got := metric("hikaricp_connections_active"); got != 1 {
		t.Errorf("got %v active, want 1", got)
	}
	close(release)
	must(t, <-txDone)
	must(t, <-readDone)
	if got := metric("hikaricp_connections_pending"); got != 0 {
		t.Errorf("got %v pending after release, want 0", got)
	}
	if got := metric("go_sql_wait_count_total"); got < 1 {
		t.Errorf("got wait count %v, want at least 1", got)
	}
	if got := metric("go_sql_wait_duration_seconds_total"); got <= 0 {
		t.Errorf("got wait duration %v, want more than 0", got)
	}

	db.cfg.QueryTimeout = 50 * time.Millisecond
	_, err := db.run().count(t.Context(), stmt{"SELECT", "", sqliteSlow})
	wantErr(t, err, context.DeadlineExceeded)
	if got := metric("hikaricp_connections_timeout_total"); got != 1 {
		t.Errorf("got %v timeouts, want 1", got)
	}
}
