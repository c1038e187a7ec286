// Package query holds what the clients of gameday's query backends
// (package prom for Prometheus, package loki for Loki) share: the errors of
// a query and of its answer. A probe, the runner and the SLO report tell
// "no data" from "unreachable" with these, whichever backend answered; each
// client wraps them with its own words (prom.ErrUnreachable is
// "prometheus unreachable" and errors.Is ErrUnreachable).
package query

import "errors"

var (
	// ErrUnreachable: the backend did not answer, timed out, or answered
	// with a server error. An infrastructure error: the verdict is
	// inconclusive, not failed.
	ErrUnreachable = errors.New("unreachable")
	// ErrUnauthorized: the backend (or its gateway) refused the credentials
	// or tenant. An infrastructure error too: the configuration is wrong.
	ErrUnauthorized = errors.New("refused the credentials")
	// ErrBadQuery: the backend rejected the query or could not execute it.
	ErrBadQuery = errors.New("bad query")
	// ErrNoData: the query returned an empty vector.
	ErrNoData = errors.New("query returned no data")
	// ErrMultipleSeries: the query returned more than one series where one
	// number was expected.
	ErrMultipleSeries = errors.New("query returned more than one series")
	// ErrNaN: the query returned NaN (e.g. a ratio of zero by zero).
	ErrNaN = errors.New("query returned NaN")
	// ErrNotNumber: the query returned a range vector, log lines or a
	// string.
	ErrNotNumber = errors.New("query did not return a number")
)
