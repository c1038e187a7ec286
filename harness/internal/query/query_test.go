package query_test

import (
	"errors"
	"testing"

	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/prom"
	"github.com/gamedayhq/gameday/harness/internal/query"
)

// TestClientsWrapTheSharedErrors: each client's own errors say which
// backend, and are the shared ones to errors.Is.
func TestClientsWrapTheSharedErrors(t *testing.T) {
	tests := map[string]struct {
		err    error
		shared error
		text   string
	}{
		"prometheus unreachable": {prom.ErrUnreachable, query.ErrUnreachable, "prometheus unreachable"},
		"loki unreachable":       {loki.ErrUnreachable, query.ErrUnreachable, "loki unreachable"},
		"loki unauthorized":      {loki.ErrUnauthorized, query.ErrUnauthorized, "loki refused the credentials"},
		"a bad PromQL query":     {prom.ErrBadQuery, query.ErrBadQuery, "bad query (promql)"},
		"a bad LogQL query":      {loki.ErrBadQuery, query.ErrBadQuery, "bad query (logql)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.shared) || tt.err.Error() != tt.text {
				t.Errorf("got %q (is %v: %t), want %q", tt.err, tt.shared, errors.Is(tt.err, tt.shared), tt.text)
			}
		})
	}
	if errors.Is(prom.ErrUnreachable, loki.ErrUnreachable) {
		t.Error("got Prometheus's unreachable to be Loki's")
	}
}
