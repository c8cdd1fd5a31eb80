package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/redset/redset/engine"
)

// BenchmarkListSets measures GET /api/v1/sets with 1,000 sets of two
// members each, through the handler (authentication included, network
// excluded).
func BenchmarkListSets(b *testing.B) {
	env := newEnv(b)
	for _, name := range []string{"a", "b"} {
		if _, err := env.eng.PutMember(bg, engine.Member{Name: name}); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 1000; i += 8 {
				errs <- addBenchSet(fmt.Sprintf("redset:set-%04d", i))(env.eng)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	h := guard(NewHandler(env.eng, Options{}), testUsers(b), nil)
	req := httptest.NewRequest("GET", "/api/v1/sets", nil)
	req.SetBasicAuth("reader", testPassword)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

func addBenchSet(id string) func(*engine.Engine) error {
	return func(eng *engine.Engine) error {
		if _, err := eng.CreateSet(bg, engine.Set{InstanceID: id, TypeOfSet: []uint16{4}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1}); err != nil {
			return err
		}
		if _, err := eng.AddToSet(bg, id, "a", engine.Role{Kind: engine.RoleInService}); err != nil {
			return err
		}
		_, err := eng.AddToSet(bg, id, "b", engine.Role{Kind: engine.RoleSpare})
		return err
	}
}
