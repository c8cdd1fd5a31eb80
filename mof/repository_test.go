package mof

import (
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/cim"
)

const treeMOF = `
Qualifier Key : boolean = false, Scope(property), Flavor(DisableOverride, ToSubclass);
class Root_A { [Key] string K; };
class Mid_B : Root_A {};
class Leaf_C : Mid_B {};
class Leaf_D : Root_A {};
class Root_E {};
`

func treeRepo(t *testing.T) *Repository {
	t.Helper()
	repo := NewRepository()
	fsys := fstest.MapFS{"tree.mof": {Data: []byte(treeMOF)}}
	if err := Compile(repo, fsys, Options{Namespace: "root/t"}, "tree.mof"); err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return repo
}

func TestRepositorySubclassNames(t *testing.T) {
	repo := treeRepo(t)
	tests := []struct {
		class string
		deep  bool
		want  []string
	}{
		{"", false, []string{"Root_A", "Root_E"}},
		{"", true, []string{"Root_A", "Mid_B", "Leaf_C", "Leaf_D", "Root_E"}},
		{"root_a", false, []string{"Mid_B", "Leaf_D"}},
		{"Root_A", true, []string{"Mid_B", "Leaf_C", "Leaf_D"}},
		{"Leaf_C", true, nil},
		{"Nope", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			got := repo.SubclassNames("ROOT/T", tt.class, tt.deep)
			if !cmp.Equal(got, tt.want) {
				t.Errorf("SubclassNames(%q, deep %v): got %v, want %v", tt.class, tt.deep, got, tt.want)
			}
		})
	}
}

func TestRepositoryLookups(t *testing.T) {
	repo := treeRepo(t)
	leaf, ok := repo.Class(`root\t`, "LEAF_C")
	if !ok {
		t.Fatal("Class(LEAF_C): not found")
	}
	k, _ := leaf.Property("K")
	if !k.Propagated || k.ClassOrigin != "Root_A" || !k.IsKey() {
		t.Errorf("inherited K: got propagated %v origin %q key %v, want true Root_A true", k.Propagated, k.ClassOrigin, k.IsKey())
	}
	local, _ := repo.LocalClass("root/t", "Leaf_C")
	if len(local.Properties) != 0 {
		t.Errorf("LocalClass(Leaf_C): got %d properties, want 0", len(local.Properties))
	}
	if got, want := repo.Namespaces(), []string{"root/t"}; !cmp.Equal(got, want) {
		t.Errorf("Namespaces: got %v, want %v", got, want)
	}
	if _, ok := repo.Class("root/other", "Root_A"); ok {
		t.Error("Class in another namespace: got found, want not found")
	}
}

func TestRepositoryAddErrors(t *testing.T) {
	repo := treeRepo(t)
	tests := []struct {
		name string
		err  error
		want cim.Status
	}{
		{"duplicate class", repo.AddClass("root/t", &cim.Class{Name: "ROOT_A"}), cim.StatusAlreadyExists},
		{"missing superclass", repo.AddClass("root/t", &cim.Class{Name: "X", SuperClass: "Nope"}), cim.StatusInvalidSuperclass},
		{"instance of unknown class", repo.AddInstance("root/t", cim.Instance{ClassName: "Nope"}), cim.StatusInvalidClass},
		{"qualifier type change", repo.AddQualifierDecl("root/t", cim.QualifierDecl{Name: "KEY", Type: cim.String}), cim.StatusAlreadyExists},
		{"qualifier redeclared alike", repo.AddQualifierDecl("root/t", cim.QualifierDecl{Name: "KEY", Type: cim.Boolean, Scope: cim.ScopeAny}), cim.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cim.StatusOf(tt.err); got != tt.want {
				t.Errorf("got %v (%v), want %v", got, tt.err, tt.want)
			}
		})
	}
	if d, _ := repo.QualifierDecl("root/t", "key"); d.Name != "KEY" || d.Scope != cim.ScopeAny {
		t.Errorf("redeclared Key: got %s scope %s, want KEY scope any", d.Name, d.Scope)
	}
}

// TestRepositoryConcurrentReads runs readers alongside a writer; with
// -race it proves the locking.
func TestRepositoryConcurrentReads(t *testing.T) {
	repo := treeRepo(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if _, ok := repo.Class("root/t", "Leaf_C"); !ok {
					t.Error("Leaf_C vanished")
					return
				}
				repo.SubclassNames("root/t", "", true)
				repo.QualifierDecl("root/t", "Key")
			}
		}()
	}
	for i := range 50 {
		name := "Extra_" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		if err := repo.AddClass("root/t", &cim.Class{Name: name, SuperClass: "Root_E"}); err != nil {
			t.Errorf("AddClass(%s): %v", name, err)
		}
	}
	wg.Wait()
	if got := repo.SubclassNames("root/t", "Root_E", false); len(got) != 50 {
		t.Errorf("subclasses of Root_E: got %d, want 50", len(got))
	}
}

// The object manager uses a *Repository as its class store.
var _ interface {
	Namespaces() []string
	Class(ns, name string) (*cim.Class, bool)
	SubclassNames(ns, super string, deep bool) []string
	QualifierDecls(ns string) []cim.QualifierDecl
} = (*Repository)(nil)
