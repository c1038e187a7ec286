package slo

// The OpenSLO v1 objects gameday reads (https://github.com/OpenSLO/OpenSLO,
// README "openslo/v1"), as they are written in slo/. Fields without
// omitempty are required, as in Kubernetes. What the specification allows
// but gameday cannot turn into rules (calendar windows, time slices,
// threshold metrics, DataSource references, several objectives) is
// rejected at its line with the reason.

// APIVersion is the only version read.
const APIVersion = "openslo/v1"

// The kinds read.
const (
	KindSLO     = "SLO"
	KindSLI     = "SLI"
	KindService = "Service"
)

// Annotations of gameday on an SLO (metadata.annotations).
const (
	// AnnotationAlertName names the SLO's burn-rate alert (default: the
	// SLO's name in CamelCase + "ErrorBudgetBurn").
	AnnotationAlertName = "gameday.dev/alert-name"
	// AnnotationRouteLabel is the label that tells routes apart in the
	// burn report (default "uri", Micrometer's route template).
	AnnotationRouteLabel = "gameday.dev/route-label"
)

// Metadata is OpenSLO's metadata.
type Metadata struct {
	Name        string            `json:"name"`
	DisplayName string            `json:"displayName,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ServiceObject is kind: Service.
type ServiceObject struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       struct {
		Description string `json:"description,omitempty"`
	} `json:"spec"`
}

// SLIObject is kind: SLI.
type SLIObject struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       SLISpec  `json:"spec"`
}

// SLISpec is an indicator: a ratio of good or bad events to all events.
type SLISpec struct {
	Description     string       `json:"description,omitempty"`
	RatioMetric     *RatioMetric `json:"ratioMetric,omitempty"`
	ThresholdMetric *MetricSpec  `json:"thresholdMetric,omitempty"`
}

// RatioMetric is good/total or bad/total. Raw (a precomputed ratio) is not
// supported.
type RatioMetric struct {
	Counter bool        `json:"counter,omitempty"`
	Good    *MetricSpec `json:"good,omitempty"`
	Bad     *MetricSpec `json:"bad,omitempty"`
	Total   *MetricSpec `json:"total,omitempty"`
	RawType string      `json:"rawType,omitempty"`
	Raw     *MetricSpec `json:"raw,omitempty"`
}

// MetricSpec holds one metric source.
type MetricSpec struct {
	MetricSource MetricSource `json:"metricSource"`
}

// MetricSource is a query of one data source type: Prometheus (PromQL) or
// Loki (LogQL).
type MetricSource struct {
	MetricSourceRef string     `json:"metricSourceRef,omitempty"`
	Type            string     `json:"type,omitempty"`
	Spec            SourceSpec `json:"spec"`
}

// SourceSpec is the query.
type SourceSpec struct {
	Query string `json:"query"`
}

// SLOObject is kind: SLO.
type SLOObject struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       SLOSpec  `json:"spec"`
}

// SLOSpec is an objective over an indicator and a time window.
type SLOSpec struct {
	Description     string       `json:"description,omitempty"`
	Service         string       `json:"service"`
	Indicator       *Indicator   `json:"indicator,omitempty"`
	IndicatorRef    string       `json:"indicatorRef,omitempty"`
	TimeWindow      []TimeWindow `json:"timeWindow"`
	BudgetingMethod string       `json:"budgetingMethod"`
	Objectives      []Objective  `json:"objectives"`
}

// Indicator is an SLI written inline in an SLO.
type Indicator struct {
	Metadata Metadata `json:"metadata"`
	Spec     SLISpec  `json:"spec"`
}

// TimeWindow is the SLO's window: rolling only.
type TimeWindow struct {
	Duration  string    `json:"duration"`
	IsRolling bool      `json:"isRolling,omitempty"`
	Calendar  *Calendar `json:"calendar,omitempty"`
}

// Calendar is a calendar-aligned window (not supported).
type Calendar struct {
	StartTime string `json:"startTime,omitempty"`
	TimeZone  string `json:"timeZone,omitempty"`
}

// Objective is the target of an SLO.
type Objective struct {
	DisplayName     string   `json:"displayName,omitempty"`
	Op              string   `json:"op,omitempty"`
	Value           *float64 `json:"value,omitempty"`
	Target          *float64 `json:"target,omitempty"`
	TargetPercent   *float64 `json:"targetPercent,omitempty"`
	TimeSliceTarget *float64 `json:"timeSliceTarget,omitempty"`
	TimeSliceWindow string   `json:"timeSliceWindow,omitempty"`
}
