package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/harness/internal/sandbox"
	"github.com/gamedayhq/gameday/harness/internal/sandbox/sandboxtest"
)

func TestSandboxOnMariaDB(t *testing.T) {
	sandboxtest.Need(t, "mariadbd")
	sandboxtest.Need(t, "mariadb-install-db")
	st := sandboxtest.Up(t, sandbox.Config{Replicas: 2, MariaDB: true, Redis: "off"})
	if !strings.HasPrefix(st.Database, "mariadb:") {
		t.Fatalf("got database %s", st.Database)
	}
	if _, ok := st.Pod("mariadb-0"); !ok {
		t.Fatal("got no mariadb-0 pod")
	}
	name := "Maria" + letters(time.Now().UnixNano())
	body := fmt.Sprintf(`{"firstName":"Ada","lastName":%q,"address":"1 Loop St","city":"Local","telephone":"0123456789"}`, name)
	resp, err := http.Post(st.Pods[1].URL+"/petclinic/api/owners", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("got %d creating an owner through %s", resp.StatusCode, st.Pods[1].Name)
	}
	resp, err = http.Get(st.Pods[2].URL + "/petclinic/api/owners?lastName=" + url.QueryEscape(name))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), name) {
		t.Errorf("got %s through %s, want the owner written through %s", b, st.Pods[2].Name, st.Pods[1].Name)
	}
}
