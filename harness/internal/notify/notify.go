// Package notify tells people and systems about a game day's verdict: a
// Slack-compatible incoming webhook, a generic JSON webhook, and the alert
// GamedayFailed posted to Alertmanager's API (so the platform's routes,
// inhibitions and silences apply). Each receiver is sent every verdict or
// only a change of verdict, with retries and back-off; a receiver that
// fails is reported and never changes the run's verdict or exit code.
//
// Receivers are kinds in one table (kinds): a new one is a file with its
// configuration type, its check and its message.
package notify

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/secret"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Event is a verdict to tell about.
type Event struct {
	// Subject is what the message is about (default "Game day"; a CI job
	// that sends its own outcome says "Pipeline").
	Subject                          string
	Experiment, Suite, RunID, Target string
	// Status is the verdict (held, failed, aborted, inconclusive) or, for a
	// run that wrote no report, the exit code's name (invalid ...).
	Status string
	// ExitCode is gameday's (-1: not a gameday run).
	ExitCode int
	// Score is the resilience score in percent; BudgetConsumed the share
	// of the error budget the run's failed requests used (1 = all).
	Score, BudgetConsumed float64
	Reasons               []string
	Start, End            time.Time
	// Dir is the run's folder (<suite>/<run-id>) and Report the path of
	// its report.html on disk; Commit the publish commit ("" unpublished).
	Dir, Report, Commit string
	// Previous is the previous run of the same experiment, suite and
	// target (nil: none known).
	Previous *Previous
	// Labels describe where it ran (environment, cluster ...).
	Labels map[string]string
}

// Previous is the verdict of the run before.
type Previous struct {
	RunID  string    `json:"runID"`
	Status string    `json:"status"`
	Start  time.Time `json:"start"`
}

// Held reports whether the verdict is held.
func (e Event) Held() bool { return e.Status == "held" }

// Changed reports whether the verdict differs from the previous run's;
// with none known, whether it is anything but held.
func (e Event) Changed() bool {
	if e.Previous == nil {
		return !e.Held()
	}
	return e.Previous.Status != e.Status
}

