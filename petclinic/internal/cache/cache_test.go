package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
	"github.com/gamedayhq/gameday/petclinic/internal/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
)

// seededStore is the real SQLite store with Spring PetClinic's sample data.
func seededStore(t *testing.T) petclinic.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), sqlstore.Config{Seed: true})
	if err != nil {
		t.Fatalf("open sqlstore: %v", err)
	}
	return s
}

type counts struct{ hits, misses, puts, evictions float64 }

func readCounts(t *testing.T, reg *prometheus.Registry) counts {
	t.Helper()
	get := func(name string, labels ...string) float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				match := true
				for i := 0; i+1 < len(labels); i += 2 {
					found := false
					for _, l := range m.GetLabel() {
						if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
							found = true
						}
					}
					match = match && found
				}
				if match {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
	return counts{
		hits:      get("cache_gets_total", "result", "hit"),
		misses:    get("cache_gets_total", "result", "miss"),
		puts:      get("cache_puts_total"),
		evictions: get("cache_evictions_total"),
	}
}

func TestVetsAreReadThroughTheCache(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := Wrap(seededStore(t), NewInProcess(), Options{Registerer: reg})
	defer s.Close()
	ctx := t.Context()

	first, err := s.Vets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 6 {
		t.Fatalf("got %d vets, want the 6 of the sample data", len(first))
	}
	first[0].LastName = "Mutated" // a caller's change must not reach the cache
	second, err := s.Vets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second[0].LastName == "Mutated" {
		t.Error("the cache returned the slice a caller mutated")
	}
	if got, want := readCounts(t, reg), (counts{hits: 1, misses: 1, puts: 1}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
	if got := gaugeValue(t, reg, "cache_size"); got != 1 {
		t.Errorf("cache_size = %v, want 1", got)
	}
	want, _ := seededStore(t).Vets(ctx)
	for i := range want {
		if second[i].ID != want[i].ID || second[i].LastName != want[i].LastName || len(second[i].Specialties) != len(want[i].Specialties) {
			t.Errorf("cached vet %d = %+v, want %+v", i, second[i], want[i])
		}
	}
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no single %s series", name)
	return 0
}

func TestWritesEvictTheVets(t *testing.T) {
	tests := map[string]func(ctx context.Context, s petclinic.Store) error{
		"creating a vet": func(ctx context.Context, s petclinic.Store) error {
			return s.CreateVet(ctx, &petclinic.Vet{FirstName: "New", LastName: "Vet"})
		},
		"updating a vet": func(ctx context.Context, s petclinic.Store) error {
			return s.UpdateVet(ctx, &petclinic.Vet{ID: 1, FirstName: "James", LastName: "Renamed"})
		},
		"deleting a vet": func(ctx context.Context, s petclinic.Store) error {
			return s.DeleteVet(ctx, 1)
		},
		"creating a specialty": func(ctx context.Context, s petclinic.Store) error {
			return s.CreateSpecialty(ctx, &petclinic.Specialty{Name: "cardiology"})
		},
		"renaming a specialty": func(ctx context.Context, s petclinic.Store) error {
			return s.UpdateSpecialty(ctx, petclinic.Specialty{ID: 1, Name: "radiology2"})
		},
		"deleting a specialty": func(ctx context.Context, s petclinic.Store) error {
			return s.DeleteSpecialty(ctx, 1)
		},
		"a write that fails": func(ctx context.Context, s petclinic.Store) error {
			if err := s.DeleteVet(ctx, 9999); !errors.Is(err, petclinic.ErrNotFound) {
				return errors.New("deleting a missing vet did not fail with ErrNotFound")
			}
			return nil
		},
	}
	for name, write := range tests {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			under := seededStore(t)
			s := Wrap(under, NewInProcess(), Options{Registerer: reg})
			defer s.Close()
			ctx := t.Context()
			if _, err := s.Vets(ctx); err != nil {
				t.Fatal(err)
			}
			if err := write(ctx, s); err != nil {
				t.Fatal(err)
			}
			got, err := s.Vets(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := under.Vets(ctx)
			if encodeString(got) != encodeString(want) {
				t.Errorf("after the write the cache returned\n%s\nwant the store's\n%s", encodeString(got), encodeString(want))
			}
			if c := readCounts(t, reg); c.evictions != 1 || c.misses != 2 {
				t.Errorf("metrics = %+v, want 1 eviction and 2 misses", c)
			}
		})
	}
}

func encodeString(v []*petclinic.Vet) string { return string(encodeVets(v)) }

