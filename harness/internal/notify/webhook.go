package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// WebhookSchema is the version of the generic webhook's JSON.
const WebhookSchema = "gameday.dev/notification/v1"

// SignatureHeader carries the HMAC-SHA256 of the body (GitHub's scheme).
const SignatureHeader = "X-Gameday-Signature-256"

var webhookKind = kind{
	name: "webhook",
	set:  func(r *Receiver) bool { return r.Webhook != nil },
	check: func(d *spec.Document, at func(...any) []any, r *Receiver) {
		w := r.Webhook
		switch {
		case (w.URL == "") == (w.URLFrom == nil):
			d.Errorf(at("webhook"), "set one of url or urlFrom")
		case w.URL != "":
			checkURL(d, at("webhook", "url"), w.URL)
		default:
			checkRef(d, at("webhook", "urlFrom"), *w.URLFrom)
		}
		if w.BearerToken != nil {
			checkRef(d, at("webhook", "bearerToken"), *w.BearerToken)
		}
		if w.SigningSecret != nil {
			checkRef(d, at("webhook", "signingSecret"), *w.SigningSecret)
		}
		for h := range w.Headers {
			if http.CanonicalHeaderKey(h) == "Authorization" {
				d.Errorf(at("webhook", "headers", h), "a credential is never written in the file: use bearerToken")
			}
		}
	},
	requests: func(n *Notifier, r *Receiver, ev Event) ([]request, error) {
		w := r.Webhook
		u := w.URL
		if w.URLFrom != nil {
			var err error
			if u, err = n.readSecret(*w.URLFrom); err != nil {
				return nil, err
			}
		}
		body, err := json.Marshal(webhookBody(ev, n.ReportLink(ev)))
		if err != nil {
			return nil, err
		}
		h := map[string]string{}
		for k, v := range w.Headers {
			h[k] = v
		}
		if w.BearerToken != nil {
			tok, err := n.readSecret(*w.BearerToken)
			if err != nil {
				return nil, err
			}
			h["Authorization"] = "Bearer " + tok
		}
		if w.SigningSecret != nil {
			key, err := n.readSecret(*w.SigningSecret)
			if err != nil {
				return nil, err
			}
			h[SignatureHeader] = Sign([]byte(key), body)
		}
		return []request{{url: u, headers: h, body: body}}, nil
	},
}

// Sign is the signature header's value of body: sha256=<hex HMAC>.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// WebhookBody is the generic webhook's JSON.
type WebhookBody struct {
	SchemaVersion string `json:"schemaVersion"`
	// Event is "verdict"; Changed whether it differs from the previous run's.
	Event    string    `json:"event"`
	Changed  bool      `json:"changed"`
	Run      RunFields `json:"run"`
	Previous *Previous `json:"previous,omitempty"`
	// ReportURL is the link of spec.reportURL, or the report's path.
	ReportURL string            `json:"reportURL,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// RunFields are the run's figures in the webhook's JSON.
type RunFields struct {
	RunID          string    `json:"runID"`
	Suite          string    `json:"suite"`
	Experiment     string    `json:"experiment"`
	Target         string    `json:"target"`
	Status         string    `json:"status"`
	ExitCode       int       `json:"exitCode"`
	Score          float64   `json:"score"`
	BudgetConsumed float64   `json:"budgetConsumed"`
	Reasons        []string  `json:"reasons,omitempty"`
	Start          time.Time `json:"start,omitzero"`
	End            time.Time `json:"end,omitzero"`
	Commit         string    `json:"commit,omitempty"`
}

func webhookBody(ev Event, link string) WebhookBody {
	return WebhookBody{
		SchemaVersion: WebhookSchema, Event: "verdict", Changed: ev.Changed(), Previous: ev.Previous, ReportURL: link, Labels: ev.Labels,
		Run: RunFields{RunID: ev.RunID, Suite: ev.Suite, Experiment: ev.Experiment, Target: ev.Target, Status: ev.Status, ExitCode: ev.ExitCode,
			Score: ev.Score, BudgetConsumed: ev.BudgetConsumed, Reasons: ev.Reasons, Start: ev.Start, End: ev.End, Commit: ev.Commit},
	}
}
