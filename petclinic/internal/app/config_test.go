package app

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(nil, env(), &bytes.Buffer{})
	if err != nil {
		t.Fatalf("ParseConfig() error = %v", err)
	}
	if c.Port != 8080 || c.DB != "sqlite" || c.SQLitePath != "petclinic.db" || !c.Seed || c.Security {
		t.Errorf("defaults = port %d db %q path %q seed %v security %v; want 8080 sqlite petclinic.db true false",
			c.Port, c.DB, c.SQLitePath, c.Seed, c.Security)
	}
	if c.RedisTimeout != 50*time.Millisecond || c.DrainDelay != 5*time.Second || c.DBQueryLimit != 2*time.Second {
		t.Errorf("timeouts = redis %s drain %s query %s; want 50ms 5s 2s", c.RedisTimeout, c.DrainDelay, c.DBQueryLimit)
	}
}

func TestParseConfigPrecedence(t *testing.T) {
	tests := map[string]struct {
		args []string
		env  func(string) string
		want int
	}{
		"the default port is 8080":        {nil, env(), 8080},
		"PORT overrides the default":      {nil, env("PORT", "9966"), 9966},
		"the --port flag overrides PORT":  {[]string{"--port", "7070"}, env("PORT", "9966"), 7070},
		"a single-dash flag is accepted":  {[]string{"-port=7071"}, env(), 7071},
		"an empty PORT keeps the default": {nil, env("PORT", ""), 8080},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := ParseConfig(tt.args, tt.env, &bytes.Buffer{})
			if err != nil {
				t.Fatalf("ParseConfig() error = %v", err)
			}
			if c.Port != tt.want {
				t.Errorf("Port = %d, want %d", c.Port, tt.want)
			}
		})
	}
}

func TestParseConfigErrorsNameTheSetting(t *testing.T) {
	tests := map[string]struct {
		args []string
		env  func(string) string
		want string
	}{
		"a non-numeric PORT":             {nil, env("PORT", "http"), `environment PORT: "http" is not a whole number`},
		"a port out of range":            {[]string{"--port", "70000"}, env(), "--port [PORT]: 70000 is outside 0..65535"},
		"an unknown database":            {[]string{"--db", "oracle"}, env(), `--db [PETCLINIC_DB]: "oracle" is not sqlite or mysql`},
		"a bad duration":                 {nil, env("PETCLINIC_DRAIN_DELAY", "5"), `environment PETCLINIC_DRAIN_DELAY: "5" is not a duration`},
		"a zero query timeout":           {[]string{"--db-query-timeout", "0s"}, env(), "--db-query-timeout: must be greater than 0"},
		"an unknown flag":                {[]string{"--colour"}, env(), "flag provided but not defined: -colour"},
		"a stray argument":               {[]string{"serve"}, env(), `unexpected argument "serve"`},
		"an unknown log level":           {nil, env("LOG_LEVEL", "loud"), `--log-level [LOG_LEVEL]: "loud" is not debug`},
		"a Redis URL without scheme":     {[]string{"--redis-url", "cache:6379"}, env(), `--redis-url [PETCLINIC_REDIS_URL]: "cache:6379" is not a redis://`},
		"a JDBC URL of another vendor":   {[]string{"--db", "mysql"}, env("MYSQL_URL", "jdbc:postgresql://db/petclinic"), "MYSQL_URL: "},
		"more idle than open conns":      {[]string{"--db-max-open-conns", "2", "--db-max-idle-conns", "3"}, env(), "--db-max-idle-conns: must be within 0..2"},
		"a tiny body limit":              {[]string{"--max-body-bytes", "10"}, env(), "--max-body-bytes: must be at least 1024"},
		"a negative rate limit":          {[]string{"--rate-limit", "-5"}, env(), "--rate-limit and --rate-limit-burst must not be negative, got -5 and 0"},
		"a rate limit that is no number": {nil, env("PETCLINIC_RATE_LIMIT", "fast"), `environment PETCLINIC_RATE_LIMIT: "fast" is not a number`},
		"a boolean that is not boolean":  {nil, env("PETCLINIC_SECURITY_ENABLE", "yes please"), `environment PETCLINIC_SECURITY_ENABLE: "yes please" is not true or false`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig(tt.args, tt.env, &bytes.Buffer{})
			if err == nil {
				t.Fatalf("ParseConfig() error = nil, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseConfig() error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseConfigRedactsRedisPassword(t *testing.T) {
	_, err := ParseConfig([]string{"--redis-url", "http://user:hunter2@cache:6379"}, env(), &bytes.Buffer{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("ParseConfig() error = %v, want an error without the password", err)
	}
}

func TestMySQLDSNFromSpringVariables(t *testing.T) {
	tests := map[string]struct {
		url, user, pass string
		want            string
	}{
		"Spring's defaults": {"", "", "", "petclinic:petclinic@tcp(localhost:3306)/petclinic?parseTime=true"},
		"a host, port and database": {"jdbc:mysql://db.internal:3307/clinic", "app", "s3cret",
			"app:s3cret@tcp(db.internal:3307)/clinic?parseTime=true"},
		"a MariaDB JDBC URL without database": {"jdbc:mariadb://db", "", "", "petclinic:petclinic@tcp(db:3306)/petclinic?parseTime=true"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := mysqlDSNFromSpring(tt.url, tt.user, tt.pass)
			if err != nil {
				t.Fatalf("mysqlDSNFromSpring() error = %v", err)
			}
			if got != tt.want {
				t.Errorf("mysqlDSNFromSpring() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHelpListsEveryFlagWithItsVariable(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseConfig([]string{"--help"}, env(), &out)
	if !errors.Is(err, ErrHelp) {
		t.Fatalf("ParseConfig(--help) error = %v, want ErrHelp", err)
	}
	for _, o := range options() {
		if !strings.Contains(out.String(), "--"+o.flag) || !strings.Contains(out.String(), "["+o.env+"]") {
			t.Errorf("--help lacks --%s [%s]", o.flag, o.env)
		}
	}
	if !strings.Contains(out.String(), "Examples:") {
		t.Errorf("--help has no examples")
	}
}

func TestBuildReleasesWhatItAcquiredWhenItFails(t *testing.T) {
	// A directory where the SQLite file should be: the store cannot open,
	// and build must return the error (not panic on cleanup).
	cfg, err := ParseConfig([]string{"--sqlite-path", t.TempDir()}, env(), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := build(t.Context(), cfg, &bytes.Buffer{}, func() bool { return false })
	if err == nil || svc != nil {
		t.Fatalf("build() = %v, %v; want no service and an error", svc, err)
	}
	if !strings.Contains(err.Error(), "open sqlite database") {
		t.Errorf("build() error = %q, want it to say the database did not open", err)
	}
}