func TestOtherMethodsReachTheStore(t *testing.T) {
	under := seededStore(t)
	s := Wrap(under, NewInProcess(), Options{})
	defer s.Close()
	ctx := t.Context()
	o := &petclinic.Owner{FirstName: "A", LastName: "B", Address: "C", City: "D", Telephone: "0123456789"}
	if err := s.CreateOwner(ctx, o); err != nil {
		t.Fatal(err)
	}
	got, err := under.Owner(ctx, o.ID)
	if err != nil || got.LastName != "B" {
		t.Errorf("owner written through the cache = %+v, %v", got, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("ping: %v", err)
	}
}

func TestEntriesExpireAfterTheTTL(t *testing.T) {
	reg := prometheus.NewRegistry()
	now := time.Unix(1000, 0)
	b := NewInProcess()
	b.now = func() time.Time { return now }
	s := Wrap(seededStore(t), b, Options{Registerer: reg, TTL: time.Minute})
	defer s.Close()
	ctx := t.Context()
	s.Vets(ctx)
	now = now.Add(59 * time.Second)
	s.Vets(ctx)
	now = now.Add(time.Second)
	s.Vets(ctx)
	if got, want := readCounts(t, reg), (counts{hits: 1, misses: 2, puts: 2}); got != want {
		t.Errorf("metrics = %+v, want %+v", got, want)
	}
}

// pausingStore holds a Vets read after it loaded, so that a write can slip
// in between the load and the put.
type pausingStore struct {
	petclinic.Store
	pause  atomic.Bool
	loaded chan struct{}
	resume chan struct{}
}

func (p *pausingStore) Vets(ctx context.Context) ([]*petclinic.Vet, error) {
	v, err := p.Store.Vets(ctx)
	if p.pause.Load() {
		p.loaded <- struct{}{}
		<-p.resume
	}
	return v, err
}

func TestAReaderThatLoadedBeforeAWriteDoesNotCacheItsList(t *testing.T) {
	under := &pausingStore{Store: seededStore(t), loaded: make(chan struct{}), resume: make(chan struct{})}
	s := Wrap(under, NewInProcess(), Options{})
	defer s.Close()
	ctx := t.Context()

	under.pause.Store(true)
	done := make(chan []*petclinic.Vet)
	go func() {
		v, _ := s.Vets(ctx)
		done <- v
	}()
	<-under.loaded
	under.pause.Store(false)
	if err := s.UpdateVet(ctx, &petclinic.Vet{ID: 2, FirstName: "Helen", LastName: "Renamed"}); err != nil {
		t.Fatal(err)
	}
	close(under.resume)
	if stale := <-done; stale[1].LastName != "Leary" {
		t.Fatalf("the racing reader got %+v, want the list it loaded before the write", stale[1])
	}
	got, _ := s.Vets(ctx)
	if got[1].LastName != "Renamed" {
		t.Errorf("after the race vet 2 = %+v, want the renamed one: the racing reader cached its stale list", got[1])
	}
}

func TestCorruptValuesAreReplaced(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := NewInProcess()
	s := Wrap(seededStore(t), b, Options{Registerer: reg})
	defer s.Close()
	ctx := t.Context()
	b.Set(ctx, DefaultKey, []byte(`{"not":"a list"}`), time.Minute)
	got, err := s.Vets(ctx)
	if err != nil || len(got) != 6 {
		t.Fatalf("Vets = %d vets, %v; want the store's 6", len(got), err)
	}
	if _, err := s.Vets(ctx); err != nil {
		t.Fatal(err)
	}
	if c := readCounts(t, reg); c.hits != 1 || c.misses != 1 || c.puts != 1 {
		t.Errorf("metrics = %+v, want the corrupt value counted as a miss, replaced, then hit", c)
	}
}

func FuzzDecodeVets(f *testing.F) {
	f.Add([]byte(`[{"id":1,"firstName":"James","lastName":"Carter","specialties":[]}]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"specialties":[{"id":1,"name":"x"}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vets, err := decodeVets(b)
		if err != nil {
			return
		}
		again, err := decodeVets(encodeVets(vets))
		if err != nil || encodeString(again) != encodeString(vets) {
			t.Fatalf("round trip of %q changed: %v", b, err)
		}
	})
}

func TestHitsAreCopiesCallersMayChange(t *testing.T) {
	s := Wrap(seededStore(t), NewInProcess(), Options{})
	defer s.Close()
	if _, err := s.Vets(t.Context()); err != nil { // the miss that fills the cache
		t.Fatal(err)
	}
	first, err := s.Vets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	first[2].LastName = "Changed"
	first[2].Specialties[0].Name = "changed"
	first[2].Specialties = append(first[2].Specialties[:1], petclinic.Specialty{ID: 99, Name: "appended"})
	second, err := s.Vets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	v := second[2]
	if v.LastName != "Douglas" || len(v.Specialties) != 2 || v.Specialties[0].Name != "dentistry" || v.Specialties[1].Name != "surgery" {
		t.Errorf("after a caller changed its copy, the next hit got %+v; want Linda Douglas, dentistry and surgery", *v)
	}
	if second[3].Specialties[0].Name != "surgery" {
		t.Errorf("the next vet's specialties changed: %+v", second[3].Specialties)
	}
}
