package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { sandboxtest.Main(m) }

// TestSandbox brings one sandbox up and walks it through its life: status,
// traffic, a shared database, a killed replica, a second Up, Down.
func TestSandbox(t *testing.T) {
	rules := t.TempDir()
	os.MkdirAll(filepath.Join(rules, "slo"), 0o755)
	os.WriteFile(filepath.Join(rules, "slo", "petclinic.yml"), []byte(`groups:
  - name: sandbox-test
    rules:
      - record: sandbox:up:count
        expr: count(up{job="petclinic"})
`), 0o644)
	os.WriteFile(filepath.Join(rules, "slo", "petclinic_test.yml"), []byte("rule_files: [petclinic.yml]\ntests: []\n"), 0o644)
	start := time.Now()
	st := sandboxtest.Up(t, sandbox.Config{RulesDir: rules})
	t.Logf("up in %s", time.Since(start).Round(time.Millisecond))

	t.Run("status shows every replica ready and labelled, spread over the zones", func(t *testing.T) {
		st, err := sandbox.Status(context.Background(), st.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Running || !st.Ready() {
			t.Fatalf("got running=%t ready=%t, want both", st.Running, st.Ready())
		}
		zones := map[string]string{}
		for _, p := range st.Pods {
			if p.Labels[sandbox.LabelApp] == sandbox.AppPetclinic {
				zones[p.Name] = p.Labels[sandbox.LabelZone]
			}
			if !p.Alive() {
				t.Errorf("got %s pid %d not running", p.Name, p.PID)
			}
		}
		want := map[string]string{"petclinic-0": "zone-a", "petclinic-1": "zone-b", "petclinic-2": "zone-c"}
		if fmt.Sprint(zones) != fmt.Sprint(want) {
			t.Errorf("got zones %v, want %v", zones, want)
		}
		if got := st.ReadyByZone(); fmt.Sprint(got) != "map[zone-a:1 zone-b:1 zone-c:1]" {
			t.Errorf("got ready by zone %v", got)
		}
		if len(st.Prometheus.Rules) != 1 {
			t.Errorf("got rules %v, want only petclinic.yml (its promtool test excluded)", st.Prometheus.Rules)
		}
	})

	t.Run("the balancer spreads requests over every replica", func(t *testing.T) {
		seen := map[string]int{}
		for range 30 {
			resp, err := http.Get(st.URL + "/petclinic/api/vets")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("got %d", resp.StatusCode)
			}
			seen[resp.Header.Get(sandbox.PodHeader)]++
		}
		if len(seen) != 3 {
			t.Errorf("got answers from %v, want all 3 replicas", seen)
		}
	})

	t.Run("every replica logs one JSON access line per request at info level, listed for a Loki collector", func(t *testing.T) {
		// No owner has this name (PetClinic's API answers 404): the access
		// line has the status the client got.
		path := fmt.Sprintf("/petclinic/api/owners?lastName=Access%d", time.Now().UnixNano())
		pods := map[string]bool{}
		status := 0
		for range 9 {
			resp, err := http.Get(st.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
			pods[resp.Header.Get(sandbox.PodHeader)] = true
		}
		var targets []sandbox.LokiTarget
		b, err := os.ReadFile(filepath.Join(st.Dir, sandbox.LogsDir, sandbox.LokiTargetsFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &targets); err != nil {
			t.Fatalf("%s: %v", sandbox.LokiTargetsFile, err)
		}
		if len(targets) != 3 {
			t.Fatalf("got %d targets in %s, want the 3 replicas: %s", len(targets), sandbox.LokiTargetsFile, b)
		}
		lines := 0
		for _, tg := range targets {
			l := tg.Labels
			if l["app"] != "petclinic" || l["namespace"] != "petclinic" || l["container"] != "petclinic" || l["zone"] == "" || !strings.HasPrefix(l["pod"], "petclinic-") {
				t.Errorf("got labels %v, want app, namespace and container petclinic, the pod and its zone", l)
			}
			// The access lines appear once the replica has answered: poll.
			deadline := time.Now().Add(5 * time.Second)
			for {
				n := 0
				log, _ := os.ReadFile(l["__path__"])
				for _, line := range strings.Split(string(log), "\n") {
					var e struct {
						Level, Msg, Method, Route, Query string
						Status                           int
						DurationMS                       *float64 `json:"duration_ms"`
					}
					if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "request" && strings.Contains(path, e.Query) && e.Query != "" {
						if e.Level != "INFO" || e.Method != "GET" || e.Route != "/petclinic/api/owners" || e.Status != status || e.DurationMS == nil {
							t.Errorf("got access line %s", line)
						}
						n++
					}
				}
				if n > 0 || !pods[l["pod"]] || time.Now().After(deadline) {
					lines += n
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		if lines != 9 {
			t.Errorf("got %d access lines of the 9 requests over the replicas %v", lines, pods)
		}
	})

	t.Run("a write through one replica is read through the others", func(t *testing.T) {
		name := "Gameday" + letters(time.Now().UnixNano())
		body := fmt.Sprintf(`{"firstName":"Ada","lastName":%q,"address":"1 Loop St","city":"Local","telephone":"0123456789"}`, name)
		resp, err := http.Post(st.URL+"/petclinic/api/owners", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("got %d creating an owner", resp.StatusCode)
		}
		for _, p := range st.Pods {
			if p.Labels[sandbox.LabelApp] != sandbox.AppPetclinic {
				continue
			}
			resp, err := http.Get(p.URL + "/petclinic/api/owners?lastName=" + url.QueryEscape(name))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(b), name) {
				t.Errorf("got %s from %s, want the owner %s", b, p.Name, name)
			}
		}
	})

	t.Run("prometheus scrapes every replica with zone and pod labels and loads the rules", func(t *testing.T) {
		q := func(expr string) string {
			resp, err := http.Get(st.Prometheus.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var r struct {
				Data struct {
					Result []struct {
						Metric map[string]string
						Value  [2]any
					}
				}
			}
			json.NewDecoder(resp.Body).Decode(&r)
			var out []string
			for _, s := range r.Data.Result {
				out = append(out, s.Metric["pod"]+"/"+s.Metric["zone"]+"="+fmt.Sprint(s.Value[1]))
			}
			slices.Sort(out)
			return strings.Join(out, ",")
		}
		deadline := time.Now().Add(10 * time.Second)
		want := "petclinic-0/zone-a=1,petclinic-1/zone-b=1,petclinic-2/zone-c=1"
		var got, rule, lb string
		for time.Now().Before(deadline) {
			got = q(`up{job="petclinic"}`)
			rule = q(`sandbox:up:count`)
			lb = q(`sum(gameday_sandbox_replicas_ready)`)
			if got == want && rule == "/=3" && lb == "/=3" {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Errorf("got up %q rule %q ready %q; want %q, /=3, /=3", got, rule, lb, want)
	})

	t.Run("a killed replica is restarted and the balancer keeps serving", func(t *testing.T) {
		before, _ := st.Pod("petclinic-1")
		var ok, failed atomic.Int64
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for ctx.Err() == nil {
					resp, err := http.Get(st.URL + "/petclinic/api/vets")
					if err != nil || resp.StatusCode != 200 {
						failed.Add(1)
					} else {
						ok.Add(1)
					}
					if resp != nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				}
			})
		}
		time.Sleep(500 * time.Millisecond)
		killed := time.Now()
		if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		var after sandbox.Pod
		for time.Since(killed) < 20*time.Second {
			s, err := sandbox.Status(context.Background(), st.Dir)
			if err != nil {
				t.Fatal(err)
			}
			after, _ = s.Pod("petclinic-1")
			if after.Ready && after.PID != before.PID {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		restarted := time.Since(killed)
		wg.Wait()
		if after.PID == before.PID || !after.Ready || after.Restarts != before.Restarts+1 {
			t.Fatalf("got pid %d ready=%t restarts=%d, want a new ready process restarted once", after.PID, after.Ready, after.Restarts)
		}
		t.Logf("ready again %s after SIGKILL; %d ok, %d failed requests during the kill", restarted.Round(time.Millisecond), ok.Load(), failed.Load())
		if failed.Load() > 0 {
			t.Errorf("got %d failed requests of %d, want none (retries on another replica)", failed.Load(), ok.Load()+failed.Load())
		}
	})

	t.Run("up again is idempotent", func(t *testing.T) {
		st2 := sandboxtest.UpAgain(t, st.Dir)
		if st2.Supervisor != st.Supervisor {
			t.Errorf("got supervisor %v, want the running one %v", st2.Supervisor, st.Supervisor)
		}
		_, err := sandbox.Up(context.Background(), sandbox.Config{Dir: st.Dir, Replicas: 5, PetclinicBin: "/bin/true", Supervisor: []string{"false"}})
		if !errors.Is(err, sandbox.ErrRunning) {
			t.Errorf("got %v asking for 5 replicas, want ErrRunning", err)
		}
	})

	t.Run("down leaves no process and no file, twice", func(t *testing.T) {
		ctx := context.Background()
		if err := sandbox.Down(ctx, st.Dir); err != nil {
			t.Fatal(err)
		}
		if err := sandbox.Down(ctx, st.Dir); err != nil {
			t.Fatalf("second down: %v", err)
		}
		if left := sandbox.Marked(st.Dir); len(left) > 0 {
			t.Errorf("got processes left %v", left)
		}
		for _, p := range append(st.Pods, sandbox.Pod{Name: "supervisor", Proc: st.Supervisor}, sandbox.Pod{Name: "prometheus", Proc: st.Prometheus.Proc}) {
			if p.Alive() {
				t.Errorf("got %s (pid %d) still running", p.Name, p.PID)
			}
		}
		if _, err := os.Stat(st.Dir); !os.IsNotExist(err) {
			t.Errorf("got %s still there (%v)", st.Dir, err)
		}
		if _, err := sandbox.Status(ctx, st.Dir); err == nil {
			t.Error("got a status after down, want ErrNotRunning")
		}
	})
}

// letters spells n in letters (PetClinic's names take letters only).
func letters(n int64) string {
	var b []byte
	for range 8 {
		b = append(b, byte('a'+n%26))
		n /= 26
	}
	return string(b)
}
