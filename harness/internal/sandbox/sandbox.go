// Package sandbox is gameday's embedded target: PetClinic replicas spread
// over zones on loopback, as a Deployment over three availability zones
// would be, without root and without containers.
//
// Up starts a detached supervisor daemon (Supervise) that owns every process
// of the sandbox:
//
//   - the replicas (pods petclinic-0..N-1, labels app, pod and
//     topology.kubernetes.io/zone), restarted after a back-off when they die
//     and marked ready only once /actuator/health/readiness answers 200, as a
//     ReplicaSet and a kubelet would;
//   - Redis (pod redis-0) when redis-server exists, and optionally MariaDB
//     (pod mariadb-0); without MariaDB every replica shares ONE SQLite file
//     (WAL, busy timeout), so a write through one replica is read through
//     the others;
//   - embedded toxiproxy proxies on every link (balancer → replica and
//     replica → Redis/MariaDB), where network faults are injected;
//   - the front load balancer (a Service/ALB): round robin over ready
//     replicas, active and passive health checks, one retry of idempotent
//     requests on another replica, and per-replica HTTP fault injection;
//   - a real Prometheus scraping every replica (job petclinic, labels app,
//     pod, zone, namespace) and the supervisor with its balancer (job
//     gameday-sandbox) every second, and loading the rule files found under
//     monitoring/prometheus/rules. It is not restarted when it dies: a run
//     must see its monitoring go away.
//
// All state lives in one directory (state.json, written atomically by the
// supervisor; logs; the SQLite file; the runs of the chaos engine). Down
// stops every process the sandbox started and removes the directory.
package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Label keys and values of the sandbox's pods.
const (
	LabelApp  = "app"
	LabelPod  = "pod"
	LabelZone = "topology.kubernetes.io/zone"

	AppPetclinic = "petclinic"
	AppRedis     = "redis"
	AppMariaDB   = "mariadb"

	// Namespace is the namespace every sandbox pod is considered to live in
	// (spec.DefaultNamespace).
	Namespace = "petclinic"
	// Container is the name of the single container of a pod, for
	// selectors that name containers (it is the pod's app).
)

// Environment variables.
const (
	// EnvHome overrides $HOME/.gameday.
	EnvHome = "GAMEDAY_HOME"
	// EnvPrometheusBin names the Prometheus binary (default: prometheus on
	// PATH).
	EnvPrometheusBin = "GAMEDAY_PROMETHEUS_BIN"
	// EnvPetclinicBin names the PetClinic binary (default: petclinic on PATH).
	EnvPetclinicBin = "GAMEDAY_PETCLINIC_BIN"
	// EnvMarker is set on every process the sandbox starts (value: the
	// sandbox directory) so that Down finds them all, even orphans.
	EnvMarker = "GAMEDAY_SANDBOX"
)

// File names inside the sandbox directory.
const (
	stateFile  = "state.json"
	configFile = "config.json"
	// LogsDir holds one log file per pod (NAME.log) and the supervisor's.
	LogsDir = "logs"
	// LokiTargetsFile (in LogsDir) lists the replicas' log files with the
	// labels a cluster's collector gives their lines (app, namespace, pod,
	// container, zone), in the file_sd format Promtail's file_sd_configs and
	// Alloy's discovery.file read (`__path__` is the file): point a collector
	// at it and the sandbox's access logs reach a Loki as a cluster's do.
	LokiTargetsFile = "loki-targets.json"
	// RunsDir holds the chaos engine's run state files.
	RunsDir = "runs"
)

// ErrNotRunning is returned when no sandbox runs in the directory.
var ErrNotRunning = errors.New("sandbox is not running")

// ErrRunning is returned by Up when a different sandbox already runs in the
// directory.
var ErrRunning = errors.New("another sandbox runs")

// DefaultDir is ${GAMEDAY_HOME:-$HOME/.gameday}/sandbox.
func DefaultDir() (string, error) {
	home := os.Getenv(EnvHome)
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("sandbox dir: %w", err)
		}
		home = filepath.Join(h, ".gameday")
	}
	return filepath.Join(home, "sandbox"), nil
}

