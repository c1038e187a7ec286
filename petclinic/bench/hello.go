package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ServeHello serves the baseline: a bare net/http handler, no middleware, on
// 127.0.0.1:port until ctx ends. It runs in its own process (petbench hello)
// so that it is measured exactly like PetClinic: across a socket, with its
// own runtime, competing for the same cores as the load generator.
func ServeHello(ctx context.Context, port string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("Hello, World!\n"))
	})
	srv := &http.Server{
		Addr:              net.JoinHostPort("127.0.0.1", port),
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
