package prom_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/dora/doratest"
	"github.com/gamedayhq/gameday/harness/internal/dora/prom"
	"github.com/gamedayhq/gameday/harness/internal/prom/promtest"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
	"github.com/gamedayhq/gameday/harness/internal/slo"
)

func oct(day, hour, minute int) time.Time {
	return time.Date(2026, 10, day, hour, minute, 0, 0, time.UTC)
}

func one(time.Time) float64 { return 1 }

// Backfill holds the ALERTS intervals and request counters the tests read.
func Backfill() string {
	var om doratest.OpenMetrics
	page := `alertname="PetclinicAPIAvailabilityBudgetBurn",alertstate="firing",long_window="1h",severity="page",slo_id="petclinic-api-availability",slo_service="petclinic"`
	// Two intervals on one series (a gap of hours between them), 30 s apart.
	om.Add("ALERTS", page, oct(6, 12, 20), oct(6, 13, 50), 30*time.Second, one)
	om.Add("ALERTS", page, oct(13, 11, 0), oct(13, 13, 0), 30*time.Second, one)
	// Still firing at the end of the read.
	om.Add("ALERTS", strings.Replace(page, "API", "UI", 1), oct(20, 10, 0), oct(20, 10, 30), 30*time.Second, one)
	// Not fast burn, pending, another service: never selected.
	om.Add("ALERTS", strings.Replace(page, `long_window="1h"`, `long_window="1d"`, 1), oct(6, 12, 30), oct(6, 14, 0), 30*time.Second, one)
	om.Add("ALERTS", strings.Replace(page, "firing", "pending", 1), oct(6, 12, 19), oct(6, 12, 20), 30*time.Second, one)
	om.Add("ALERTS", strings.Replace(page, `slo_service="petclinic"`, `slo_service="gameday"`, 1), oct(6, 15, 0), oct(6, 16, 0), 30*time.Second, one)
	// 10 successful API requests a second from 5 Oct 00:00, and 0.1 server
	// errors a second from 6 Oct 12:00 to 13:00, one sample a minute.
	start := oct(5, 0, 0)
	om.Add("http_server_requests_seconds_count", `job="petclinic",uri="/petclinic/api/owners",outcome="SUCCESS"`, start, oct(7, 0, 0), time.Minute,
		func(t time.Time) float64 { return 10 * t.Sub(start).Seconds() })
	om.Add("http_server_requests_seconds_count", `job="petclinic",uri="/petclinic/api/owners",outcome="SERVER_ERROR"`, start, oct(7, 0, 0), time.Minute,
		func(t time.Time) float64 {
			return 0.1 * math.Max(0, math.Min(t.Sub(oct(6, 12, 0)).Seconds(), 3600))
		})
	return om.String()
}

func TestAlertsAndBudget(t *testing.T) {
	srv := promtest.Start(t, promtest.Config{Backfill: Backfill()})
	src, err := prom.New(srv.URL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sel, err := prom.Selector("petclinic", prom.DefaultAlertMatch)
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := src.Alerts(ctx, sel, oct(1, 0, 0), oct(20, 10, 31))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range alerts {
		got = append(got, fmt.Sprintf("%s %s-%s resolved=%v", a.Name, a.Start.Format("02T15:04"), a.End.Format("02T15:04"), a.Resolved))
	}
	want := []string{
		"PetclinicAPIAvailabilityBudgetBurn 06T12:20-06T13:50 resolved=true",
		"PetclinicAPIAvailabilityBudgetBurn 13T11:00-13T13:00 resolved=true",
		"PetclinicUIAvailabilityBudgetBurn 20T10:00-20T10:30 resolved=false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if len(alerts) > 0 && alerts[0].Labels["slo_id"] != "petclinic-api-availability" {
		t.Errorf("labels: got %v, want slo_id", alerts[0].Labels)
	}
	if _, err := prom.Selector("petclinic", `long_window=1h`); err == nil {
		t.Error("a bad matcher: got no error")
	}

	set, err := slo.Load(filepath.Join(repotest.Root(t), "slo"))
	if err != nil {
		t.Fatal(err)
	}
	api := set.Find("api-availability")
	burns := src.Burned(ctx, []*slo.SLO{api, set.Find("request-log-errors")}, oct(6, 12, 0), oct(6, 13, 0))
	// By hand: 360 bad requests in the hour; the 30d window holds the
	// 37 h of data present: 10/s × 37 h + 360 events (Prometheus adds half
	// a sample interval, 300, extrapolating to the range's start), of
	// which the 99.9 % objective lets 0.1 % fail.
	wantBurn := 360 / (0.001 * (10*37*3600 + 360 + 300))
	if b := burns[0]; b.Budget == nil || math.Abs(*b.Budget-wantBurn)/wantBurn > 0.01 {
		t.Errorf("%s burned: got %v (%s), want %.4f", b.SLO, b.Budget, b.Error, wantBurn)
	}
	if b := burns[1]; b.Budget != nil || !strings.Contains(b.Error, "LogQL") {
		t.Errorf("%s: got %+v, want the LogQL SLO skipped with a reason", b.SLO, b)
	}
	// The same SLO over an hour without errors burned nothing.
	if b := src.Burned(ctx, []*slo.SLO{api}, oct(6, 14, 0), oct(6, 15, 0))[0]; b.Budget == nil || *b.Budget != 0 {
		t.Errorf("a clean hour: got %v (%s), want 0", b.Budget, b.Error)
	}
}