// Config is what Up starts. The zero value is a usable default.
type Config struct {
	// Dir holds every file of the sandbox (default DefaultDir()).
	Dir string `json:"dir"`
	// Replicas is the number of PetClinic replicas (default 3).
	Replicas int `json:"replicas"`
	// Zones the replicas are spread over, round robin (default zone-a,
	// zone-b, zone-c).
	Zones []string `json:"zones"`
	// PetclinicBin is the PetClinic binary (default $GAMEDAY_PETCLINIC_BIN,
	// else petclinic on PATH).
	PetclinicBin string `json:"petclinicBin"`
	// PrometheusBin is the Prometheus binary (default
	// $GAMEDAY_PROMETHEUS_BIN, else prometheus on PATH).
	PrometheusBin string `json:"prometheusBin"`
	// Redis: "auto" (default: on when redis-server is on PATH), "on" or
	// "off".
	Redis string `json:"redis"`
	// MariaDB puts the replicas on one MariaDB (mariadbd and
	// mariadb-install-db on PATH) instead of one shared SQLite file.
	MariaDB bool `json:"mariadb"`
	// RulesDir holds Prometheus rule files (*.yml, *.yaml, recursively);
	// default: monitoring/prometheus/rules in the current directory or the
	// nearest parent that has one. A missing folder loads no rules.
	RulesDir string `json:"rulesDir"`
	// ScrapeInterval of Prometheus (default 1s).
	ScrapeInterval Duration `json:"scrapeInterval"`
	// RestartDelay is how long a dead replica waits before it is restarted
	// (default 2s), doubled while it keeps dying young, up to 30s.
	RestartDelay Duration `json:"restartDelay"`
	// ReadyTimeout bounds how long Up waits for every replica and
	// Prometheus to be ready (default 90s).
	ReadyTimeout Duration `json:"readyTimeout"`
	// Supervisor is the command line of the supervisor daemon; default: this
	// executable with "sandbox supervise --dir DIR". Tests re-execute their
	// own binary.
	Supervisor []string `json:"supervisor"`
	// SupervisorEnv is added to the supervisor's environment.
	SupervisorEnv []string `json:"supervisorEnv,omitempty"`
	// NodeInstanceType of the simulated node of each zone, priced by the
	// price catalog in the OpenCost-named metrics (default m7i.large).
	NodeInstanceType string `json:"nodeInstanceType,omitempty"`
	// LogLevel of the replicas (default info, as in a cluster: one JSON
	// access line per request in logs/petclinic-N.log, which a Loki can be
	// fed from; see LokiTargetsFile). warn keeps only warnings and errors.
	LogLevel string `json:"logLevel"`
	// LogMaxBytes rotates a replica's log when it grows past it, as a
	// kubelet does (containerLogMaxSize): the file is copied to NAME.log.1
	// and truncated (default 50 MiB; one rotated file is kept).
	LogMaxBytes int64 `json:"logMaxBytes"`
	// ReplicaRateLimit throttles each replica to this many requests per
	// second (PetClinic's --rate-limit; 0: none), giving the sandbox a
	// known capacity: replicas × ReplicaRateLimit.
	ReplicaRateLimit float64 `json:"replicaRateLimit,omitempty"`

	// Ports, picked free on 127.0.0.1 by Up and recorded here.
	Ports Ports `json:"ports"`
}

// Ports are the loopback ports of the sandbox.
type Ports struct {
	Balancer   int `json:"balancer"`
	Control    int `json:"control"`
	Prometheus int `json:"prometheus"`
	Redis      int `json:"redis,omitempty"`
	MariaDB    int `json:"mariadb,omitempty"`
	// Replicas[i] is the port of petclinic-i.
	Replicas []int `json:"replicas"`
	// Links are the ports of the toxiproxy proxies, by link name.
	Links map[string]int `json:"links"`
}

// Duration is a time.Duration written as "2s" in JSON.
type Duration time.Duration

// D is d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalText writes a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// State is the sandbox now, as the supervisor last wrote it.
type State struct {
	Dir string `json:"dir"`
	// Running is false when the supervisor is gone.
	Running    bool      `json:"running"`
	Updated    time.Time `json:"updated"`
	Supervisor Proc      `json:"supervisor"`
	// URL is the balancer's, where the load goes.
	URL string `json:"url"`
	// ControlURL serves the supervisor's and balancer's /metrics and the
	// fault API of the chaos engine.
	ControlURL string     `json:"controlURL"`
	Prometheus Prometheus `json:"prometheus"`
	Zones      []string   `json:"zones"`
	// Desired is the number of PetClinic replicas wanted.
	Desired int `json:"desired"`
	// Pods are the replicas and their dependencies (Redis, MariaDB).
	Pods []Pod `json:"pods"`
	// Links are the toxiproxy proxies faults are injected into.
	Links []Link `json:"links"`
	// Database is "sqlite:PATH" or "mariadb:ADDR".
	Database string `json:"database"`
	// Error is the supervisor's fatal error, if it stopped on one.
	Error string `json:"error,omitempty"`
}

// Proc is a process the sandbox started. Start is the process's start time
// in clock ticks since boot (/proc/PID/stat field 22), so that a recycled
// pid is never signalled.
type Proc struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// Prometheus is the sandbox's Prometheus.
type Prometheus struct {
	Proc
	URL   string `json:"url"`
	Ready bool   `json:"ready"`
	// Rules are the rule files loaded.
	Rules []string `json:"rules,omitempty"`
}

// Pod is one replica or dependency.
type Pod struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	Proc
	// Addr is host:port of the process itself.
	Addr string `json:"addr"`
	// URL is the replica's own base URL (PetClinic pods).
	URL      string `json:"url,omitempty"`
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
	// Since is when the pod last became ready or not ready.
	Since time.Time `json:"since"`
	// Balancer reports the balancer's view of a replica: "in" or why it is
	// out ("ejected: 3 failed health checks", "not ready").
	Balancer string `json:"balancer,omitempty"`
}

// Link is one proxied connection path: Client reaches Server's process
// through Listen.
type Link struct {
	Name   string `json:"name"`
	Client string `json:"client"` // pod name, or "balancer"
	Server string `json:"server"` // pod name
	Listen string `json:"listen"`
	// Upstream is the server's own address.
	Upstream string `json:"upstream"`
}

// Pod returns the pod named name.
func (s *State) Pod(name string) (Pod, bool) {
	for _, p := range s.Pods {
		if p.Name == name {
			return p, true
		}
	}
	return Pod{}, false
}

// ReadyByZone counts the ready PetClinic replicas per zone (every zone of
// the sandbox is present, with 0 when none is ready).
func (s *State) ReadyByZone() map[string]int {
	m := make(map[string]int, len(s.Zones))
	for _, z := range s.Zones {
		m[z] = 0
	}
	for _, p := range s.Pods {
		if p.Labels[LabelApp] == AppPetclinic && p.Ready {
			m[p.Labels[LabelZone]]++
		}
	}
	return m
}

// Ready reports whether every replica and Prometheus are ready.
func (s *State) Ready() bool {
	if !s.Running || !s.Prometheus.Ready {
		return false
	}
	n := 0
	for _, p := range s.Pods {
		if !p.Ready {
			return false
		}
		if p.Labels[LabelApp] == AppPetclinic {
			n++
		}
	}
	return n == s.Desired
}
