package sqlstore

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/gamedayhq/gameday/petclinic"
)

// TestEveryStatementIsASpan swaps the global tracer provider, which the
// store looks up through otel.Tracer; the recorder is filtered by the
// trace the test starts, so spans of tests running alongside do not count.
func TestEveryStatementIsASpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	db := openDB(t, Config{Seed: true})
	ctx, root := tp.Tracer("test").Start(t.Context(), "request")
	const secret = "Dav'is-secret"
	_, _, err := db.Owners(ctx, petclinic.OwnerFilter{LastNamePrefix: secret})
	must(t, err)
	_, err = db.Owner(ctx, 6)
	must(t, err)
	err = db.CreatePet(ctx, &petclinic.Pet{Name: secret, Type: petclinic.PetType{ID: 1}, OwnerID: 999})
	wantErr(t, err, petclinic.ErrConflict)
	root.End()

	var got []string
	var failed sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID() != root.SpanContext().TraceID() || s.Name() == "request" {
			continue
		}
		got = append(got, s.Name())
		if s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("span %s is not a child of the request", s.Name())
		}
		if s.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %s is %v, want client", s.Name(), s.SpanKind())
		}
		attrs := map[attribute.Key]string{}
		for _, a := range s.Attributes() {
			attrs[a.Key] = a.Value.Emit()
			if strings.Contains(a.Value.Emit(), "secret") {
				t.Errorf("span %s attribute %s carries a value: %q", s.Name(), a.Key, a.Value.Emit())
			}
		}
		if attrs["db.system.name"] != "sqlite" || attrs["db.operation.name"] == "" || attrs["db.collection.name"] == "" || !strings.Contains(attrs["db.query.text"], "?") {
			t.Errorf("span %s has attributes %v", s.Name(), attrs)
		}
		if s.Status().Code == codes.Error {
			failed = s
		}
	}
	want := []string{
		"SELECT owners", "SELECT owners", // count, page (no owners match: no pets query)
		"SELECT owners", // owner 6 with its pets and their visits, in one statement
		"INSERT pets",   // refused by the foreign key
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got spans %v, want %v", got, want)
	}
	if failed == nil || failed.Name() != "INSERT pets" || len(failed.Events()) == 0 {
		t.Errorf("got failed span %v, want INSERT pets with the error recorded", failed)
	}
}
