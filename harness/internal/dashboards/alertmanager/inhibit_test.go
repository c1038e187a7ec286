package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/alertmanagertest"
	"github.com/gamedayhq/gameday/harness/internal/repotest"
)

type alert struct {
	Labels map[string]string `json:"labels"`
}

func a(kv ...string) alert {
	l := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		l[kv[i]] = kv[i+1]
	}
	return alert{Labels: l}
}

// key names an alert in the assertions.
func key(l map[string]string) string {
	parts := []string{l["alertname"]}
	for _, k := range []string{"severity", "namespace", "zone", "pod", "slo_id", "instance", "cluster"} {
		if v, ok := l[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// Every inhibition rule suppresses what it should, and only that.
func TestAlertmanagerInhibitions(t *testing.T) {
	cfg := filepath.Join(repotest.Root(t), "monitoring", "alertmanager", "alertmanager.yml")
	base := alertmanagertest.Start(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alerts := []alert{
		// A zone down inhibits its replicas down, not another zone's, and
		// the zone imbalance of its namespace.
		a("alertname", "PetClinicZoneDown", "severity", "critical", "team", "petclinic", "namespace", "prod", "zone", "zone-a"),
		a("alertname", "PetClinicReplicaDown", "severity", "warning", "team", "petclinic", "namespace", "prod", "zone", "zone-a", "pod", "p0"),
		a("alertname", "PetClinicReplicaDown", "severity", "warning", "team", "petclinic", "namespace", "prod", "zone", "zone-b", "pod", "p1"),
		a("alertname", "PetClinicReplicaDown", "severity", "warning", "team", "petclinic", "namespace", "staging", "zone", "zone-a", "pod", "p0"),
		a("alertname", "PetClinicZoneImbalance", "severity", "warning", "team", "petclinic", "namespace", "prod"),
		// An SLO's fast burn (page) inhibits its slow burn (ticket), not
		// another SLO's.
		a("alertname", "PetclinicAPIAvailabilityBudgetBurn", "severity", "page", "slo_id", "petclinic-api-availability", "slo_service", "petclinic", "long_window", "1h"),
		a("alertname", "PetclinicAPIAvailabilityBudgetBurn", "severity", "ticket", "slo_id", "petclinic-api-availability", "slo_service", "petclinic", "long_window", "1d"),
		a("alertname", "PetclinicUIAvailabilityBudgetBurn", "severity", "ticket", "slo_id", "petclinic-ui-availability", "slo_service", "petclinic", "long_window", "1d"),
		// The imminent expiry inhibits the early warning of the same URL.
		a("alertname", "TLSCertificateExpiryImminent", "severity", "critical", "team", "platform", "instance", "https://a.example.com/"),
		a("alertname", "TLSCertificateExpiringSoon", "severity", "warning", "team", "platform", "instance", "https://a.example.com/"),
		a("alertname", "TLSCertificateExpiringSoon", "severity", "warning", "team", "platform", "instance", "https://b.example.com/"),
		// PetClinic gone from the Prometheus of a cluster (absent() has only
		// job, and the external label cluster) mutes its cause-alerts in
		// that cluster; a page without slo_id inhibits nothing of the SLOs.
		a("alertname", "PetClinicMetricsAbsent", "severity", "critical", "team", "petclinic", "job", "petclinic", "cluster", "gameday-dev"),
		a("alertname", "PetClinicCacheErrors", "severity", "warning", "team", "petclinic", "namespace", "petclinic", "pod", "p2", "cluster", "gameday-dev"),
		a("alertname", "PetClinicCacheErrors", "severity", "warning", "team", "petclinic", "namespace", "petclinic", "pod", "p2", "cluster", "gameday-prod"),
		// Two warnings never inhibit each other; a critical inhibits the
		// warning of the same alert and namespace.
		a("alertname", "KubePodCrashLooping", "severity", "critical", "namespace", "kube-system"),
		a("alertname", "KubePodCrashLooping", "severity", "warning", "namespace", "kube-system"),
		a("alertname", "KubePodCrashLooping", "severity", "warning", "namespace", "monitoring"),
	}
	want := []string{
		"KubePodCrashLooping severity=warning namespace=kube-system",
		"PetClinicCacheErrors severity=warning namespace=petclinic pod=p2 cluster=gameday-dev",
		"PetClinicReplicaDown severity=warning namespace=prod zone=zone-a pod=p0",
		"PetClinicZoneImbalance severity=warning namespace=prod",
		"PetclinicAPIAvailabilityBudgetBurn severity=ticket slo_id=petclinic-api-availability",
		"TLSCertificateExpiringSoon severity=warning instance=https://a.example.com/",
	}

	body, _ := json.Marshal(alerts)
	r, err := http.Post(base+"/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("post alerts: %s", r.Status)
	}

	var got []string
	for {
		got = nil
		var res []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				State       string   `json:"state"`
				InhibitedBy []string `json:"inhibitedBy"`
			} `json:"status"`
		}
		r, err := http.Get(base + "/alerts")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(r.Body).Decode(&res)
		r.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res {
			if len(x.Status.InhibitedBy) > 0 {
				got = append(got, key(x.Labels))
			}
		}
		sort.Strings(got)
		if len(res) == len(alerts) && slices.Equal(got, want) || ctx.Err() != nil {
			if len(res) != len(alerts) {
				t.Fatalf("alertmanager holds %d alerts, want %d", len(res), len(alerts))
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !slices.Equal(got, want) {
		t.Errorf("inhibited:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	t.Logf("%d alerts posted, %d inhibited as expected", len(alerts), len(want))
}
