package notify

import (
	"cmp"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/secret"
	"github.com/gamedayhq/gameday/harness/internal/spec"
)

// Kind is the kind of a notifications file; its apiVersion is spec.APIVersion.
const Kind = spec.KindNotifications

// When a receiver is sent a verdict.
const (
	// OnEvery: every verdict.
	OnEvery = "every"
	// OnChange: a verdict that differs from the previous run's of the same
	// experiment, suite and target; with no previous run, any verdict but
	// held (a first run that holds is no news).
	OnChange = "change"
)

// Retry defaults.
const (
	DefaultAttempts     = 4
	DefaultBackoff      = time.Second
	DefaultMaxBackoff   = 30 * time.Second
	DefaultTimeout      = 10 * time.Second
	DefaultResolveAfter = 7 * 24 * time.Hour
	maxAttempts         = 10
)

// File is a notifications file.
type File struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
	// Path is the file as given.
	Path string `json:"-"`

	reportURL *template.Template
}

// Metadata names the file.
type Metadata struct {
	Name string `json:"name"`
}

// Spec is where verdicts go.
type Spec struct {
	// When is every or change (default change), for receivers that say none.
	When string `json:"when,omitempty"`
	// Retry is how a receiver that does not answer 2xx is retried.
	Retry Retry `json:"retry,omitempty"`
	// ReportURL is a Go template of the link to a run's report in the
	// messages, e.g. https://github.com/o/r/blob/main/reports/{{.Path}}/report.md
	// (fields: Path = <suite>/<run-id>, Suite, RunID, Experiment, Commit
	// = the publish commit). Empty: the report's path on disk.
	ReportURL string `json:"reportURL,omitempty"`
	// Receivers, at least one.
	Receivers []Receiver `json:"receivers"`
}

// Retry: Attempts in all (default 4, at most 10); waits of Backoff,
// doubled after each attempt up to MaxBackoff (or what a 429's or 503's
// Retry-After asks, within MaxBackoff); Timeout for each attempt.
type Retry struct {
	Attempts   int           `json:"attempts,omitempty"`
	Backoff    spec.Duration `json:"backoff,omitempty"`
	MaxBackoff spec.Duration `json:"maxBackoff,omitempty"`
	Timeout    spec.Duration `json:"timeout,omitempty"`
}

// Receiver is one destination; exactly one of its kinds is set.
type Receiver struct {
	// Name is a DNS label, unique in the file.
	Name string `json:"name"`
	// When overrides spec.when for this receiver.
	When         string        `json:"when,omitempty"`
	Slack        *Slack        `json:"slack,omitempty"`
	Webhook      *Webhook      `json:"webhook,omitempty"`
	Alertmanager *Alertmanager `json:"alertmanager,omitempty"`
}

// Slack is a Slack incoming webhook (or a compatible one: Mattermost,
// Rocket.Chat): the URL is the secret.
type Slack struct {
	URL secret.Ref `json:"url"`
	// Channel and Username override the webhook's own (where allowed).
	Channel  string `json:"channel,omitempty"`
	Username string `json:"username,omitempty"`
}

// Webhook posts the event as JSON (schema gameday.dev/notification/v1).
type Webhook struct {
	// URL, or URLFrom when the URL carries a token.
	URL     string      `json:"url,omitempty"`
	URLFrom *secret.Ref `json:"urlFrom,omitempty"`
	// BearerToken is sent as Authorization: Bearer.
	BearerToken *secret.Ref `json:"bearerToken,omitempty"`
	// SigningSecret signs the body: X-Gameday-Signature-256: sha256=<HMAC-SHA256 hex>.
	SigningSecret *secret.Ref `json:"signingSecret,omitempty"`
	// Headers are sent as they are (no secret here: use bearerToken).
	Headers map[string]string `json:"headers,omitempty"`
}

