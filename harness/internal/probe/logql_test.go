package probe

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/loki"
	"github.com/gamedayhq/gameday/harness/internal/query"
)

// recordedLoki replays an answer of a real Loki (internal/loki/testdata).
func recordedLoki(t *testing.T, file string, code int) *loki.Client {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "loki", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return lokiAnswering(t, body, code)
}

// lokiAnswering answers every instant query with body and code.
func lokiAnswering(t *testing.T, body []byte, code int) *loki.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/loki/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := loki.New(loki.Config{URL: srv.URL, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLogQLProbe(t *testing.T) {
	const errorsLogged = `sum(count_over_time({app="petclinic"} |= "failed" [5m]))`
	twoErrors := recordedLoki(t, "query_instant.json", 200) // a vector holding 2
	nothing := lokiAnswering(t, []byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`), 200)
	tests := map[string]struct {
		probe      LogQL
		wantStatus Status
		wantValue  float64
		wantErr    error
	}{
		"no Loki configured is skipped, never ok": {LogQL{Query: errorsLogged, Tolerance: lt(5)}, StatusSkipped, math.NaN(), ErrNoLoki},
		"few errors logged holds":                 {LogQL{Query: errorsLogged, Tolerance: lt(5), Client: twoErrors}, StatusOK, 2, nil},
		"too many errors logged breaches":         {LogQL{Query: errorsLogged, Tolerance: lt(1), Client: twoErrors}, StatusBreached, 2, nil},
		"no line logged counts as zero":           {LogQL{Query: errorsLogged, Tolerance: lt(1), Client: nothing}, StatusOK, 0, nil},
		"no line logged breaches when asked":      {LogQL{Query: errorsLogged, Tolerance: lt(1), Client: nothing, NoData: NoDataBreach}, StatusBreached, math.NaN(), query.ErrNoData},
		"an unavailable Loki errs":                {LogQL{Query: errorsLogged, Client: recordedLoki(t, "query_instant.json", 503)}, StatusError, math.NaN(), loki.ErrUnreachable},
		"a log query, not a number, errs":         {LogQL{Query: `{app="petclinic"}`, Client: recordedLoki(t, "query_range.json", 200)}, StatusError, math.NaN(), query.ErrNotNumber},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.probe.ProbeName = "errors-logged"
			s := tc.probe.Check(t.Context(), time.Now())
			if s.Status != tc.wantStatus || s.OK != (tc.wantStatus == StatusOK) {
				t.Fatalf("status = %s ok=%v (%v), want %s", s.Status, s.OK, s.Err, tc.wantStatus)
			}
			if math.IsNaN(tc.wantValue) != math.IsNaN(s.Value) || (!math.IsNaN(tc.wantValue) && s.Value != tc.wantValue) {
				t.Errorf("value = %g, want %g", s.Value, tc.wantValue)
			}
			if tc.wantErr != nil && !errors.Is(s.Err, tc.wantErr) {
				t.Errorf("reason = %v, want %v", s.Err, tc.wantErr)
			}
		})
	}
}
