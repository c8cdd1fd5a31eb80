package mof

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/cim"
)

// dmtfZip is the DMTF CIM Schema 2.49.0 as published, kept in the shared
// test data beside the repository.
var dmtfZip = filepath.Join("..", "..", "shared", "testdata", "cim_schema_2.49.0Final-MOFs.zip")

const dmtfEntry = "cim_schema_2.49.0.mof"

// openDMTF opens the schema archive, skipping the test when it is absent.
func openDMTF(tb testing.TB) *zip.Reader {
	tb.Helper()
	rc, err := zip.OpenReader(dmtfZip)
	if os.IsNotExist(err) {
		tb.Skipf("DMTF schema not found at %s", dmtfZip)
	}
	if err != nil {
		tb.Fatalf("open %s: %v", dmtfZip, err)
	}
	tb.Cleanup(func() { rc.Close() })
	return &rc.Reader
}

func compileDMTF(tb testing.TB) *Repository {
	tb.Helper()
	repo := NewRepository()
	if err := Compile(repo, openDMTF(tb), Options{}, dmtfEntry); err != nil {
		tb.Fatalf("Compile(DMTF 2.49): %v", err)
	}
	return repo
}

func TestCompileDMTF(t *testing.T) {
	repo := compileDMTF(t)
	classes := repo.ClassNames(DefaultNamespace)
	if got, want := len(classes), 1631; got != want {
		t.Errorf("classes compiled: got %d, want %d", got, want)
	}
	if got := len(repo.QualifierDecls(DefaultNamespace)); got < 60 {
		t.Errorf("qualifier declarations: got %d, want at least 60", got)
	}
	spare, ok := repo.Class(DefaultNamespace, "CIM_IsSpare")
	if !ok {
		t.Fatal("CIM_IsSpare missing")
	}
	dep, _ := spare.Property("Dependent")
	if dep.RefClass != "CIM_RedundancySet" || !spare.IsAssociation() {
		t.Errorf("CIM_IsSpare.Dependent: got ref %q association %v, want CIM_RedundancySet true", dep.RefClass, spare.IsAssociation())
	}
}

// valueCmp compares cim values by their Equal method.
var valueCmp = cmp.Comparer(func(a, b cim.Value) bool { return a.Equal(b) })

// TestRoundTripDMTF prints every DMTF class back as MOF, compiles the text
// again and compares both the declared and the derived classes.
func TestRoundTripDMTF(t *testing.T) {
	repo := compileDMTF(t)
	checkRoundTrip(t, repo, DefaultNamespace)
}

func checkRoundTrip(t *testing.T, repo *Repository, ns string) {
	t.Helper()
	var b strings.Builder
	for _, d := range repo.QualifierDecls(ns) {
		b.WriteString(FormatQualifierDecl(d))
	}
	for _, name := range repo.ClassNames(ns) {
		c, _ := repo.LocalClass(ns, name)
		b.WriteString(Format(c) + "\n")
	}
	again := NewRepository()
	fsys := fstest.MapFS{"printed.mof": {Data: []byte(b.String())}}
	if err := Compile(again, fsys, Options{Namespace: ns}, "printed.mof"); err != nil {
		t.Fatalf("recompiling printed MOF: %v", err)
	}
	if got, want := again.ClassNames(ns), repo.ClassNames(ns); !cmp.Equal(got, want) {
		t.Fatalf("class names differ (-want +got):\n%s", cmp.Diff(want, got))
	}
	for _, name := range repo.ClassNames(ns) {
		want, _ := repo.LocalClass(ns, name)
		got, _ := again.LocalClass(ns, name)
		if d := cmp.Diff(want, got, valueCmp); d != "" {
			t.Errorf("declared class %s differs after round trip (-want +got):\n%s", name, d)
		}
		want, _ = repo.Class(ns, name)
		got, _ = again.Class(ns, name)
		if d := cmp.Diff(want, got, valueCmp); d != "" {
			t.Errorf("derived class %s differs after round trip (-want +got):\n%s", name, d)
		}
	}
}

// BenchmarkCompileDMTF compiles the whole DMTF CIM Schema 2.49.0 (1631
// classes) into a fresh repository per iteration. The zip's central
// directory is read once outside the timer; each iteration reads and
// inflates the 1634 MOF files from the zip, so decompression is included.
func BenchmarkCompileDMTF(b *testing.B) {
	zr := openDMTF(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := Compile(NewRepository(), zr, Options{}, dmtfEntry); err != nil {
			b.Fatal(err)
		}
	}
}
