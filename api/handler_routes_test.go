package api

import (
	"testing"

	"github.com/redset/redset/auth"
)

// Every route has an entry in auth's permission table: a new route
// without one is refused to everyone.
func TestEveryRouteHasAPermission(t *testing.T) {
	for _, rt := range (&handler{}).routes() {
		if _, ok := auth.Permission(rt.operation()); !ok {
			t.Errorf("%s: no entry %q in the permission table", rt.pattern(), rt.operation())
		}
	}
	if _, ok := auth.Permission(PatchBeyondLoadBalance); !ok {
		t.Errorf("no entry %q in the permission table", PatchBeyondLoadBalance)
	}
}
