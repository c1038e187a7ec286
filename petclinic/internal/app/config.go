package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything PetClinic can be told at start. Each field has a flag
// and an environment variable (12-factor); a flag given on the command line
// wins over the environment, which wins over the default.
type Config struct {
	BindAddress string
	Port        int

	DB           string // "sqlite" or "mysql"
	SQLitePath   string
	MySQLDSN     string // go-sql-driver DSN, built from MYSQL_URL/MYSQL_USER/MYSQL_PASS when not given
	DBMaxOpen    int
	DBMaxIdle    int
	DBMaxLife    time.Duration
	DBQueryLimit time.Duration
	DBConnectFor time.Duration
	Seed         bool

	RedisURL     string
	RedisTimeout time.Duration
	CacheTTL     time.Duration

	Security bool

	LogLevel string

	DrainDelay      time.Duration
	ShutdownTimeout time.Duration
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	MaxBodyBytes    int64

	// RateLimit is the requests per second the application's routes serve
	// (0: no limit); RateLimitBurst how many may pass at once above it.
	RateLimit      float64
	RateLimitBurst int

	ShowVersion bool
}

// ErrHelp is returned by ParseConfig when --help was asked for; the usage has
// been written and the process should exit 0.
var ErrHelp = flag.ErrHelp

// option binds one Config field to a flag name, an environment variable and a
// default, so that --help, the README and the parser cannot disagree.
type option struct {
	flag, env, usage string
	def              string
	set              func(c *Config, v string) error
}

func options() []option {
	str := func(p func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *p(c) = v; return nil }
	}
	num := func(p func(*Config) *int) func(*Config, string) error {
		return func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			*p(c) = n
			return nil
		}
	}
	dur := func(p func(*Config) *time.Duration) func(*Config, string) error {
		return func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%q is not a duration (examples: 500ms, 5s, 1m)", v)
			}
			*p(c) = d
			return nil
		}
	}
	boolean := func(p func(*Config) *bool) func(*Config, string) error {
		return func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			*p(c) = b
			return nil
		}
	}
	return []option{
		{"port", "PORT", "TCP port to listen on (0: any free port)", "8080", num(func(c *Config) *int { return &c.Port })},
		{"bind-address", "PETCLINIC_BIND_ADDRESS", "address to listen on (empty: all interfaces)", "", str(func(c *Config) *string { return &c.BindAddress })},
		{"db", "PETCLINIC_DB", "database: sqlite (embedded) or mysql", "sqlite", str(func(c *Config) *string { return &c.DB })},
		{"sqlite-path", "PETCLINIC_SQLITE_PATH", "SQLite database file, created and seeded on first start", "petclinic.db", str(func(c *Config) *string { return &c.SQLitePath })},
		{"mysql-dsn", "PETCLINIC_MYSQL_DSN", "MySQL DSN (user:pass@tcp(host:3306)/petclinic); default built from MYSQL_URL, MYSQL_USER, MYSQL_PASS", "", str(func(c *Config) *string { return &c.MySQLDSN })},
		{"db-max-open-conns", "PETCLINIC_DB_MAX_OPEN_CONNS", "connection pool size", "10", num(func(c *Config) *int { return &c.DBMaxOpen })},
		{"db-max-idle-conns", "PETCLINIC_DB_MAX_IDLE_CONNS", "idle connections kept in the pool", "10", num(func(c *Config) *int { return &c.DBMaxIdle })},
		{"db-conn-max-lifetime", "PETCLINIC_DB_CONN_MAX_LIFETIME", "recycle connections after this long", "30m", dur(func(c *Config) *time.Duration { return &c.DBMaxLife })},
		{"db-query-timeout", "PETCLINIC_DB_QUERY_TIMEOUT", "deadline of every database query", "2s", dur(func(c *Config) *time.Duration { return &c.DBQueryLimit })},
		{"db-connect-timeout", "PETCLINIC_DB_CONNECT_TIMEOUT", "how long to retry the database at start before giving up", "30s", dur(func(c *Config) *time.Duration { return &c.DBConnectFor })},
		{"db-seed", "PETCLINIC_DB_SEED", "seed the sample data when the database is empty", "true", boolean(func(c *Config) *bool { return &c.Seed })},
		{"redis-url", "PETCLINIC_REDIS_URL", "Redis for the vets cache (redis://host:6379/0); empty: in-process cache", "", str(func(c *Config) *string { return &c.RedisURL })},
		{"redis-timeout", "PETCLINIC_REDIS_TIMEOUT", "deadline of every Redis call; Redis being down slows a request by at most this", "50ms", dur(func(c *Config) *time.Duration { return &c.RedisTimeout })},
		{"cache-ttl", "PETCLINIC_CACHE_TTL", "time to live of the cached vets list", "60s", dur(func(c *Config) *time.Duration { return &c.CacheTTL })},
		{"security-enable", "PETCLINIC_SECURITY_ENABLE", "HTTP Basic auth with roles on the REST API (as petclinic.security.enable)", "false", boolean(func(c *Config) *bool { return &c.Security })},
		{"log-level", "LOG_LEVEL", "log level: debug, info, warn or error", "info", str(func(c *Config) *string { return &c.LogLevel })},
		{"drain-delay", "PETCLINIC_DRAIN_DELAY", "after SIGTERM, keep serving this long with readiness down so balancers stop sending", "5s", dur(func(c *Config) *time.Duration { return &c.DrainDelay })},
		{"shutdown-timeout", "PETCLINIC_SHUTDOWN_TIMEOUT", "after the drain delay, how long in-flight requests may take to finish", "20s", dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
		{"read-timeout", "PETCLINIC_READ_TIMEOUT", "server read timeout (whole request)", "15s", dur(func(c *Config) *time.Duration { return &c.ReadTimeout })},
		{"write-timeout", "PETCLINIC_WRITE_TIMEOUT", "server write timeout (whole response)", "30s", dur(func(c *Config) *time.Duration { return &c.WriteTimeout })},
		{"idle-timeout", "PETCLINIC_IDLE_TIMEOUT", "keep-alive idle timeout", "120s", dur(func(c *Config) *time.Duration { return &c.IdleTimeout })},
		{"rate-limit", "PETCLINIC_RATE_LIMIT", "requests per second the UI and API serve, the excess answered 429 with Retry-After (0: no limit; /actuator, /livez and /readyz never limited)", "0", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return fmt.Errorf("%q is not a number", v)
			}
			c.RateLimit = f
			return nil
		}},
		{"rate-limit-burst", "PETCLINIC_RATE_LIMIT_BURST", "requests let through at once above the rate limit (0: half a second of it)", "0", num(func(c *Config) *int { return &c.RateLimitBurst })},
		{"max-body-bytes", "PETCLINIC_MAX_BODY_BYTES", "largest request body accepted", "1048576", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			c.MaxBodyBytes = n
			return nil
		}},
	}
}

