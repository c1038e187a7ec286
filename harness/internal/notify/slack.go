package notify

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"

	"github.com/gamedayhq/gameday/harness/internal/spec"
)

var slackKind = kind{
	name: "slack",
	set:  func(r *Receiver) bool { return r.Slack != nil },
	check: func(d *spec.Document, at func(...any) []any, r *Receiver) {
		checkRef(d, at("slack", "url"), r.Slack.URL)
	},
	requests: func(n *Notifier, r *Receiver, ev Event) ([]request, error) {
		u, err := n.readSecret(r.Slack.URL)
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(slackMessage(r.Slack, ev, n.ReportLink(ev)))
		return []request{{url: u, body: body}}, err
	},
}

// slackPayload is an incoming webhook's message: text (the notification
// and the fallback) and one attachment with the colour of the verdict, the
// fields Slack, Mattermost and Rocket.Chat all show.
type slackPayload struct {
	Text        string            `json:"text"`
	Channel     string            `json:"channel,omitempty"`
	Username    string            `json:"username,omitempty"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color     string       `json:"color"`
	Title     string       `json:"title"`
	TitleLink string       `json:"title_link,omitempty"`
	Text      string       `json:"text,omitempty"`
	Fields    []slackField `json:"fields,omitempty"`
	Footer    string       `json:"footer"`
	TS        int64        `json:"ts,omitempty"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// colours of the verdicts (GitHub's green, red, orange, grey).
var colours = map[string]string{"held": "#2da44e", "failed": "#cf222e", "aborted": "#bc4c00", "inconclusive": "#6e7781"}

var slackText = template.Must(template.New("slack").Parse(
	`{{.Subj}} *{{.Experiment}}*{{with .Suite}} (suite {{.}}){{end}}: *{{.Upper}}*` +
		`{{if .Previous}}{{if ne .Previous.Status .Status}}, was {{.Previous.Status}}{{else}}, again{{end}}{{end}}`))

func slackMessage(s *Slack, ev Event, link string) slackPayload {
	text := render(slackText, struct {
		Event
		Subj, Upper string
	}{ev, cmp.Or(ev.Subject, "Game day"), strings.ToUpper(ev.Status)})
	title := fmt.Sprintf("%s: %s", cmp.Or(ev.RunID, ev.Experiment), strings.ToUpper(ev.Status))
	if ev.ExitCode >= 0 {
		title += fmt.Sprintf(" (exit %d)", ev.ExitCode)
	}
	a := slackAttachment{
		Color:  cmpColour(ev.Status),
		Title:  title,
		Text:   strings.Join(bullets(ev.Reasons), "\n"),
		Footer: "gameday",
	}
	if ev.ExitCode >= 0 { // a game day's figures; a CI job's event has none
		a.Fields = []slackField{
			{Title: "Score", Value: fmt.Sprintf("%.1f%%", ev.Score), Short: true},
			{Title: "Error budget consumed", Value: fmt.Sprintf("%.1f%%", 100*ev.BudgetConsumed), Short: true},
			{Title: "Target", Value: ev.Target, Short: true},
		}
	}
	if strings.HasPrefix(link, "http://") || strings.HasPrefix(link, "https://") {
		a.TitleLink = link
	} else if link != "" {
		a.Fields = append(a.Fields, slackField{Title: "Report", Value: link})
	}
	for _, k := range slices.Sorted(maps.Keys(ev.Labels)) {
		a.Fields = append(a.Fields, slackField{Title: k, Value: ev.Labels[k], Short: true})
	}
	if !ev.End.IsZero() {
		a.TS = ev.End.Unix()
	}
	return slackPayload{Text: text, Channel: s.Channel, Username: s.Username, Attachments: []slackAttachment{a}}
}

func cmpColour(status string) string {
	if c, ok := colours[status]; ok {
		return c
	}
	return colours["inconclusive"]
}

func bullets(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "• " + l
	}
	return out
}
