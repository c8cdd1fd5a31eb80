// Package schema holds redset's CIM schema as MOF files embedded in the
// binary: the classes of root/hypervcluster/v2 that redset serves
// (Msvm_RedundancySet and what it needs) and the root/interop classes a
// client uses to discover the server.
//
// The package only carries the files. Callers compile them, for example
//
//	repo := mof.NewRepository()
//	err := mof.LoadNamespaces(repo, schema.FS, schema.Namespaces)
//
// Names, types, qualifiers and value maps follow the DMTF CIM Schema 2.49
// and Microsoft's published Hyper-V cluster classes; the descriptions are
// our own. Where the classes are trimmed or differ from DMTF, the MOF file
// says so in a comment.
package schema

import "embed"

// The namespaces redset serves.
const (
	// Namespace is where Msvm_RedundancySet lives.
	Namespace = "root/hypervcluster/v2"
	// InteropNamespace holds the classes for discovering the server.
	InteropNamespace = "root/interop"
)

// FS holds the MOF files, under the directory "mof".
//
//go:embed mof/*.mof
var FS embed.FS

// Namespaces maps each namespace to the entry file in FS that compiles all
// of its classes (it includes the others).
var Namespaces = map[string]string{
	Namespace:        "mof/root_hypervcluster_v2.mof",
	InteropNamespace: "mof/root_interop.mof",
}
