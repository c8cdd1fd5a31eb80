package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redset/redset/engine"
)

// TestApplyManyObjects: a file of many members and sets, applied at start
// with writes made side by side, leaves every object and role as declared.
func TestApplyManyObjects(t *testing.T) {
	const sets = 150
	var b strings.Builder
	b.WriteString("members:\n")
	for i := range sets {
		fmt.Fprintf(&b, "  - {name: m%03d-a, probe: {type: heartbeat, ttl: 1h}}\n  - {name: m%03d-b, probe: {type: heartbeat, ttl: 1h}}\n", i, i)
	}
	b.WriteString("sets:\n")
	for i := range sets {
		fmt.Fprintf(&b, "  - {id: s%03d, typeOfSet: [4], minNumberNeeded: 1, members: [{name: m%03d-a}, {name: m%03d-b, role: spare}]}\n", i, i, i)
	}
	s := newServer(t, b.String(), nil)
	for i := range sets {
		v, err := s.Engine().GetSet(fmt.Sprintf("redset:s%03d", i))
		if err != nil {
			t.Fatalf("set %d: %v", i, err)
		}
		got := map[string]engine.RoleKind{}
		for _, m := range v.Members {
			got[m.Name] = m.Role.Kind
		}
		a, sp := fmt.Sprintf("m%03d-a", i), fmt.Sprintf("m%03d-b", i)
		if len(got) != 2 || got[a] != engine.RoleInService || got[sp] != engine.RoleSpare {
			t.Fatalf("set %d members %v, want %s in service and %s spare", i, got, a, sp)
		}
	}
	if n := len(s.applied.Created); n != 3*sets {
		t.Errorf("%d objects reported created, want %d", n, 3*sets)
	}
}

// TestReloadMovesAListenAddressBetweenSets: one reload that takes a
// frontend's address from one set and gives it to another, declared
// after it, applies: the sets with a frontend are written in the file's
// order.
func TestReloadMovesAListenAddressBetweenSets(t *testing.T) {
	listen := freeAddr(t)
	base := "members:\n  - {name: a, probe: {type: heartbeat, ttl: 1h}}\nsets:\n" +
		"  - {id: first, typeOfSet: [2], members: [{name: a}], frontend: {listen: \"" + listen + "\"}}\n" +
		"  - {id: second, typeOfSet: [2], members: [{name: a}]}\n"
	path := filepath.Join(t.TempDir(), "redset.yaml")
	writeFile(t, path, base)
	s := fileServer(t, path)
	moved := strings.Replace(base, ", frontend: {listen: \""+listen+"\"}}", "}", 1)
	moved = strings.Replace(moved, "  - {id: second, typeOfSet: [2], members: [{name: a}]}",
		"  - {id: second, typeOfSet: [2], members: [{name: a}], frontend: {listen: \""+listen+"\"}}", 1)
	writeFile(t, path, moved)
	if _, err := s.Reload(context.Background()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	first, _ := s.Engine().GetSet("redset:first")
	second, _ := s.Engine().GetSet("redset:second")
	if first.Frontend != nil || second.Frontend == nil || second.Frontend.Listen != listen {
		t.Errorf("frontends after the reload: first %+v, second %+v; want the address moved to second", first.Frontend, second.Frontend)
	}
}
