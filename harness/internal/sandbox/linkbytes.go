package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/Shopify/toxiproxy/v2/toxics"
)

// BytesToxicType counts the bytes that pass a link in one direction, as
// they pass (toxiproxy's own byte metrics count a connection only when it
// closes, and PetClinic keeps its Redis and MariaDB connections open). The
// sandbox puts one on each direction of every replica → dependency link:
// the traffic between zones of the cost report.
const BytesToxicType = "gameday_bytes"

// bytesCounters are the counts by toxic key, for the process.
var bytesCounters sync.Map // string → *byteCounter

type byteCounter struct {
	mu sync.Mutex
	n  float64
}

func (c *byteCounter) add(n int) {
	c.mu.Lock()
	c.n += float64(n)
	c.mu.Unlock()
}

func (c *byteCounter) value() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func counter(key string) *byteCounter {
	c, _ := bytesCounters.LoadOrStore(key, &byteCounter{})
	return c.(*byteCounter)
}

// BytesToxic passes every chunk on and counts its bytes under Key.
type BytesToxic struct {
	Key string `json:"key"`
}

// Pipe implements toxics.Toxic.
func (t *BytesToxic) Pipe(stub *toxics.ToxicStub) {
	c := counter(t.Key)
	for {
		select {
		case <-stub.Interrupt:
			return
		case chunk := <-stub.Input:
			if chunk == nil {
				stub.Close()
				return
			}
			c.add(len(chunk.Data))
			stub.Output <- chunk
		}
	}
}

func init() {
	toxics.Register(BytesToxicType, new(BytesToxic))
}

// linkBytes counts the traffic of the replica → dependency links.
type linkBytes struct {
	links []countedLink
}

type countedLink struct {
	link             Link
	sameZone         bool
	upKey, downKey   string
	client, server   string
	clientZ, serverZ string
}

// podEgress is the bytes a pod sent on the links, to the same zone or not.
type podEgress struct {
	pod      string
	sameZone bool
	bytes    float64
}

// countLinks adds a bytes toxic to each direction of every replica →
// dependency link (not the balancer's: an ALB's traffic to its targets is
// not billed between zones).
func countLinks(tp *toxiproxy.ApiServer, links []Link, zoneOf func(pod string) string) (*linkBytes, error) {
	lb := &linkBytes{}
	for _, l := range links {
		if l.Client == "balancer" {
			continue
		}
		p, err := tp.Collection.Get(l.Name)
		if err != nil {
			return nil, fmt.Errorf("count bytes of %s: %w", l.Name, err)
		}
		cl := countedLink{link: l, client: l.Client, server: l.Server, clientZ: zoneOf(l.Client), serverZ: zoneOf(l.Server),
			upKey: l.Name + "/upstream", downKey: l.Name + "/downstream"}
		cl.sameZone = cl.clientZ == cl.serverZ
		for _, t := range []struct{ stream, key string }{{"upstream", cl.upKey}, {"downstream", cl.downKey}} {
			b, _ := json.Marshal(map[string]any{"name": BytesToxicType + "_" + t.stream, "type": BytesToxicType, "stream": t.stream, "toxicity": 1,
				"attributes": map[string]string{"key": t.key}})
			if _, err := p.Toxics.AddToxicJson(bytes.NewReader(b)); err != nil {
				return nil, fmt.Errorf("count bytes of %s: %w", l.Name, err)
			}
		}
		lb.links = append(lb.links, cl)
	}
	return lb, nil
}

// egress sums the bytes each pod sent: the client sends upstream, the
// server downstream.
func (lb *linkBytes) egress() []podEgress {
	type k struct {
		pod  string
		same bool
	}
	sum := map[k]float64{}
	for _, l := range lb.links {
		sum[k{l.client, l.sameZone}] += counter(l.upKey).value()
		sum[k{l.server, l.sameZone}] += counter(l.downKey).value()
	}
	out := make([]podEgress, 0, len(sum))
	for key, v := range sum {
		out = append(out, podEgress{pod: key.pod, sameZone: key.same, bytes: v})
	}
	slices.SortFunc(out, func(a, b podEgress) int {
		return strings.Compare(fmt.Sprint(a.pod, a.sameZone), fmt.Sprint(b.pod, b.sameZone))
	})
	return out
}