// ParseConfig reads flags from args and the environment from getenv. An
// error names the flag or variable at fault; ErrHelp means usage was printed.
func ParseConfig(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	var c Config
	opts := options()
	for _, o := range opts {
		if err := o.set(&c, o.def); err != nil {
			return c, fmt.Errorf("default of --%s: %w", o.flag, err)
		}
	}
	for _, o := range opts {
		if v := getenv(o.env); v != "" {
			if err := o.set(&c, v); err != nil {
				return c, fmt.Errorf("environment %s: %w", o.env, err)
			}
		}
	}
	if c.RedisURL == "" {
		c.RedisURL = getenv("REDIS_URL")
	}

	fs := flag.NewFlagSet("petclinic", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, o := range opts {
		o := o
		fs.Func(o.flag, o.usage, func(v string) error { return o.set(&c, v) })
	}
	fs.BoolVar(&c.ShowVersion, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeUsage(usage, opts)
			return c, ErrHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (all settings are --flags; see --help)", fs.Arg(0))
	}
	if err := c.complete(getenv); err != nil {
		return c, err
	}
	return c, nil
}

func writeUsage(w io.Writer, opts []option) {
	fmt.Fprint(w, `petclinic: the Spring PetClinic, in Go.

Usage:
  petclinic [flags]

Serves the web UI on /, the REST API on /petclinic/api and Spring Boot
Actuator endpoints on /actuator. With no database configured it uses an
embedded SQLite file, created and seeded on first start.

Examples:
  petclinic                                   # SQLite in ./petclinic.db on :8080
  PORT=9966 petclinic --sqlite-path /data/petclinic.db
  MYSQL_URL=jdbc:mysql://db:3306/petclinic MYSQL_USER=petclinic MYSQL_PASS=secret \
    petclinic --db mysql --redis-url redis://cache:6379/0
  OTEL_EXPORTER_OTLP_ENDPOINT=http://tempo:4318 petclinic   # traces over OTLP

Flags (environment variable in brackets; flags win):
`)
	for _, o := range opts {
		def := o.def
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%-22s %s\n  %-24s [%s] default %s\n", o.flag, o.usage, "", o.env, def)
	}
	fmt.Fprintf(w, "  --%-22s %s\n", "version", "print the version and exit")
	fmt.Fprint(w, `
Also read: MYSQL_URL, MYSQL_USER, MYSQL_PASS (as in Spring PetClinic's mysql
profile), REDIS_URL, and the standard OTEL_* variables (tracing is off unless
an OTLP endpoint or exporter is set).

Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 1 on a runtime error,
2 on invalid configuration.
`)
}

// complete fills derived fields and checks cross-field rules.
func (c *Config) complete(getenv func(string) string) error {
	switch c.DB {
	case "sqlite":
		if c.SQLitePath == "" {
			return errors.New("--sqlite-path [PETCLINIC_SQLITE_PATH]: must not be empty")
		}
	case "mysql":
		if c.MySQLDSN == "" {
			dsn, err := mysqlDSNFromSpring(getenv("MYSQL_URL"), getenv("MYSQL_USER"), getenv("MYSQL_PASS"))
			if err != nil {
				return err
			}
			c.MySQLDSN = dsn
		}
	default:
		return fmt.Errorf("--db [PETCLINIC_DB]: %q is not sqlite or mysql", c.DB)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("--port [PORT]: %d is outside 0..65535", c.Port)
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"--db-query-timeout", c.DBQueryLimit},
		{"--redis-timeout", c.RedisTimeout},
		{"--cache-ttl", c.CacheTTL},
		{"--read-timeout", c.ReadTimeout},
		{"--write-timeout", c.WriteTimeout},
		{"--idle-timeout", c.IdleTimeout},
		{"--shutdown-timeout", c.ShutdownTimeout},
	}
	for _, p := range positive {
		if p.d <= 0 {
			return fmt.Errorf("%s: must be greater than 0, got %s", p.name, p.d)
		}
	}
	if c.DrainDelay < 0 || c.DBConnectFor < 0 {
		return errors.New("--drain-delay and --db-connect-timeout must not be negative")
	}
	if c.DBMaxOpen < 1 {
		return fmt.Errorf("--db-max-open-conns: must be at least 1, got %d", c.DBMaxOpen)
	}
	if c.DBMaxIdle < 0 || c.DBMaxIdle > c.DBMaxOpen {
		return fmt.Errorf("--db-max-idle-conns: must be within 0..%d (the pool size), got %d", c.DBMaxOpen, c.DBMaxIdle)
	}
	if c.RateLimit < 0 || c.RateLimitBurst < 0 {
		return fmt.Errorf("--rate-limit and --rate-limit-burst must not be negative, got %g and %d", c.RateLimit, c.RateLimitBurst)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("--max-body-bytes: must be at least 1024, got %d", c.MaxBodyBytes)
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		return fmt.Errorf("--log-level [LOG_LEVEL]: %q is not debug, info, warn or error", c.LogLevel)
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return fmt.Errorf("--redis-url [PETCLINIC_REDIS_URL]: %q is not a redis:// or rediss:// URL with a host", redact(c.RedisURL))
		}
	}
	return nil
}

// mysqlDSNFromSpring turns Spring PetClinic's MYSQL_URL (a JDBC URL such as
// jdbc:mysql://localhost/petclinic), MYSQL_USER and MYSQL_PASS into a
// go-sql-driver DSN, with Spring's defaults for whatever is unset.
func mysqlDSNFromSpring(jdbcURL, user, pass string) (string, error) {
	if jdbcURL == "" {
		jdbcURL = "jdbc:mysql://localhost/petclinic"
	}
	if user == "" {
		user = "petclinic"
	}
	if pass == "" {
		pass = "petclinic"
	}
	u, err := url.Parse(strings.TrimPrefix(jdbcURL, "jdbc:"))
	if err != nil || (u.Scheme != "mysql" && u.Scheme != "mariadb") || u.Host == "" {
		return "", fmt.Errorf("MYSQL_URL: %q is not a jdbc:mysql://host[:port]/database URL", jdbcURL)
	}
	host := u.Host
	if u.Port() == "" {
		host += ":3306"
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		db = "petclinic"
	}
	return fmt.Sprintf("%s:%s@tcp(%s)/%s?parseTime=true", user, pass, host, db), nil
}

// redact hides the password of a URL for error messages and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func osGetenv(k string) string { return os.Getenv(k) }
