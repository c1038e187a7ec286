package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Toxic is a toxiproxy toxic on one link, as toxiproxy's API spells it.
// Stream is upstream (client → server) or downstream (server → client).
type Toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// controlHandler serves /metrics and the fault API:
//
//	PUT    /v1/links/{link}/toxics/{name}    body: Toxic
//	DELETE /v1/links/{link}/toxics/{name}
//	GET    /v1/links/{link}/toxics
//	PUT    /v1/pods/{pod}/httpfaults/{name}  body: HTTPFault
//	DELETE /v1/pods/{pod}/httpfaults/{name}
//	GET    /v1/pods/{pod}/httpfaults
//
// Deleting what does not exist succeeds, so recovery is idempotent.
func (s *supervisor) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	if s.costReg != nil {
		mux.Handle("GET "+OpenCostPath, promhttp.HandlerFor(s.costReg, promhttp.HandlerOpts{}))
	}
	mux.HandleFunc("PUT /v1/links/{link}/toxics/{name}", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.tp.Collection.Get(r.PathValue("link"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		var t Toxic
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&t); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		t.Name = r.PathValue("name")
		if p.Toxics.GetToxic(t.Name) != nil { // replay of a recorded fault
			p.Toxics.RemoveToxic(r.Context(), t.Name)
		}
		b, _ := json.Marshal(t)
		if _, err := p.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /v1/links/{link}/toxics/{name}", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.tp.Collection.Get(r.PathValue("link"))
		if err != nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := p.Toxics.RemoveToxic(r.Context(), r.PathValue("name")); err != nil && !errors.Is(err, toxiproxy.ErrToxicNotFound) {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/links/{link}/toxics", func(w http.ResponseWriter, r *http.Request) {
		p, err := s.tp.Collection.Get(r.PathValue("link"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		// toxiproxy toxics marshal with their attributes. The sandbox's own
		// byte counters (linkbytes.go) are not faults: not listed.
		ts := p.Toxics.GetToxicArray()
		faults := ts[:0:0]
		for _, t := range ts {
			if w, ok := t.(*toxics.ToxicWrapper); !ok || w.Type != BytesToxicType {
				faults = append(faults, t)
			}
		}
		json.NewEncoder(w).Encode(faults)
	})
	mux.HandleFunc("PUT /v1/pods/{pod}/httpfaults/{name}", func(w http.ResponseWriter, r *http.Request) {
		var f HTTPFault
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.Name = r.PathValue("name")
		if err := s.lb.setFault(r.PathValue("pod"), f); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/pods/{pod}/httpfaults", func(w http.ResponseWriter, r *http.Request) {
		fs, err := s.lb.faultsOf(r.PathValue("pod"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(fs)
	})
	mux.HandleFunc("DELETE /v1/pods/{pod}/httpfaults/{name}", func(w http.ResponseWriter, r *http.Request) {
		s.lb.clearFault(r.PathValue("pod"), r.PathValue("name"))
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// Control is a client of a running sandbox's fault API.
type Control struct {
	URL    string
	Client *http.Client
}

// NewControl returns a client of the sandbox whose status is st.
func NewControl(st *State) *Control {
	return &Control{URL: st.ControlURL, Client: &http.Client{Timeout: 5 * time.Second}}
}

// AddToxic adds (or replaces) toxic t on link.
func (c *Control) AddToxic(ctx context.Context, link string, t Toxic) error {
	return c.do(ctx, http.MethodPut, "/v1/links/"+link+"/toxics/"+t.Name, t)
}

// RemoveToxic removes toxic name from link; a missing toxic is not an error.
func (c *Control) RemoveToxic(ctx context.Context, link, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/links/"+link+"/toxics/"+name, nil)
}

// SetHTTPFault adds (or replaces) f on the traffic to pod.
func (c *Control) SetHTTPFault(ctx context.Context, pod string, f HTTPFault) error {
	return c.do(ctx, http.MethodPut, "/v1/pods/"+pod+"/httpfaults/"+f.Name, f)
}

// ClearHTTPFault removes fault name from pod; a missing fault is not an
// error.
func (c *Control) ClearHTTPFault(ctx context.Context, pod, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/pods/"+pod+"/httpfaults/"+name, nil)
}

// HTTPFaults lists the HTTP faults on pod's traffic.
func (c *Control) HTTPFaults(ctx context.Context, pod string) ([]HTTPFault, error) {
	var out []HTTPFault
	return out, c.get(ctx, "/v1/pods/"+pod+"/httpfaults", &out)
}

// Toxics lists the toxics on link, by name and type.
func (c *Control) Toxics(ctx context.Context, link string) ([]Toxic, error) {
	var out []Toxic
	return out, c.get(ctx, "/v1/links/"+link+"/toxics", &out)
}

func (c *Control) get(ctx context.Context, path string, out any) error {
	return c.call(ctx, http.MethodGet, path, nil, out)
}

func (c *Control) do(ctx context.Context, method, path string, body any) error {
	return c.call(ctx, method, path, body, nil)
}

// call sends body (JSON, nil for none) and decodes the answer into out
// (nil: discarded).
func (c *Control) call(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, r)
	if err != nil {
		return err
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox control: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("sandbox control: %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}
