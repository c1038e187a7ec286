// Package telemetry gives the PetClinic service the metrics, logs and traces
// that Spring Boot Actuator and Micrometer give the Java PetClinic, with the
// same names and labels, so that probes, ServiceMonitors, dashboards and SLO
// queries written for the Java service work unchanged.
//
// Three middlewares wrap the router: HTTPMetrics.Middleware, AccessLog and
// Tracing. Each reads the route template from r.Pattern after the handler
// ran and shares it with the others through the request context, so they may
// be stacked in any order. A middleware that copies the request
// (r.WithContext, http.TimeoutHandler) between them and the *http.ServeMux
// would hide the pattern from them: wrap the mux in CaptureRoute then.
// Recommended order, outermost first:
//
//	Tracing → HTTPMetrics.Middleware → AccessLog → (recovery, limits, ...) → CaptureRoute(mux)
//
// so that the access log line carries the trace id and metrics time the
// whole handler.
//
// # Metric names
//
//   - http_server_requests_seconds (histogram) and
//     http_server_requests_seconds_max (gauge), labels error, exception,
//     method, outcome, status, uri: Spring Boot 3's http.server.requests
//     observation as Micrometer's Prometheus registry writes it, with
//     buckets given by an SLO list (5ms..10s) instead of Micrometer's
//     default percentile histogram.
//   - petclinic_owner_seconds, petclinic_pet_seconds, petclinic_visit_seconds
//     (summary: _count, _sum) with _max gauges, labels class, exception,
//     method: the @Timed("petclinic.owner") etc. timers of
//     spring-petclinic-microservices. See timed.go for how a route maps to
//     the Java class and method names the microservices dashboard queries.
//   - application_started_time_seconds, application_ready_time_seconds,
//     label main_application_class: Spring Boot's startup gauges.
//   - process_uptime_seconds, process_cpu_usage, system_cpu_usage,
//     system_cpu_count, system_load_average_1m: Micrometer's uptime and
//     processor metrics, which JVM dashboards chart.
//   - logback_events_total{level}: records written, when the logger comes
//     from CountEvents.
//   - go_* and process_* from the Go and process collectors in place of
//     jvm_* (process_start_time_seconds, process_cpu_seconds_total, ...).
//
// A sampled request leaves its trace_id and span_id as the exemplar of its
// http_server_requests_seconds bucket (visible in OpenMetrics), as Spring
// Boot does with Micrometer Tracing.
//
// # Where this differs from Spring Boot
//
//   - http_server_requests_seconds is a histogram with SLO buckets; Spring
//     Boot exposes a summary (count, sum) unless histograms are configured.
//     Queries on _count, _sum and _max work unchanged.
//   - A method outside the standard ones is labelled UNKNOWN, so that clients
//     cannot mint series; Spring copies any method.
//   - Span names follow the OTel HTTP conventions ("GET /owners/{ownerId}");
//     Micrometer Tracing names them "http get /owners/{ownerId}".
//   - The petclinic_*_seconds timers time the whole request, derived from its
//     route, not an annotated method; answers Spring gives before calling the
//     method (400, 405, 406, 413, 415) are not timed.
//   - Without a tracer provider (tracing off) an incoming traceparent is
//     still propagated: logs then carry the caller's trace_id and span_id.
package telemetry
