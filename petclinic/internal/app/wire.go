package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
	"github.com/gamedayhq/gameday/petclinic/internal/actuator"
	"github.com/gamedayhq/gameday/petclinic/internal/api"
	"github.com/gamedayhq/gameday/petclinic/internal/cache"
	"github.com/gamedayhq/gameday/petclinic/internal/sqlstore"
	"github.com/gamedayhq/gameday/petclinic/internal/telemetry"
	"github.com/gamedayhq/gameday/petclinic/internal/web"
)

// service is PetClinic assembled: the handler to serve and what to release.
type service struct {
	handler   http.Handler
	log       *slog.Logger
	cacheKind string
	closers   []func() error
	startup   *telemetry.Startup
}

func (s *service) markReady(time.Duration) { s.startup.MarkReady() }

// close releases everything in reverse order of acquisition.
func (s *service) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			s.log.Warn("release at shutdown", "error", err)
		}
	}
}

// build assembles the service from cfg. stdout receives the JSON logs;
// draining reports that SIGTERM arrived (readiness then answers 503).
func build(ctx context.Context, cfg Config, stdout io.Writer, draining func() bool) (_ *service, err error) {
	begin := time.Now()
	level, err := telemetry.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("--log-level [LOG_LEVEL]: %w", err)}
	}
	log := telemetry.NewLogger(stdout, level)
	svc := &service{log: log}
	defer func() {
		if err != nil {
			svc.close() // what was acquired before the failure
		}
	}()

	b := Build()
	shutdownTracing, err := telemetry.SetupTracing(ctx, "petclinic", b.Version)
	if err != nil {
		return nil, &ConfigError{fmt.Errorf("tracing (OTEL_* variables): %w", err)}
	}
	svc.closers = append(svc.closers, func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return shutdownTracing(sctx)
	})

	reg := telemetry.NewRegistry()
	// logback_events_total{level}, as Spring Boot counts log events.
	if log, err = telemetry.CountEvents(log, reg); err != nil {
		return nil, err
	}
	svc.log = log
	if svc.startup, err = telemetry.NewStartup(reg, begin, "org.springframework.samples.petclinic.PetClinicApplication"); err != nil {
		return nil, err
	}

	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	svc.closers = append(svc.closers, db.Close)
	if err := reg.Register(db.Collector("HikariPool-1")); err != nil {
		return nil, fmt.Errorf("register pool metrics: %w", err)
	}

	var backend cache.Backend = cache.NewInProcess()
	svc.cacheKind = "in-process"
	if cfg.RedisURL != "" {
		// NewRedis does not fail when Redis is down at start: the cache is
		// optional, and requests fall back to the database.
		if backend, err = cache.NewRedis(ctx, cfg.RedisURL, cache.RedisOptions{Timeout: cfg.RedisTimeout, Logger: log}); err != nil {
			return nil, &ConfigError{fmt.Errorf("--redis-url [PETCLINIC_REDIS_URL]: %w", err)}
		}
		svc.cacheKind = "redis"
	}
	store := cache.Wrap(db, backend, cache.Options{
		TTL: cfg.CacheTTL, Timeout: cfg.RedisTimeout, Registerer: reg, Logger: log,
	})
	// Closing the cache decorator closes the backend and the database; the
	// database closer above stays for the error paths before this point.
	svc.closers[len(svc.closers)-1] = store.Close

	metrics, err := telemetry.NewHTTPMetrics(reg)
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	web.Register(mux, web.Options{Store: store, Logger: log})
	api.Register(mux, api.Options{Store: store, Logger: log, Security: cfg.Security})
	actuator.Register(mux, actuator.Options{
		Gatherer: reg,
		Checks:   []actuator.Check{{Name: "db", Check: dbCheck(store, cfg.DB)}},
		Draining: draining,
		Info: actuator.Info{
			Version: b.Version, Artifact: "petclinic", Name: "petclinic",
			Group: "org.springframework.samples", BuildTime: b.BuildTime, Commit: b.Commit,
		},
		Timeout: cfg.DBQueryLimit,
	})

	// Outermost first: tracing, metrics, access log, then what may answer
	// on its own (panic recovery, body limit), then the router.
	var h http.Handler = telemetry.CaptureRoute(mux)
	h = limitBody(cfg.MaxBodyBytes, h)
	h = rateLimit(cfg.RateLimit, cfg.RateLimitBurst, time.Now, h)
	h = securityHeaders(h)
	h = recoverPanics(log, telemetry.SetException, h)
	h = telemetry.AccessLog(log)(h)
	h = metrics.Middleware(h)
	h = telemetry.Tracing(h)
	svc.handler = h
	svc.startup.MarkStarted()
	return svc, nil
}

// openStore opens the database, retrying for --db-connect-timeout so that a
// replica started before its database (a fresh cluster, a failover) waits
// instead of crash-looping at once.
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (*sqlstore.DB, error) {
	sc := sqlstore.Config{
		Driver:          cfg.DB,
		DSN:             cfg.SQLitePath,
		MaxOpenConns:    cfg.DBMaxOpen,
		MaxIdleConns:    cfg.DBMaxIdle,
		ConnMaxLifetime: cfg.DBMaxLife,
		QueryTimeout:    cfg.DBQueryLimit,
		Seed:            cfg.Seed,
	}
	if cfg.DB == sqlstore.DriverMySQL {
		sc.DSN = cfg.MySQLDSN
	} else {
		// The SQLite pool is sized by the store (writers serialise anyway).
		sc.MaxOpenConns, sc.MaxIdleConns = 0, 0
	}
	deadline := time.Now().Add(cfg.DBConnectFor)
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		db, err := sqlstore.Open(ctx, sc)
		if err == nil {
			return db, nil
		}
		// Only a network database can come up later; an SQLite error will not heal.
		if cfg.DB != sqlstore.DriverMySQL || time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("open %s database: %w", cfg.DB, err)
		}
		log.Warn("database not available yet, retrying", "db", cfg.DB, "attempt", attempt, "retry_in", wait.String(), "error", err.Error())
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, fmt.Errorf("open %s database: %w", cfg.DB, ctx.Err())
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// dbCheck is the readiness check of the database, with Spring's details.
func dbCheck(s petclinic.Store, driver string) func(context.Context) (map[string]any, error) {
	database := map[string]string{"sqlite": "SQLite", "mysql": "MySQL"}[driver]
	return func(ctx context.Context) (map[string]any, error) {
		details := map[string]any{"database": database, "validationQuery": "isValid()"}
		return details, s.Ping(ctx)
	}
}
