// Package live runs the dashboards' queries against the sandbox's real
// Prometheus while real load goes through the sandbox (its test only: the
// package has no code). It is apart from package dashboards so that the
// static checks of make check-monitoring do not build PetClinic.
package live
