package provider

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/mof"
	"github.com/redset/redset/schema"
)

// editedSchema compiles the embedded schema with one text replacement in
// one file.
func editedSchema(t *testing.T, file, old, new string) *mof.Repository {
	t.Helper()
	files := fstest.MapFS{}
	err := fs.WalkDir(schema.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(schema.FS, path)
		if path == file {
			if !strings.Contains(string(data), old) {
				t.Fatalf("%s does not contain %q", file, old)
			}
			data = []byte(strings.Replace(string(data), old, new, 1))
		}
		files[path] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := mof.NewRepository()
	if err := mof.LoadNamespaces(r, files, schema.Namespaces); err != nil {
		t.Fatalf("compiling the edited schema: %v", err)
	}
	return r
}

func TestRegisterErrors(t *testing.T) {
	s := newStack(t)
	tests := []struct {
		name string
		d    *cimom.Dispatcher
		opts Options
		want string
	}{
		{"nil dispatcher", nil, Options{}, "needs a dispatcher"},
		{"twice", s.d, Options{}, "already has a provider"},
		{"unknown namespace", cimom.NewDispatcher(schemaRepo(t), cimom.Options{}), Options{Namespace: "root/nowhere"}, "root/nowhere"},
		{"no interop classes", cimom.NewDispatcher(schemaRepo(t), cimom.Options{}), Options{InteropNamespace: testNS}, "CIM_ObjectManager"},
		{"property type differs", cimom.NewDispatcher(editedSchema(t, "mof/redundancy.mof", "uint32 MinNumberNeeded", "uint16 MinNumberNeeded"), cimom.Options{}),
			Options{}, "MinNumberNeeded is declared uint16"},
		{"property missing", cimom.NewDispatcher(editedSchema(t, "mof/core.mof", "uint16 PrimaryStatus;", "uint16 PrimaryState;"), cimom.Options{}),
			Options{}, "no property PrimaryStatus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Register(tt.d, s.eng, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Register: %v, want an error mentioning %q", err, tt.want)
			}
			if tt.d == nil || tt.d == s.d {
				return
			}
			_, err = tt.d.Handle(context.Background(), &cimom.Request{Op: cimom.GetInstance, Namespace: testNS, ObjectName: setRef("redset:web")})
			if got := statusOf(err); got != cim.StatusNotSupported {
				t.Errorf("after a failed Register a provider serves: status %v (%v)", got, err)
			}
		})
	}
}
