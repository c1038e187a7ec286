// Package load drives PetClinic with the Vegeta library and measures it.
//
// A Profile (constant, ramp or steps) paces the attack; a Targeter turns a
// weighted mix of Journeys (real PetClinic flows, writes included) into
// requests tagged with the run and journey; Attack runs them and feeds a
// Timeline, which aggregates outcomes per second in bounded memory:
// counts, error classes and latency quantiles from fixed-size histograms,
// never a slice of every request.
package load
