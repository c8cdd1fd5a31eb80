package indication

import (
	"strings"

	"github.com/redset/redset/wql"
)

// Matches reports whether the filter selects ind: the indication's class
// is the query's FROM class or a subclass of it (isa), its namespace is
// among SourceNamespaces (any namespace when there are none), and the
// query's WHERE clause holds for it, with the instances it embeds read
// through their property (SourceInstance.RedundancyStatus). isa nil takes
// a class to be only itself. A filter without a query matches nothing, and
// so does a WHERE clause that cannot be evaluated for ind.
func (f Filter) Matches(ind Indication, isa wql.IsaFunc) bool {
	if f.Query == nil {
		return false
	}
	if isa == nil {
		isa = strings.EqualFold
	}
	if !isa(ind.Instance.ClassName, f.Query.ClassName()) || !f.inNamespaces(ind.Namespace) {
		return false
	}
	ok, err := f.Query.MatchEmbedded(ind.Instance, ind.EmbeddedInstance, isa)
	return err == nil && ok
}

func (f Filter) inNamespaces(ns string) bool {
	if len(f.SourceNamespaces) == 0 {
		return true
	}
	for _, s := range f.SourceNamespaces {
		if sameNamespace(s, ns) {
			return true
		}
	}
	return false
}

// sameNamespace compares namespace names ignoring case and leading or
// trailing slashes ("/root/interop" is "root/interop").
func sameNamespace(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, "/"), strings.Trim(b, "/"))
}
