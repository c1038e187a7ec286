package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gamedayhq/gameday/petclinic"
)

// backend makes Configs for fresh, empty databases of one kind.
type backend struct {
	name string
	// fresh returns the Config of a new empty database that lives until the
	// test ends.
	fresh func(t *testing.T) Config
	// slow is a statement that runs far longer than any QueryTimeout.
	slow string
	// concurrent says several pools may open the same database at once
	// (not so for a shared-cache in-memory SQLite database).
	concurrent bool
}

// testQueryTimeout replaces the 2s default in tests: CI machines are small
// and shared, and -race slows statements tenfold. Tests of the timeout
// itself set their own.
const testQueryTimeout = 15 * time.Second

func openDB(t *testing.T, cfg Config) *DB {
	t.Helper()
	if cfg.QueryTimeout == 0 {
		cfg.QueryTimeout = testQueryTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open(%s): %v", cfg.Driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func seeded(t *testing.T, b backend) *DB {
	cfg := b.fresh(t)
	cfg.Seed = true
	return openDB(t, cfg)
}

func day(s string) time.Time {
	d, err := time.Parse(petclinic.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return d
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func ownerIDs(os []*petclinic.Owner) []int {
	ids := []int{}
	for _, o := range os {
		ids = append(ids, o.ID)
	}
	return ids
}

func petNames(ps []*petclinic.Pet) []string {
	names := []string{}
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names
}

// runStoreSuite checks every Store method against one backend.
func runStoreSuite(t *testing.T, b backend) {
	t.Run("seeding loads Spring PetClinic's sample data", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		owners, total, err := db.Owners(ctx, petclinic.OwnerFilter{})
		must(t, err)
		if total != 10 || len(owners) != 10 {
			t.Fatalf("got %d owners (total %d), want 10", len(owners), total)
		}
		jean, err := db.Owner(ctx, 6)
		must(t, err)
		want := &petclinic.Owner{ID: 6, FirstName: "Jean", LastName: "Coleman", Address: "105 N. Lake St.", City: "Monona", Telephone: "6085552654",
			Pets: []*petclinic.Pet{
				{ID: 8, Name: "Max", BirthDate: day("1995-09-04"), Type: petclinic.PetType{ID: 1, Name: "cat"}, OwnerID: 6, Visits: []*petclinic.Visit{
					{ID: 2, PetID: 8, Date: day("2011-03-04"), Description: "rabies shot"},
					{ID: 3, PetID: 8, Date: day("2009-06-04"), Description: "neutered"},
				}},
				{ID: 7, Name: "Samantha", BirthDate: day("1995-09-04"), Type: petclinic.PetType{ID: 1, Name: "cat"}, OwnerID: 6, Visits: []*petclinic.Visit{
					{ID: 1, PetID: 7, Date: day("2010-03-04"), Description: "rabies shot"},
					{ID: 4, PetID: 7, Date: day("2008-09-04"), Description: "spayed"},
				}},
			}}
		if !reflect.DeepEqual(jean, want) {
			t.Errorf("got owner 6\n%s\nwant\n%s", dump(jean), dump(want))
		}
		vets, err := db.Vets(ctx)
		must(t, err)
		if len(vets) != 6 {
			t.Fatalf("got %d vets, want 6", len(vets))
		}
		wantDouglas := &petclinic.Vet{ID: 3, FirstName: "Linda", LastName: "Douglas", Specialties: []petclinic.Specialty{{ID: 3, Name: "dentistry"}, {ID: 2, Name: "surgery"}}}
		if !reflect.DeepEqual(vets[2], wantDouglas) {
			t.Errorf("got vet 3 %s, want %s", dump(vets[2]), dump(wantDouglas))
		}
		if len(vets[0].Specialties) != 0 || vets[0].Specialties == nil {
			t.Errorf("got vet 1 specialties %#v, want an empty slice", vets[0].Specialties)
		}
		types, err := db.PetTypes(ctx)
		must(t, err)
		wantTypes := []petclinic.PetType{{ID: 5, Name: "bird"}, {ID: 1, Name: "cat"}, {ID: 2, Name: "dog"}, {ID: 6, Name: "hamster"}, {ID: 3, Name: "lizard"}, {ID: 4, Name: "snake"}}
		if !reflect.DeepEqual(types, wantTypes) {
			t.Errorf("got pet types %v, want %v", types, wantTypes)
		}
		admin, err := db.User(ctx, "admin")
		must(t, err)
		wantAdmin := &petclinic.User{Username: "admin", Password: "{noop}admin", Enabled: true,
			Roles: []petclinic.Role{{Name: "ROLE_OWNER_ADMIN"}, {Name: "ROLE_VET_ADMIN"}, {Name: "ROLE_ADMIN"}}}
		if !reflect.DeepEqual(admin, wantAdmin) {
			t.Errorf("got admin %+v, want %+v", admin, wantAdmin)
		}
	})

	t.Run("opening again migrates and seeds nothing twice", func(t *testing.T) {
		cfg := b.fresh(t)
		cfg.Seed = true
		db := openDB(t, cfg)
		ctx := ctxT(t)
		must(t, db.DeleteVisit(ctx, 1))
		// The first store stays open, as a second replica would find it (and
		// as an in-memory database must, to outlive its connection).
		again := openDB(t, cfg)
		n, err := again.run().count(ctx, stmt{"SELECT", "schema_migrations", "SELECT COUNT(*) FROM schema_migrations"})
		must(t, err)
		ms, err := migrations(again.cfg.Driver)
		must(t, err)
		if n != len(ms) {
			t.Errorf("got %d applied migrations, want %d", n, len(ms))
		}
		visits, err := again.Visits(ctx)
		must(t, err)
		if len(visits) != 3 {
			t.Errorf("got %d visits after reopening, want the 3 left (the seed must not run again)", len(visits))
		}
	})

	t.Run("replicas opening an empty database together migrate and seed it once", func(t *testing.T) {
		if !b.concurrent {
			t.Skipf("%s databases are not opened by several pools at once", b.name)
		}
		cfg := b.fresh(t)
		cfg.Seed, cfg.QueryTimeout = true, testQueryTimeout
		const replicas = 4
		dbs := make([]*DB, replicas)
		errs := make([]error, replicas)
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Go(func() {
				dbs[i], errs[i] = Open(ctxT(t), cfg)
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("replica %d: %v", i, err)
			}
			t.Cleanup(func() { dbs[i].Close() })
		}
		ctx := ctxT(t)
		n, err := dbs[0].run().count(ctx, stmt{"SELECT", "schema_migrations", "SELECT COUNT(*) FROM schema_migrations"})
		must(t, err)
		ms, err := migrations(dbs[0].cfg.Driver)
		must(t, err)
		_, owners, err := dbs[1].Owners(ctx, petclinic.OwnerFilter{})
		must(t, err)
		if n != len(ms) || owners != 10 {
			t.Errorf("got %d migrations and %d owners, want %d and 10", n, owners, len(ms))
		}
	})

	t.Run("seeding leaves a database with data alone", func(t *testing.T) {
		cfg := b.fresh(t)
		db := openDB(t, cfg)
		ctx := ctxT(t)
		must(t, db.CreateOwner(ctx, &petclinic.Owner{FirstName: "Ada", LastName: "Lovelace"}))
		cfg.Seed = true
		again := openDB(t, cfg)
		_, total, err := again.Owners(ctx, petclinic.OwnerFilter{})
		must(t, err)
		vets, err := again.Vets(ctx)
		must(t, err)
		if total != 1 || len(vets) != 0 {
			t.Errorf("got %d owners and %d vets, want 1 and 0", total, len(vets))
		}
	})

	t.Run("owners are found by last-name prefix, case-insensitively", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		for name, tc := range map[string]struct {
			prefix string
			want   []int
		}{
			"an empty prefix matches everyone":        {"", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
			"a full name matches exactly its owners":  {"Davis", []int{2, 4}},
			"lower case matches":                      {"davis", []int{2, 4}},
			"upper case prefix matches":               {"ES", []int{8, 10}},
			"an unknown name matches nobody":          {"Zed", []int{}},
			"a percent sign is not a wildcard":        {"%", []int{}},
			"an underscore is not a wildcard":         {"_avis", []int{}},
			"the escape character is matched as such": {"!", []int{}},
			"a prefix does not match inside the name": {"avis", []int{}},
			"a quote is a value, not SQL":             {"O'", []int{}},
		} {
			t.Run(name, func(t *testing.T) {
				owners, total, err := db.Owners(ctx, petclinic.OwnerFilter{LastNamePrefix: tc.prefix})
				must(t, err)
				if got := ownerIDs(owners); !reflect.DeepEqual(got, tc.want) || total != len(tc.want) {
					t.Errorf("got %v (total %d), want %v", got, total, tc.want)
				}
			})
		}
	})

	t.Run("owner pages count every match", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		for name, tc := range map[string]struct {
			page petclinic.Page
			want []int
		}{
			"the first page":               {petclinic.Page{Offset: 0, Size: 5}, []int{1, 2, 3, 4, 5}},
			"a middle page":                {petclinic.Page{Offset: 3, Size: 4}, []int{4, 5, 6, 7}},
			"the last, short page":         {petclinic.Page{Offset: 8, Size: 5}, []int{9, 10}},
			"a page past the end":          {petclinic.Page{Offset: 20, Size: 5}, []int{}},
			"size zero means no limit":     {petclinic.Page{Offset: 7}, []int{8, 9, 10}},
			"a negative offset is ignored": {petclinic.Page{Offset: -1, Size: 2}, []int{1, 2}},
		} {
			t.Run(name, func(t *testing.T) {
				owners, total, err := db.Owners(ctx, petclinic.OwnerFilter{Page: tc.page})
				must(t, err)
				if got := ownerIDs(owners); !reflect.DeepEqual(got, tc.want) || total != 10 {
					t.Errorf("got %v (total %d), want %v (total 10)", got, total, tc.want)
				}
			})
		}
		owners, _, err := db.Owners(ctx, petclinic.OwnerFilter{LastNamePrefix: "Davis"})
		must(t, err)
		if got := petNames(owners[0].Pets); !reflect.DeepEqual(got, []string{"Basil"}) {
			t.Errorf("got Betty Davis's pets %v, want [Basil]", got)
		}
		if got := petNames(owners[1].Pets); !reflect.DeepEqual(got, []string{"Iggy"}) {
			t.Errorf("got Harold Davis's pets %v, want [Iggy]", got)
		}
	})

	t.Run("owners are created, read, updated and deleted", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		o := &petclinic.Owner{FirstName: "Ada", LastName: "Lovelace", Address: "12 St James's Square", City: "London", Telephone: "0123456789"}
		must(t, db.CreateOwner(ctx, o))
		if o.ID != 11 {
			t.Errorf("got new owner id %d, want 11", o.ID)
		}
		got, err := db.Owner(ctx, o.ID)
		must(t, err)
		o.Pets = []*petclinic.Pet{}
		if !reflect.DeepEqual(got, o) {
			t.Errorf("got %s, want %s", dump(got), dump(o))
		}
		o.City, o.Pets = "Marylebone", nil
		must(t, db.UpdateOwner(ctx, o))
		must(t, db.UpdateOwner(ctx, o)) // unchanged rows still count as found
		got, err = db.Owner(ctx, o.ID)
		must(t, err)
		if got.City != "Marylebone" {
			t.Errorf("got city %q after update, want Marylebone", got.City)
		}
		must(t, db.DeleteOwner(ctx, o.ID))
		_, err = db.Owner(ctx, o.ID)
		wantErr(t, err, petclinic.ErrNotFound)
	})

	t.Run("an owner read alone equals the owner listed, pets and visits in the same order", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		// Ties and gaps the one-statement read must order like the listing:
		// pets of the same name (case apart), no birth date, visits on the
		// same day, without a date or description.
		for _, p := range []*petclinic.Pet{
			{Name: "max", Type: petclinic.PetType{ID: 2}, OwnerID: 6},
			{Name: "Max", BirthDate: day("2001-02-03"), Type: petclinic.PetType{ID: 3}, OwnerID: 6},
			{Name: "Anna", BirthDate: day("2001-02-03"), Type: petclinic.PetType{ID: 3}, OwnerID: 6},
		} {
			must(t, db.CreatePet(ctx, p))
			for _, v := range []*petclinic.Visit{
				{PetID: p.ID, Date: day("2011-03-04"), Description: "first"},
				{PetID: p.ID, Date: day("2011-03-04"), Description: "second"},
				{PetID: p.ID},
			} {
				must(t, db.CreateVisit(ctx, v))
			}
		}
		must(t, db.CreateOwner(ctx, &petclinic.Owner{LastName: "Petless"}))
		owners, _, err := db.Owners(ctx, petclinic.OwnerFilter{})
		must(t, err)
		for _, want := range owners {
			got, err := db.Owner(ctx, want.ID)
			must(t, err)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got owner %d\n%s\nwant (as listed)\n%s", want.ID, dump(got), dump(want))
			}
		}
	})

	t.Run("deleting an owner deletes its pets and their visits", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		must(t, db.DeleteOwner(ctx, 6))
		for _, id := range []int{7, 8} {
			_, err := db.Pet(ctx, id)
			wantErr(t, err, petclinic.ErrNotFound)
		}
		visits, err := db.Visits(ctx)
		must(t, err)
		if len(visits) != 0 {
			t.Errorf("got %d visits left, want 0", len(visits))
		}
		_, total, err := db.Pets(ctx, petclinic.Page{})
		must(t, err)
		if total != 11 {
			t.Errorf("got %d pets left, want 11", total)
		}
	})

	t.Run("pets are paged, created, read, updated and deleted", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		pets, total, err := db.Pets(ctx, petclinic.Page{Offset: 6, Size: 2})
		must(t, err)
		if total != 13 || len(pets) != 2 || pets[0].ID != 7 || pets[1].ID != 8 {
			t.Fatalf("got pets %v (total %d), want [Samantha Max] (total 13)", petNames(pets), total)
		}
		if len(pets[0].Visits) != 2 || pets[0].Type.Name != "cat" {
			t.Errorf("got Samantha %s, want a cat with 2 visits", dump(pets[0]))
		}
		p := &petclinic.Pet{Name: "Leap", BirthDate: day("2020-02-29"), Type: petclinic.PetType{ID: 3}, OwnerID: 1}
		must(t, db.CreatePet(ctx, p))
		got, err := db.Pet(ctx, p.ID)
		must(t, err)
		want := &petclinic.Pet{ID: 14, Name: "Leap", BirthDate: day("2020-02-29"), Type: petclinic.PetType{ID: 3, Name: "lizard"}, OwnerID: 1, Visits: []*petclinic.Visit{}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %s, want %s", dump(got), dump(want))
		}
		if got.BirthDate.Location() != time.UTC {
			t.Errorf("got birth date in %v, want UTC", got.BirthDate.Location())
		}
		owner, err := db.Owner(ctx, 1)
		must(t, err)
		if names := petNames(owner.Pets); !reflect.DeepEqual(names, []string{"Leap", "Leo"}) {
			t.Errorf("got owner 1's pets %v, want them sorted by name [Leap Leo]", names)
		}
		p.Name, p.OwnerID, p.Type.ID, p.BirthDate = "Leaping", 2, 4, day("2021-03-01")
		must(t, db.UpdatePet(ctx, p))
		got, err = db.Pet(ctx, p.ID)
		must(t, err)
		if got.Name != "Leaping" || got.OwnerID != 2 || got.Type.Name != "snake" || !got.BirthDate.Equal(day("2021-03-01")) {
			t.Errorf("got %s after update", dump(got))
		}
		must(t, db.DeletePet(ctx, 8))
		_, err = db.Visit(ctx, 2)
		wantErr(t, err, petclinic.ErrNotFound)
		samantha, err := db.Pet(ctx, 7)
		must(t, err)
		if len(samantha.Visits) != 2 {
			t.Errorf("got %d visits of Samantha, want her 2 untouched", len(samantha.Visits))
		}
	})

	t.Run("a pet needs an existing owner and type", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		wantErr(t, db.CreatePet(ctx, &petclinic.Pet{Name: "Ghost", Type: petclinic.PetType{ID: 1}, OwnerID: 999}), petclinic.ErrConflict)
		wantErr(t, db.CreatePet(ctx, &petclinic.Pet{Name: "Ghost", Type: petclinic.PetType{ID: 999}, OwnerID: 1}), petclinic.ErrConflict)
		wantErr(t, db.UpdatePet(ctx, &petclinic.Pet{ID: 1, Name: "Leo", Type: petclinic.PetType{ID: 999}, OwnerID: 1}), petclinic.ErrConflict)
		wantErr(t, db.CreateVisit(ctx, &petclinic.Visit{PetID: 999, Date: day("2024-01-01")}), petclinic.ErrConflict)
	})

	t.Run("pet types are created, read, updated and deleted with their pets", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		pt := &petclinic.PetType{Name: "ferret"}
		must(t, db.CreatePetType(ctx, pt))
		must(t, db.UpdatePetType(ctx, petclinic.PetType{ID: pt.ID, Name: "weasel"}))
		got, err := db.PetType(ctx, pt.ID)
		must(t, err)
		if got != (petclinic.PetType{ID: 7, Name: "weasel"}) {
			t.Errorf("got %+v, want {7 weasel}", got)
		}
		must(t, db.DeletePetType(ctx, 1)) // cat: Leo, Samantha, Max, Sly
		_, total, err := db.Pets(ctx, petclinic.Page{})
		must(t, err)
		if total != 9 {
			t.Errorf("got %d pets after deleting cats, want 9", total)
		}
		visits, err := db.Visits(ctx)
		must(t, err)
		if len(visits) != 0 {
			t.Errorf("got %d visits after deleting cats, want 0", len(visits))
		}
		_, err = db.PetType(ctx, 1)
		wantErr(t, err, petclinic.ErrNotFound)
	})

	t.Run("specialties are created, read, updated and deleted with their links", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		all, err := db.Specialties(ctx)
		must(t, err)
		if want := []petclinic.Specialty{{ID: 1, Name: "radiology"}, {ID: 2, Name: "surgery"}, {ID: 3, Name: "dentistry"}}; !reflect.DeepEqual(all, want) {
			t.Errorf("got %v, want %v", all, want)
		}
		byName, err := db.SpecialtiesByName(ctx, []string{"surgery", "astrology", "radiology"})
		must(t, err)
		if want := []petclinic.Specialty{{ID: 1, Name: "radiology"}, {ID: 2, Name: "surgery"}}; !reflect.DeepEqual(byName, want) {
			t.Errorf("got %v, want %v", byName, want)
		}
		none, err := db.SpecialtiesByName(ctx, nil)
		must(t, err)
		if len(none) != 0 {
			t.Errorf("got %v for no names, want none", none)
		}
		s := &petclinic.Specialty{Name: "oncology"}
		must(t, db.CreateSpecialty(ctx, s))
		must(t, db.UpdateSpecialty(ctx, petclinic.Specialty{ID: s.ID, Name: "cardiology"}))
		got, err := db.Specialty(ctx, s.ID)
		must(t, err)
		if got != (petclinic.Specialty{ID: 4, Name: "cardiology"}) {
			t.Errorf("got %+v, want {4 cardiology}", got)
		}
		must(t, db.DeleteSpecialty(ctx, 1)) // radiology: Leary and Stevens
		leary, err := db.Vet(ctx, 2)
		must(t, err)
		if len(leary.Specialties) != 0 {
			t.Errorf("got Leary's specialties %v, want none", leary.Specialties)
		}
	})

	t.Run("vets are created, read, updated and deleted with their specialties", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		v := &petclinic.Vet{FirstName: "James", LastName: "Herriot", Specialties: []petclinic.Specialty{{ID: 2}, {ID: 1}, {ID: 2}}}
		must(t, db.CreateVet(ctx, v))
		got, err := db.Vet(ctx, v.ID)
		must(t, err)
		want := &petclinic.Vet{ID: 7, FirstName: "James", LastName: "Herriot", Specialties: []petclinic.Specialty{{ID: 1, Name: "radiology"}, {ID: 2, Name: "surgery"}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %s, want %s", dump(got), dump(want))
		}
		v.LastName, v.Specialties = "Wight", []petclinic.Specialty{{ID: 3}}
		must(t, db.UpdateVet(ctx, v))
		got, err = db.Vet(ctx, v.ID)
		must(t, err)
		want = &petclinic.Vet{ID: 7, FirstName: "James", LastName: "Wight", Specialties: []petclinic.Specialty{{ID: 3, Name: "dentistry"}}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %s, want %s", dump(got), dump(want))
		}
		must(t, db.DeleteVet(ctx, v.ID))
		_, err = db.Vet(ctx, v.ID)
		wantErr(t, err, petclinic.ErrNotFound)
	})

	t.Run("a vet with an unknown specialty is not created at all", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		wantErr(t, db.CreateVet(ctx, &petclinic.Vet{FirstName: "No", LastName: "Body", Specialties: []petclinic.Specialty{{ID: 1}, {ID: 99}}}), petclinic.ErrConflict)
		wantErr(t, db.UpdateVet(ctx, &petclinic.Vet{ID: 2, FirstName: "Helen", LastName: "Changed", Specialties: []petclinic.Specialty{{ID: 99}}}), petclinic.ErrConflict)
		vets, err := db.Vets(ctx)
		must(t, err)
		if len(vets) != 6 || vets[1].LastName != "Leary" || len(vets[1].Specialties) != 1 {
			t.Errorf("got %d vets, vet 2 %s; want 6 and Leary untouched", len(vets), dump(vets[1]))
		}
	})

	t.Run("visits are created, read, updated and deleted", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		v := &petclinic.Visit{PetID: 7, Date: day("2024-02-29"), Description: "check-up"}
		must(t, db.CreateVisit(ctx, v))
		got, err := db.Visit(ctx, v.ID)
		must(t, err)
		if !reflect.DeepEqual(got, v) || v.ID != 5 {
			t.Errorf("got %s, want %s with id 5", dump(got), dump(v))
		}
		samantha, err := db.Pet(ctx, 7)
		must(t, err)
		if samantha.Visits[0].ID != 5 {
			t.Errorf("got Samantha's first visit %d, want the newest, 5", samantha.Visits[0].ID)
		}
		v.PetID, v.Date, v.Description = 8, day("2024-03-01"), "follow-up"
		must(t, db.UpdateVisit(ctx, v))
		got, err = db.Visit(ctx, v.ID)
		must(t, err)
		if !reflect.DeepEqual(got, v) {
			t.Errorf("got %s, want %s", dump(got), dump(v))
		}
		all, err := db.Visits(ctx)
		must(t, err)
		if len(all) != 5 || all[0].ID != 1 || all[4].ID != 5 {
			t.Errorf("got %d visits starting %d, want 5 ordered by id", len(all), all[0].ID)
		}
		must(t, db.DeleteVisit(ctx, v.ID))
		_, err = db.Visit(ctx, v.ID)
		wantErr(t, err, petclinic.ErrNotFound)
	})

	t.Run("users are created with their roles and unique by name", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		// A {bcrypt} hash is 68 characters: more than the Java schema's 60.
		u := &petclinic.User{Username: "vetadmin", Password: "{bcrypt}$2a$10$ymaklWBnpBKlgdMgkjWVF.GMGyvH8aDuTK.glFOaKw712LHtRRymS", Enabled: false, Roles: []petclinic.Role{{Name: "ROLE_VET_ADMIN"}}}
		must(t, db.CreateUser(ctx, u))
		got, err := db.User(ctx, "vetadmin")
		must(t, err)
		if !reflect.DeepEqual(got, u) {
			t.Errorf("got %+v, want %+v", got, u)
		}
		wantErr(t, db.CreateUser(ctx, &petclinic.User{Username: "admin", Password: "x", Enabled: true}), petclinic.ErrConflict)
		wantErr(t, db.CreateUser(ctx, &petclinic.User{Username: "twice", Password: "x", Roles: []petclinic.Role{{Name: "ROLE_ADMIN"}, {Name: "ROLE_ADMIN"}}}), petclinic.ErrConflict)
		_, err = db.User(ctx, "twice")
		wantErr(t, err, petclinic.ErrNotFound) // the failed user was rolled back
	})

	t.Run("missing entities are ErrNotFound", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		const id = 4242
		for name, call := range map[string]func() error{
			"Owner":       func() error { _, err := db.Owner(ctx, id); return err },
			"UpdateOwner": func() error { return db.UpdateOwner(ctx, &petclinic.Owner{ID: id}) },
			"DeleteOwner": func() error { return db.DeleteOwner(ctx, id) },
			"Pet":         func() error { _, err := db.Pet(ctx, id); return err },
			"UpdatePet": func() error {
				return db.UpdatePet(ctx, &petclinic.Pet{ID: id, Type: petclinic.PetType{ID: 1}, OwnerID: 1})
			},
			"DeletePet":       func() error { return db.DeletePet(ctx, id) },
			"PetType":         func() error { _, err := db.PetType(ctx, id); return err },
			"UpdatePetType":   func() error { return db.UpdatePetType(ctx, petclinic.PetType{ID: id}) },
			"DeletePetType":   func() error { return db.DeletePetType(ctx, id) },
			"Specialty":       func() error { _, err := db.Specialty(ctx, id); return err },
			"UpdateSpecialty": func() error { return db.UpdateSpecialty(ctx, petclinic.Specialty{ID: id}) },
			"DeleteSpecialty": func() error { return db.DeleteSpecialty(ctx, id) },
			"Vet":             func() error { _, err := db.Vet(ctx, id); return err },
			"UpdateVet":       func() error { return db.UpdateVet(ctx, &petclinic.Vet{ID: id}) },
			"DeleteVet":       func() error { return db.DeleteVet(ctx, id) },
			"Visit":           func() error { _, err := db.Visit(ctx, id); return err },
			"UpdateVisit":     func() error { return db.UpdateVisit(ctx, &petclinic.Visit{ID: id, PetID: 1}) },
			"DeleteVisit":     func() error { return db.DeleteVisit(ctx, id) },
			"User":            func() error { _, err := db.User(ctx, "nobody"); return err },
		} {
			t.Run(name, func(t *testing.T) { wantErr(t, call(), petclinic.ErrNotFound) })
		}
	})

	t.Run("many concurrent writers all succeed", func(t *testing.T) {
		db, ctx := seeded(t, b), ctxT(t)
		const writers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					o := &petclinic.Owner{FirstName: fmt.Sprint(i), LastName: fmt.Sprintf("Writer%d", w)}
					if err := db.CreateOwner(ctx, o); err != nil {
						errs <- err
						continue
					}
					// A transaction that writes several rows.
					if err := db.CreateVet(ctx, &petclinic.Vet{LastName: o.LastName, Specialties: []petclinic.Specialty{{ID: 1}, {ID: 2}}}); err != nil {
						errs <- err
					}
					if _, _, err := db.Owners(ctx, petclinic.OwnerFilter{LastNamePrefix: "Writer", Page: petclinic.Page{Size: 5}}); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		_, total, err := db.Owners(ctx, petclinic.OwnerFilter{LastNamePrefix: "writer"})
		must(t, err)
		if total != writers*each {
			t.Errorf("got %d owners written, want %d", total, writers*each)
		}
	})

	t.Run("a cancelled context stops a call promptly", func(t *testing.T) {
		db := seeded(t, b)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		start := time.Now()
		_, _, err := db.Owners(ctx, petclinic.OwnerFilter{})
		wantErr(t, err, context.Canceled)
		// about a millisecond; generous for a busy machine (the error is the proof)
		d := time.Since(start)
		t.Logf("noticed the cancelled context in %v", d)
		if d > 2*time.Second {
			t.Errorf("took %v to notice the cancelled context", d)
		}
	})

	t.Run("a statement slower than QueryTimeout is cut off", func(t *testing.T) {
		db := seeded(t, b)
		db.cfg.QueryTimeout = 300 * time.Millisecond
		start := time.Now()
		_, err := db.run().count(t.Context(), stmt{"SELECT", "", b.slow})
		wantErr(t, err, context.DeadlineExceeded)
		// about the timeout; uncut, it runs 10 s (MySQL) or forever (SQLite): a generous bound
		d := time.Since(start)
		t.Logf("cut off after %v (QueryTimeout %v)", d, db.cfg.QueryTimeout)
		if d > 5*time.Second {
			t.Errorf("took %v, want about %v", d, db.cfg.QueryTimeout)
		}
		if n := db.timeouts.Load(); n != 1 {
			t.Errorf("got %d timeouts counted, want 1", n)
		}
		// The pool is still usable afterwards.
		must(t, db.Ping(t.Context()))
	})
}

func dump(v any) string {
	switch x := v.(type) {
	case *petclinic.Owner:
		s := fmt.Sprintf("%+v", *x)
		for _, p := range x.Pets {
			s += "\n  " + dump(p)
		}
		return s
	case *petclinic.Pet:
		s := fmt.Sprintf("pet{%d %q %s type=%+v owner=%d}", x.ID, x.Name, x.BirthDate.Format(time.RFC3339), x.Type, x.OwnerID)
		for _, v := range x.Visits {
			s += "\n    " + dump(v)
		}
		return s
	case *petclinic.Visit:
		return fmt.Sprintf("visit{%d pet=%d %s %q}", x.ID, x.PetID, x.Date.Format(time.RFC3339), x.Description)
	default:
		return fmt.Sprintf("%+v", v)
	}
}
