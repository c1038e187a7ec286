package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// RedisOptions configures NewRedis. Zero values take the defaults.
type RedisOptions struct {
	// Timeout bounds dialing, reading, writing and waiting for a pooled
	// connection. Default 50ms: Redis is a cache next to the service, and a
	// slow cache is worse than none.
	Timeout time.Duration
	// PoolSize is the number of connections. Default 4: one Vets read at a
	// time per request is all that uses it.
	PoolSize int
	// Logger is told when Redis does not answer at start; nil discards.
	Logger *slog.Logger
}

// Redis is a Backend on a Redis server, shared by every instance of the
// service: one instance's eviction is seen by all.
type Redis struct {
	client *redis.Client
}

var _ Backend = (*Redis)(nil)

// NewRedis connects to the Redis server at rawURL
// (redis://[user:password@]host:port[/db], or rediss:// for TLS). It fails
// only on a bad URL: a server that does not answer yet is logged and the
// backend is returned, since the cache works without it and picks it up
// when it comes.
func NewRedis(ctx context.Context, rawURL string, opts RedisOptions) (Backend, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		// net/url errors quote the whole URL, password included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return nil, fmt.Errorf("redis url: %w", uerr.Err)
		}
		return nil, fmt.Errorf("redis url: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = 4
	}
	o.DialTimeout = opts.Timeout
	o.ReadTimeout = opts.Timeout
	o.WriteTimeout = opts.Timeout
	o.PoolTimeout = opts.Timeout
	o.ContextTimeoutEnabled = true
	o.PoolSize = opts.PoolSize
	o.MinIdleConns = 0
	o.MaxIdleConns = opts.PoolSize
	o.ConnMaxIdleTime = 5 * time.Minute
	// Retries would multiply the time a failing Redis costs a request.
	o.MaxRetries = -1
	o.DialerRetries = 1
	// Fewer round trips when a connection is made: no CLIENT SETINFO, no
	// maintenance notifications handshake.
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}

	quietRedisLogs.Do(func() { redis.SetLogger(debugLogger{opts.Logger}) })
	r := &Redis{client: redis.NewClient(o)}
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if err := r.client.Ping(pctx).Err(); err != nil && opts.Logger != nil {
		opts.Logger.Warn("redis does not answer yet; the vets cache uses it once it does",
			"addr", o.Addr, "error", err.Error())
	}
	return r, nil
}

// quietRedisLogs sends go-redis's own log lines, one per failed dial while
// Redis is down, to debug level: the cache logs failures once per interval.
// go-redis's logger is global, so the first NewRedis sets it.
var quietRedisLogs sync.Once

type debugLogger struct{ l *slog.Logger }

func (d debugLogger) Printf(ctx context.Context, format string, v ...any) {
	if d.l != nil {
		d.l.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
	}
}

func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redis get: %w", err)
	}
	return b, true, nil
}

func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := r.client.Set(ctx, key, value, ttl).Err(); err != nil {
		return fmt.Errorf("redis set: %w", err)
	}
	return nil
}

func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("redis del: %w", err)
	}
	return nil
}

func (r *Redis) Close() error { return r.client.Close() }
