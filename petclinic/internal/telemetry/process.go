package telemetry

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// processStart approximates the process start for process_uptime_seconds;
// package initialisation runs within milliseconds of it.
var processStart = time.Now()

// systemMetrics exposes the Micrometer ProcessorMetrics and UptimeMetrics
// that JVM dashboards chart and the Go and process collectors lack:
// process_uptime_seconds, process_cpu_usage, system_cpu_usage,
// system_cpu_count and system_load_average_1m. The usages are fractions of
// all CPUs over the time since the previous scrape, as the JVM's
// OperatingSystemMXBean reports "recent" usage.
type systemMetrics struct {
	uptime, procCPU, sysCPU, cpus, load *prometheus.Desc

	mu       sync.Mutex
	lastWall time.Time
	lastProc time.Duration
	lastBusy uint64
	lastAll  uint64
}

func newSystemMetrics() *systemMetrics {
	return &systemMetrics{
		uptime:  prometheus.NewDesc("process_uptime_seconds", "The uptime of the process", nil, nil),
		procCPU: prometheus.NewDesc("process_cpu_usage", "The recent cpu usage for the process", nil, nil),
		sysCPU:  prometheus.NewDesc("system_cpu_usage", "The recent cpu usage of the system the application is running in", nil, nil),
		cpus:    prometheus.NewDesc("system_cpu_count", "The number of processors available to the process", nil, nil),
		load:    prometheus.NewDesc("system_load_average_1m", "The sum of the number of runnable entities queued to available processors and the number of runnable entities running on the available processors averaged over a period of time", nil, nil),
	}
}

func (s *systemMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.uptime, s.procCPU, s.sysCPU, s.cpus, s.load} {
		ch <- d
	}
}

func (s *systemMetrics) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	ncpu := runtime.GOMAXPROCS(0)
	ch <- prometheus.MustNewConstMetric(s.uptime, prometheus.GaugeValue, now.Sub(processStart).Seconds())
	ch <- prometheus.MustNewConstMetric(s.cpus, prometheus.GaugeValue, float64(ncpu))
	if load, ok := loadAverage(); ok {
		ch <- prometheus.MustNewConstMetric(s.load, prometheus.GaugeValue, load)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if proc, ok := processCPU(); ok {
		start, base := s.lastWall, s.lastProc
		if start.IsZero() {
			start, base = processStart, 0
		}
		if wall := now.Sub(start); wall > 0 {
			ch <- prometheus.MustNewConstMetric(s.procCPU, prometheus.GaugeValue,
				clamp01(float64(proc-base)/float64(wall)/float64(ncpu)))
		}
		s.lastWall, s.lastProc = now, proc
	}
	if busy, all, ok := systemCPU(); ok {
		if all > s.lastAll {
			ch <- prometheus.MustNewConstMetric(s.sysCPU, prometheus.GaugeValue,
				clamp01(float64(busy-s.lastBusy)/float64(all-s.lastAll)))
		}
		s.lastBusy, s.lastAll = busy, all
	}
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// processCPU is the user plus system CPU time the process used.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// systemCPU reads the busy and total jiffies of all CPUs from /proc/stat.
func systemCPU() (busy, all uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, false
	}
	var idle uint64
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		all += v
		if i == 3 || i == 4 { // idle, iowait
			idle += v
		}
	}
	return all - idle, all, true
}

func loadAverage() (float64, bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(f, 64)
	return v, err == nil
}