// Alertmanager receives the alert GamedayFailed through its API (v2),
// so its routes, inhibitions and silences apply: firing while the last
// run of an experiment did not hold, resolved by the next that holds.
type Alertmanager struct {
	// URLs of every Alertmanager of the cluster (as Prometheus sends to
	// each): http://alertmanager-operated.monitoring:9093.
	URLs []string `json:"urls"`
	// Labels added to the alert's (alertname, experiment, suite, target):
	// severity, team, environment ... (default severity: warning).
	Labels map[string]string `json:"labels,omitempty"`
	// ResolveAfter is the alert's endsAt after a failed run, in case no
	// run follows (default 168h).
	ResolveAfter spec.Duration `json:"resolveAfter,omitempty"`
	// RunbookURL is the runbook_url annotation.
	RunbookURL  string      `json:"runbookURL,omitempty"`
	BearerToken *secret.Ref `json:"bearerToken,omitempty"`
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// labelName is Prometheus's label name syntax.
var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Load reads, decodes strictly, defaults and validates the notifications
// file at path. Errors name file:line:col and the field (exit code 2).
// Every secret it names must be readable now (a run never starts with a
// notifier that cannot send); they are read again at each send, so a
// rotated secret needs no restart.
func Load(path string) (*File, error) {
	d, err := spec.ParseFileKind(path, Kind)
	if err != nil {
		return nil, err
	}
	f := &File{}
	if !d.Decode(f) {
		return nil, d.Errors()
	}
	f.Path = path
	f.check(d)
	if err := d.Errors(); err != nil {
		return nil, err
	}
	return f, nil
}

// IsNotifications reports whether the YAML file at path is a notifications
// file (its kind), without validating it.
func IsNotifications(path string) bool {
	docs, err := spec.ParseFileDocuments(path)
	return err == nil && len(docs) == 1 && docs[0].Str("kind") == Kind
}

func (f *File) check(d *spec.Document) {
	s := &f.Spec
	s.When = cmp.Or(s.When, OnChange)
	if s.When != OnEvery && s.When != OnChange {
		d.Errorf([]any{"spec", "when"}, "%q: use every or change", s.When)
		s.When = OnChange // said once, not again for every receiver
	}
	r := &s.Retry
	r.Attempts = cmp.Or(r.Attempts, DefaultAttempts)
	r.Backoff = cmp.Or(r.Backoff, spec.Duration(DefaultBackoff))
	r.MaxBackoff = cmp.Or(r.MaxBackoff, spec.Duration(DefaultMaxBackoff))
	r.Timeout = cmp.Or(r.Timeout, spec.Duration(DefaultTimeout))
	if r.Attempts < 1 || r.Attempts > maxAttempts {
		d.Errorf([]any{"spec", "retry", "attempts"}, "%d: use 1 to %d", r.Attempts, maxAttempts)
	}
	for field, v := range map[string]spec.Duration{"backoff": r.Backoff, "maxBackoff": r.MaxBackoff, "timeout": r.Timeout} {
		if v < 0 {
			d.Errorf([]any{"spec", "retry", field}, "%s: must be positive", v)
		}
	}
	if s.ReportURL != "" {
		t, err := template.New("reportURL").Option("missingkey=error").Parse(s.ReportURL)
		if err == nil {
			err = t.Execute(new(strings.Builder), linkData{Path: "s/r", Suite: "s", RunID: "r", Experiment: "e", Commit: "c"})
		}
		if err != nil {
			d.Errorf([]any{"spec", "reportURL"}, "%v (fields: .Path .Suite .RunID .Experiment .Commit)", err)
		}
		f.reportURL = t
	}
	if len(s.Receivers) == 0 {
		d.Errorf([]any{"spec", "receivers"}, "at least one receiver")
	}
	seen := map[string]int{}
	for i := range s.Receivers {
		rc := &s.Receivers[i]
		at := func(p ...any) []any { return append([]any{"spec", "receivers", i}, p...) }
		if !dnsLabel.MatchString(rc.Name) {
			d.Errorf(at("name"), "%q: use lowercase letters, digits and '-' (a DNS label)", rc.Name)
		}
		if first, dup := seen[rc.Name]; dup {
			d.Errorf(at("name"), "duplicate receiver name %q (also spec.receivers[%d])", rc.Name, first)
		} else {
			seen[rc.Name] = i
		}
		var set []string
		for _, k := range kinds {
			if k.set(rc) {
				set = append(set, k.name)
			}
		}
		if len(set) != 1 {
			d.Errorf(at(), "set exactly one of %s (found %d)", kindNames(), len(set))
			continue
		}
		k := kindOf(rc)
		rc.When = cmp.Or(rc.When, k.when, s.When)
		if rc.When != OnEvery && rc.When != OnChange {
			d.Errorf(at("when"), "%q: use every or change", rc.When)
		}
		k.check(d, at, rc)
	}
}

// checkRef records an error unless ref names exactly one readable source.
func checkRef(d *spec.Document, path []any, ref secret.Ref) {
	switch {
	case ref.IsZero():
		d.Errorf(path, "set file or env")
	case ref.File != "" && ref.Env != "":
		d.Errorf(path, "set one of file or env, not both")
	default:
		if _, err := ref.Read(); err != nil {
			d.Errorf(path, "%v", err)
		}
	}
}

// checkURL records an error unless raw is an absolute http(s) URL.
func checkURL(d *spec.Document, path []any, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.Errorf(path, "want an http:// or https:// URL with a host")
		return
	}
	if _, pw := u.User.Password(); pw {
		d.Errorf(path, "the URL holds a password: use a secret reference (file or env)")
	}
}