// Delivery is what became of the event at one receiver.
type Delivery struct {
	Receiver string `json:"receiver"`
	Kind     string `json:"kind"`
	// Skipped says why nothing was sent (an unchanged verdict).
	Skipped  string `json:"skipped,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	// Err is the last error, secrets redacted; nil: delivered or skipped.
	Err error `json:"-"`
}

func (d Delivery) String() string {
	switch {
	case d.Skipped != "":
		return fmt.Sprintf("%s (%s): skipped, %s", d.Receiver, d.Kind, d.Skipped)
	case d.Err != nil:
		return fmt.Sprintf("%s (%s): FAILED after %d attempt(s): %v", d.Receiver, d.Kind, d.Attempts, d.Err)
	}
	if d.Attempts > 1 {
		return fmt.Sprintf("%s (%s): sent after %d attempts", d.Receiver, d.Kind, d.Attempts)
	}
	return fmt.Sprintf("%s (%s): sent", d.Receiver, d.Kind)
}

// A kind of receiver: how to tell it is set, check its configuration and
// build the request of an event.
type kind struct {
	name string
	// when is the kind's own default of Receiver.When ("": spec.when's).
	when  string
	set   func(*Receiver) bool
	check func(d *spec.Document, at func(...any) []any, r *Receiver)
	// requests are the HTTP requests of ev (an Alertmanager: one per URL).
	requests func(n *Notifier, r *Receiver, ev Event) ([]request, error)
}

// kinds is every kind of receiver (the files slack.go, webhook.go,
// alertmanager.go each fill one entry).
var kinds = []kind{slackKind, webhookKind, alertmanagerKind}

func kindOf(r *Receiver) kind {
	for _, k := range kinds {
		if k.set(r) {
			return k
		}
	}
	panic("notify: receiver " + r.Name + " of no kind") // Load refuses it
}

func kindNames() string {
	var n []string
	for _, k := range kinds {
		n = append(n, k.name)
	}
	return strings.Join(n, ", ")
}

// request is one HTTP POST of a JSON body.
type request struct {
	url     string
	headers map[string]string
	body    []byte
}

// Notifier sends events to the receivers of a file.
type Notifier struct {
	f      *File
	client *http.Client
	red    secret.Redactor
	// sleep waits between attempts (tests shorten nothing: the file's
	// backoff is what they set).
	sleep func(context.Context, time.Duration) error
}

// New is a notifier of f.
func New(f *File) *Notifier {
	return &Notifier{f: f, client: &http.Client{}, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// readSecret reads ref and registers its value for redaction.
func (n *Notifier) readSecret(ref secret.Ref) (string, error) {
	v, err := ref.Read()
	if err != nil {
		return "", err
	}
	n.red.Add(v)
	if u, err := url.Parse(v); err == nil && u.RawQuery != "" {
		n.red.Add(u.RawQuery)
	}
	return v, nil
}

// linkData are the fields of spec.reportURL.
type linkData struct {
	Path, Suite, RunID, Experiment, Commit string
}

// ReportLink is the link to ev's report: spec.reportURL filled in for a
// run that was published (its commit known), else the report's path: a
// run whose publish failed has no report behind the link.
func (n *Notifier) ReportLink(ev Event) string {
	if n.f.reportURL == nil || ev.Dir == "" || ev.Commit == "" {
		return ev.Report
	}
	var b strings.Builder
	if err := n.f.reportURL.Execute(&b, linkData{Path: ev.Dir, Suite: ev.Suite, RunID: ev.RunID, Experiment: ev.Experiment, Commit: ev.Commit}); err != nil {
		return ev.Report
	}
	return b.String()
}

// Notify sends ev to every receiver whose "when" wants it, one after the
// other, and says what became of it at each. It never fails: a receiver's
// error is in its Delivery.
func (n *Notifier) Notify(ctx context.Context, ev Event) []Delivery {
	var out []Delivery
	for i := range n.f.Spec.Receivers {
		r := &n.f.Spec.Receivers[i]
		k := kindOf(r)
		d := Delivery{Receiver: r.Name, Kind: k.name}
		if r.When == OnChange && !ev.Changed() {
			d.Skipped = "verdict unchanged (" + ev.Status + ")"
			if ev.Previous == nil {
				d.Skipped = "a first run that held: no news"
			}
			out = append(out, d)
			continue
		}
		reqs, err := k.requests(n, r, ev)
		if err != nil {
			d.Err = n.red.Error(err)
			out = append(out, d)
			continue
		}
		for _, rq := range reqs {
			attempts, err := n.post(ctx, rq)
			d.Attempts += attempts
			if err != nil {
				d.Err = errors.Join(d.Err, n.red.Error(err))
			}
		}
		out = append(out, d)
	}
	return out
}

// post sends rq until a 2xx, retrying network errors, 408, 429 and 5xx
// with back-off; other answers are final. It returns the attempts made.
func (n *Notifier) post(ctx context.Context, rq request) (int, error) {
	r := n.f.Spec.Retry
	wait := r.Backoff.D()
	var last error
	for attempt := 1; ; attempt++ {
		retryAfter, err := n.once(ctx, rq, r.Timeout.D())
		if err == nil {
			return attempt, nil
		}
		last = err
		var final *finalError
		if errors.As(err, &final) || attempt >= r.Attempts || ctx.Err() != nil {
			return attempt, last
		}
		d := cmp.Or(retryAfter, wait)
		if err := n.sleep(ctx, min(d, r.MaxBackoff.D())); err != nil {
			return attempt, fmt.Errorf("%w (waiting to retry: %v)", last, err)
		}
		wait = min(2*wait, r.MaxBackoff.D())
	}
}

// finalError is an answer that another attempt would get again.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// once is one attempt; retryAfter is what a 429 or 503 asked for.
func (n *Notifier) once(ctx context.Context, rq request, timeout time.Duration) (retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rq.url, bytes.NewReader(rq.body))
	if err != nil {
		return 0, &finalError{fmt.Errorf("%s: %w", redactURL(rq.url), errors.Unwrap(err))}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "gameday-notify")
	for k, v := range rq.headers {
		req.Header.Set(k, v)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// A *url.Error quotes the whole URL, which may be the secret (a
		// Slack webhook): keep its cause and the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("POST %s: %w", redactURL(rq.url), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return 0, nil
	}
	err = fmt.Errorf("POST %s: %s: %s", redactURL(rq.url), resp.Status, strings.TrimSpace(string(body)))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s > 0 {
			retryAfter = time.Duration(s) * time.Second
		}
		return retryAfter, err
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return 0, err
	}
	return 0, &finalError{err}
}

// redactURL is the URL's scheme, host and path with every path element
// after the first hidden: enough to tell which receiver failed, never the
// token a webhook URL carries.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	p := strings.Split(strings.Trim(u.Path, "/"), "/")
	path := ""
	if len(p) > 0 && p[0] != "" {
		path = "/" + p[0]
		if len(p) > 1 {
			path += "/..."
		}
	}
	return u.Scheme + "://" + u.Host + path
}

// render executes a template for messages (Slack's and the alert's text).
func render(t *template.Template, v any) string {
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return err.Error()
	}
	return b.String()
}
