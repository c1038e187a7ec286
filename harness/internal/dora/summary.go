package dora

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Summary holds the five metrics over one span of time. A span without
// deployments has Deployments 0 and every other figure nil: "no
// deployments", never zeros.
type Summary struct {
	Window Window `json:"window"`
	// Note is "no deployments" for a span without any.
	Note        string `json:"note,omitempty"`
	Deployments int    `json:"deployments"`
	// PerDay is deployments per day over the span.
	PerDay *float64 `json:"deploymentsPerDay"`
	// Changes is how many changes were first deployed in the span;
	// LeadTimeSeconds is the median of their lead times (negatives
	// included, as measured), NegativeLeadTimes how many were negative.
	Changes           int      `json:"changes"`
	LeadTimeSeconds   *float64 `json:"changeLeadTimeSeconds"`
	NegativeLeadTimes int      `json:"negativeLeadTimes,omitempty"`
	// Failed deployments among Deployments; ChangeFailureRate = Failed /
	// Deployments.
	Failed            int      `json:"failedDeployments"`
	ChangeFailureRate *float64 `json:"changeFailureRate"`
	// ChangeFailureRateExcludes names the failures the rate cannot count
	// ("" when it counts every kind): without a Prometheus, the SLO
	// fast-burn alerts.
	ChangeFailureRateExcludes string `json:"changeFailureRateExcludes,omitempty"`
	// RecoverySeconds is the median recovery time of the failed
	// deployments that recovered; Unrecovered are still failing.
	Recovered       int      `json:"recovered"`
	Unrecovered     int      `json:"unrecovered"`
	RecoverySeconds *float64 `json:"failedDeploymentRecoverySeconds"`
	// Rework deployments among Deployments; ReworkRate = Rework /
	// Deployments.
	Rework     int      `json:"reworkDeployments"`
	ReworkRate *float64 `json:"reworkRate"`
	// Ratings rate each metric against the levels.
	Ratings []Rating `json:"ratings,omitempty"`
}

// NoDeployments reports whether the span had none.
func (s Summary) NoDeployments() bool { return s.Deployments == 0 }

// Value is the metric's figure in its unit (per day, seconds, fraction).
func (s Summary) Value(metric string) *float64 {
	switch metric {
	case MetricDeploymentFrequency:
		return s.PerDay
	case MetricChangeLeadTime:
		return s.LeadTimeSeconds
	case MetricChangeFailureRate:
		return s.ChangeFailureRate
	case MetricRecoveryTime:
		return s.RecoverySeconds
	case MetricReworkRate:
		return s.ReworkRate
	}
	return nil
}

// Summarize computes the metrics over the counted deployments deployed in
// w and rates them against lv (nil: no ratings).
func Summarize(a *Analysis, w Window, lv *Levels) Summary {
	s := Summary{Window: w}
	var leads, recoveries []float64
	for _, d := range a.Deployments {
		if !d.Counted || !w.Contains(d.DeployedAt) {
			continue
		}
		s.Deployments++
		for _, c := range d.Changes {
			s.Changes++
			leads = append(leads, c.Seconds)
			if c.Negative {
				s.NegativeLeadTimes++
			}
		}
		if d.Failure != nil {
			s.Failed++
			if r := d.Failure.RecoverySeconds; r != nil {
				s.Recovered++
				recoveries = append(recoveries, *r)
			} else {
				s.Unrecovered++
			}
		}
		if d.Rework {
			s.Rework++
		}
	}
	if s.Deployments == 0 {
		s.Note = "no deployments"
	} else {
		n := float64(s.Deployments)
		s.PerDay = ptr(n / w.Days())
		s.ChangeFailureRate = ptr(float64(s.Failed) / n)
		if a.AlertsNotRead != "" {
			s.ChangeFailureRateExcludes = "SLO fast-burn alert failures, not read (" + a.AlertsNotRead + "): rollbacks and failed gates only"
		}
		s.ReworkRate = ptr(float64(s.Rework) / n)
		s.LeadTimeSeconds = Median(leads)
		s.RecoverySeconds = Median(recoveries)
	}
	if lv != nil {
		for _, m := range Metrics {
			r := lv.Rate(m, s.Value(m))
			if s.NoDeployments() {
				r.Note = "no deployments"
			}
			s.Ratings = append(s.Ratings, r)
		}
	}
	return s
}

// Median is the middle value of xs (the mean of the two middle values for
// an even count), nil for none.
func Median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return ptr(s[m])
	}
	return ptr((s[m-1] + s[m]) / 2)
}

func ptr(f float64) *float64 { return &f }

// Weeks cuts w into ISO weeks (Monday 00:00 UTC), the first and last
// clipped to w.
func Weeks(w Window) []Window {
	t := w.From.UTC()
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	start = start.AddDate(0, 0, -((int(start.Weekday()) + 6) % 7))
	return cut(w, start, func(t time.Time) time.Time { return t.AddDate(0, 0, 7) })
}

// Months cuts w into calendar months (UTC), the first and last clipped.
func Months(w Window) []Window {
	t := w.From.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return cut(w, start, func(t time.Time) time.Time { return t.AddDate(0, 1, 0) })
}

func cut(w Window, start time.Time, next func(time.Time) time.Time) []Window {
	var out []Window
	for s := start; s.Before(w.To); s = next(s) {
		b := Window{From: s, To: next(s)}
		if b.From.Before(w.From) {
			b.From = w.From
		}
		if b.To.After(w.To) {
			b.To = w.To
		}
		if b.To.After(b.From) {
			out = append(out, b)
		}
	}
	return out
}

// human is a duration for people: 45s, 12m, 3h20m, 2d4h, -1h5m.
func human(d time.Duration) string {
	if d < 0 {
		return "-" + human(-d)
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	d = d.Round(time.Hour)
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// Seconds is human for a figure in seconds.
func Seconds(s float64) string {
	return human(time.Duration(math.Round(s)) * time.Second)
}
