package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ServeHello serves the baseline target on 127.0.0.1:port until ctx ends: a
// bare net/http handler answering 200 to every path of the read-only mix. It
// runs in its own process (harnessbench hello), as the sandbox does, so the
// load generator is measured alone in both attacks.
func ServeHello(ctx context.Context, port string) error {
	srv := &http.Server{
		Addr: net.JoinHostPort("127.0.0.1", port),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("Hello, World!\n"))
		}),
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
