// Package app wires PetClinic together and runs it: configuration, the
// store, the cache, the HTTP surfaces, telemetry, and the lifecycle from start
// to a graceful drain on SIGTERM.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Set at build time with -ldflags "-X .../internal/app.version=..." (see the
// Dockerfile and scripts/image.sh).
var (
	version   = ""
	commit    = ""
	buildTime = ""
)

// BuildInfo describes the running binary, for /actuator/info and --version.
type BuildInfo struct {
	Version, Commit, BuildTime string
}

// Build returns the version, commit and build time, falling back to the Go
// module's build information when the binary was built without ldflags.
func Build() BuildInfo {
	b := BuildInfo{Version: version, Commit: commit, BuildTime: buildTime}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.BuildTime == "":
				b.BuildTime = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// ConfigError is an invalid configuration: the process exits 2.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Run starts PetClinic and blocks until ctx is cancelled (main cancels it on
// SIGTERM or SIGINT), then drains: readiness turns 503 at once, the server
// keeps serving for the drain delay so balancers stop sending, then stops
// accepting and lets in-flight requests finish within the shutdown timeout.
// ready, when not nil, is called with the listening address once serving.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(addr string)) error {
	cfg, err := ParseConfig(args, getenv, stdout)
	if errors.Is(err, ErrHelp) {
		return nil
	}
	if err != nil {
		return &ConfigError{err}
	}
	if cfg.ShowVersion {
		b := Build()
		fmt.Fprintf(stdout, "petclinic %s (commit %s, built %s)\n", b.Version, orNone(b.Commit), orNone(b.BuildTime))
		return nil
	}
	started := time.Now()

	var draining atomic.Bool
	svc, err := build(ctx, cfg, stdout, draining.Load)
	if err != nil {
		return err
	}
	defer svc.close()
	log := svc.log

	addr := net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another process using port %d? set PORT or --port)", addr, err, cfg.Port)
	}
	srv := &http.Server{
		Handler:           svc.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	url := "http://" + displayAddr(ln.Addr())
	svc.markReady(time.Since(started))
	log.Info("petclinic started", "url", url, "db", cfg.DB, "cache", svc.cacheKind,
		"version", Build().Version, "startup_ms", time.Since(started).Milliseconds())
	fmt.Fprintf(stderr, "PetClinic is serving %s  (UI %s/  API %s/petclinic/api  health %s/actuator/health)\n", url, url, url, url)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	// Drain: readiness goes down first, then keep serving for the delay so
	// that load balancers and Services notice before connections are refused.
	draining.Store(true)
	srv.SetKeepAlivesEnabled(false)
	log.Info("shutdown requested: readiness is down, draining", "drain_delay", cfg.DrainDelay.String())
	select {
	case <-time.After(cfg.DrainDelay):
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: in-flight requests did not finish within %s: %w", cfg.ShutdownTimeout, err)
	}
	log.Info("petclinic stopped", "uptime", time.Since(started).Round(time.Millisecond).String())
	return nil
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}
