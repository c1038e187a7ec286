package notify

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// AlertName is the alert a game day that did not hold raises.
const AlertName = "GamedayFailed"

// DefaultRunbookURL is the alert's runbook.
const DefaultRunbookURL = "https://github.com/gamedayhq/gameday/blob/main/docs/runbooks/gameday-failed.md"

// The labels gameday sets; a receiver's labels may not replace them.
var alertLabels = []string{"alertname", "experiment", "suite", "target"}

var alertmanagerKind = kind{
	name: "alertmanager",
	// An alert is state, not a message: posted after every run it stays
	// firing while runs fail (Alertmanager deduplicates the repeats) and
	// its endsAt keeps ahead; a held run resolves it.
	when: OnEvery,
	set:  func(r *Receiver) bool { return r.Alertmanager != nil },
	check: func(d *spec.Document, at func(...any) []any, r *Receiver) {
		a := r.Alertmanager
		if len(a.URLs) == 0 {
			d.Errorf(at("alertmanager", "urls"), "at least one Alertmanager URL")
		}
		for i, u := range a.URLs {
			checkURL(d, at("alertmanager", "urls", i), u)
		}
		for k := range a.Labels {
			if !labelName.MatchString(k) {
				d.Errorf(at("alertmanager", "labels", k), "%q is not a label name", k)
			}
			for _, own := range alertLabels {
				if k == own {
					d.Errorf(at("alertmanager", "labels", k), "gameday sets %s itself", k)
				}
			}
		}
		if a.ResolveAfter < 0 {
			d.Errorf(at("alertmanager", "resolveAfter"), "%s: must be positive", a.ResolveAfter)
		}
		a.ResolveAfter = cmp.Or(a.ResolveAfter, spec.Duration(DefaultResolveAfter))
		a.RunbookURL = cmp.Or(a.RunbookURL, DefaultRunbookURL)
		if a.BearerToken != nil {
			checkRef(d, at("alertmanager", "bearerToken"), *a.BearerToken)
		}
	},
	requests: func(n *Notifier, r *Receiver, ev Event) ([]request, error) {
		a := r.Alertmanager
		body, err := json.Marshal([]PostableAlert{alert(a, ev, n.ReportLink(ev), time.Now())})
		if err != nil {
			return nil, err
		}
		h := map[string]string{}
		if a.BearerToken != nil {
			tok, err := n.readSecret(*a.BearerToken)
			if err != nil {
				return nil, err
			}
			h["Authorization"] = "Bearer " + tok
		}
		var out []request
		for _, u := range a.URLs {
			out = append(out, request{url: strings.TrimRight(u, "/") + "/api/v2/alerts", headers: h, body: body})
		}
		return out, nil
	},
}

// PostableAlert is an alert of Alertmanager's API v2 (POST /api/v2/alerts).
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// alert is GamedayFailed for ev: firing until now+resolveAfter when ev did
// not hold, resolved now when it did. Its labels name the experiment, not
// the run, so the next run's alert is the same alert.
func alert(a *Alertmanager, ev Event, link string, now time.Time) PostableAlert {
	labels := map[string]string{"severity": "warning"}
	for k, v := range ev.Labels {
		labels[k] = v
	}
	for k, v := range a.Labels {
		labels[k] = v
	}
	labels["alertname"], labels["experiment"], labels["suite"], labels["target"] = AlertName, ev.Experiment, ev.Suite, ev.Target
	summary := fmt.Sprintf("%s %s of suite %s: %s", cmp.Or(ev.Subject, "Game day"), ev.Experiment, ev.Suite, strings.ToUpper(ev.Status))
	desc := strings.Join(ev.Reasons, "; ")
	if desc == "" {
		desc = fmt.Sprintf("exit code %d", ev.ExitCode)
	}
	p := PostableAlert{
		Labels: labels,
		Annotations: map[string]string{
			"summary": summary, "description": desc, "runbook_url": a.RunbookURL,
			"run_id": ev.RunID, "status": ev.Status, "score": fmt.Sprintf("%.1f%%", ev.Score),
		},
		StartsAt: earliest(ev.End, now),
		EndsAt:   now.Add(a.ResolveAfter.D()).UTC(),
	}
	if link != "" {
		p.Annotations["report"] = link
	}
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		p.GeneratorURL = link
	}
	if ev.Held() {
		p.StartsAt = earliest(ev.Start, now)
		p.EndsAt = now.UTC()
	}
	return p
}

// earliest is t, or now when t is unset or later (a clock ahead of
// Alertmanager's must not make startsAt follow endsAt).
func earliest(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now) {
		return now.UTC()
	}
	return t.UTC()
}
