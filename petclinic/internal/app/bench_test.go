package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkRoutes serves the routes of make bench through the whole handler
// chain that build assembles (tracing, metrics, access log, security headers,
// router, store on a file SQLite database), in process, without sockets:
//
//	go test ./internal/app -run '^$' -bench Routes -benchmem -cpuprofile cpu.out
//
// cpu-ns/op, the process's CPU time per request, is the steadier figure on a
// shared machine.
func BenchmarkRoutes(b *testing.B) {
	cfg, err := ParseConfig([]string{"--sqlite-path", filepath.Join(b.TempDir(), "petclinic.db")}, env(), io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := build(context.Background(), cfg, io.Discard, func() bool { return false })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(svc.close)
	for name, path := range map[string]string{
		"api-owner": "/petclinic/api/owners/1",
		"vets-html": "/vets.html",
	} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("User-Agent", "petbench")
			b.ReportAllocs()
			b.SetParallelism(8) // 16 goroutines on 2 cores, as petbench's 16 workers
			cpu := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := discardWriter{h: http.Header{}}
					svc.handler.ServeHTTP(&w, req)
					if w.status != http.StatusOK {
						b.Errorf("GET %s: status %d, want 200", path, w.status)
						return
					}
				}
			})
			// The machine is shared: CPU time per request (all threads, GC
			// included) moves less than wall time does.
			b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the user and system CPU time of this process so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// discardWriter is the cheapest http.ResponseWriter: the benchmark measures
// the handlers, not a recorder's buffer.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}
