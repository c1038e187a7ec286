package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrkConfig is how hard wrk drives a target: the settings of issue 15
// (-t2 -c32), the same for every target.
type wrkConfig struct {
	Bin         string // wrk binary; default "wrk" on PATH
	Threads     int
	Connections int
}

// wrkRun is what one wrk run measured, with the CPU that wrk itself and the
// server under load used meanwhile: the figures that say which one was the
// bottleneck.
type wrkRun struct {
	Throughput float64 // requests per second, as wrk counts them
	Requests   uint64
	Bad        uint64 // non-2xx/3xx responses and socket errors
	P50, P99   time.Duration
	Wall       time.Duration
	GenCPU     time.Duration // user+system time of wrk
	ServerCPU  time.Duration // user+system time of the server process
}

// GenCores is the generator's average CPU use in cores.
func (r wrkRun) GenCores() float64 { return r.GenCPU.Seconds() / r.Wall.Seconds() }

// ServerCores is the server's average CPU use in cores.
func (r wrkRun) ServerCores() float64 { return r.ServerCPU.Seconds() / r.Wall.Seconds() }

// ServerMicrosPerRequest is the server's CPU per request, in µs: the cost
// figure that moves least when other processes share the cores.
func (r wrkRun) ServerMicrosPerRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.ServerCPU.Microseconds()) / float64(r.Requests)
}

// GenMicrosPerRequest is the generator's CPU per request, in µs.
func (r wrkRun) GenMicrosPerRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.GenCPU.Microseconds()) / float64(r.Requests)
}

// ErrNoWrk is returned when the wrk binary cannot be found.
var ErrNoWrk = errors.New("wrk not found: install it with apt-get install wrk (scripts/tools.sh apt does)")

func (c wrkConfig) bin() (string, error) {
	bin := c.Bin
	if bin == "" {
		bin = "wrk"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNoWrk, err)
	}
	return path, nil
}

// run drives url with wrk for d and reads the CPU time of wrk (its rusage)
// and of serverPID (/proc) around it.
func (c wrkConfig) run(ctx context.Context, url string, d time.Duration, serverPID int) (wrkRun, error) {
	bin, err := c.bin()
	if err != nil {
		return wrkRun{}, err
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, bin, "-t", strconv.Itoa(c.Threads), "-c", strconv.Itoa(c.Connections), // #nosec G204 -- wrk, with our own arguments
		"-d", strconv.Itoa(secs)+"s", "--latency", url)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	before, err := processCPU(serverPID)
	if err != nil {
		return wrkRun{}, err
	}
	began := time.Now()
	if err := cmd.Run(); err != nil {
		return wrkRun{}, fmt.Errorf("wrk %s: %w: %s", url, err, strings.TrimSpace(errOut.String()))
	}
	wall := time.Since(began)
	after, err := processCPU(serverPID)
	if err != nil {
		return wrkRun{}, err
	}
	r, err := parseWrk(out.Bytes())
	if err != nil {
		return wrkRun{}, fmt.Errorf("wrk %s: %w; output:\n%s", url, err, out.String())
	}
	r.Wall = wall
	r.ServerCPU = after - before
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.GenCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r, nil
}

// parseWrk reads wrk's report: "N requests in ...", "Requests/sec:", the
// --latency distribution, "Non-2xx or 3xx responses:" and socket errors.
func parseWrk(out []byte) (wrkRun, error) {
	var r wrkRun
	var haveRate, haveCount bool
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("requests/sec %q: %w", f[1], err)
			}
			r.Throughput, haveRate = v, true
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			v, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("request count %q: %w", f[0], err)
			}
			r.Requests, haveCount = v, true
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			d, err := wrkDuration(f[1])
			if err != nil {
				return r, err
			}
			if f[0] == "50%" {
				r.P50 = d
			} else {
				r.P99 = d
			}
		case len(f) >= 4 && f[0] == "Non-2xx" && f[2] == "3xx":
			v, err := strconv.ParseUint(f[len(f)-1], 10, 64)
			if err != nil {
				return r, fmt.Errorf("non-2xx count %q: %w", f[len(f)-1], err)
			}
			r.Bad += v
		case len(f) >= 3 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseUint(strings.TrimSuffix(f[i+1], ","), 10, 64)
				if err != nil {
					return r, fmt.Errorf("socket errors %q: %w", sc.Text(), err)
				}
				r.Bad += v
			}
		}
	}
	if !haveRate || !haveCount {
		return r, errors.New("no request count or Requests/sec line")
	}
	return r, nil
}

// wrkDuration parses wrk's latency units: 512.00us, 1.23ms, 2.00s, 1.50m.
func wrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("latency %q: %w", s, err)
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("latency %q: unknown unit", s)
}

// processCPU is the user+system CPU time of pid so far, from /proc/pid/stat.
func processCPU(pid int) (time.Duration, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(path) // #nosec G304 -- a /proc path of our own child
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no command name", path)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: %d fields", path, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, the unit of /proc times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100
