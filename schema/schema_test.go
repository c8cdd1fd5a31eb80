package schema

import (
	"io/fs"
	"strings"
	"testing"
)

func TestEntryFilesExist(t *testing.T) {
	for ns, entry := range Namespaces {
		t.Run(ns, func(t *testing.T) {
			data, err := fs.ReadFile(FS, entry)
			if err != nil {
				t.Fatalf("entry file %s: %v", entry, err)
			}
			if !strings.Contains(string(data), `#pragma include ("qualifiers.mof")`) {
				t.Errorf("entry file %s does not include the qualifier declarations", entry)
			}
		})
	}
}

func TestEveryFileIsEmbedded(t *testing.T) {
	files, err := fs.Glob(FS, "mof/*.mof")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"core.mof", "event.mof", "interop.mof", "msvm.mof", "qualifiers.mof",
		"redundancy.mof", "root_hypervcluster_v2.mof", "root_interop.mof", "system.mof"}
	if len(files) != len(want) {
		t.Errorf("embedded files: got %v, want %d files %v", files, len(want), want)
	}
}
