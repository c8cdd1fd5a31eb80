package redset

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/redset/redset"

// pkgInfo is what the architecture rules need to know of one package
// directory: its imports (split by test and non-test files) and whether it
// has a package doc comment.
type pkgInfo struct {
	dir         string // slash-separated, relative to the module root ("" is the root)
	imports     map[string]bool
	testImports map[string]bool
	hasDoc      bool
}

// loadPackages parses the imports and doc comments of every Go package in
// the module, skipping testdata and hidden directories.
func loadPackages(t *testing.T) map[string]*pkgInfo {
	t.Helper()
	pkgs := map[string]*pkgInfo{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return skipDir(path, d.Name())
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		return addFile(fset, pkgs, path)
	})
	if err != nil {
		t.Fatalf("walking the module: %v", err)
	}
	return pkgs
}

func skipDir(path, name string) error {
	if path != "." && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
		return filepath.SkipDir
	}
	return nil
}

func addFile(fset *token.FileSet, pkgs map[string]*pkgInfo, path string) error {
	f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return err
	}
	dir := filepath.ToSlash(filepath.Dir(path))
	if dir == "." {
		dir = ""
	}
	p := pkgs[dir]
	if p == nil {
		p = &pkgInfo{dir: dir, imports: map[string]bool{}, testImports: map[string]bool{}}
		pkgs[dir] = p
	}
	isTest := strings.HasSuffix(path, "_test.go")
	if !isTest && f.Doc != nil && isPackageDoc(f.Doc.Text()) {
		p.hasDoc = true
	}
	for _, imp := range f.Imports {
		ip, _ := strconv.Unquote(imp.Path.Value)
		if isTest {
			p.testImports[ip] = true
		} else {
			p.imports[ip] = true
		}
	}
	return nil
}

// isPackageDoc reports whether a file comment documents its package: Go's
// "Package x ..." form, or "Command x ..." for a main package.
func isPackageDoc(text string) bool {
	text = strings.TrimSpace(text)
	return strings.HasPrefix(text, "Package ") || strings.HasPrefix(text, "Command ")
}

// internal returns the module-relative directory of an import path of this
// module, and whether it is one.
func internal(ip string) (string, bool) {
	if ip == modulePath {
		return "", true
	}
	rel, ok := strings.CutPrefix(ip, modulePath+"/")
	return rel, ok
}

// isStd reports whether an import path belongs to the standard library.
func isStd(ip string) bool {
	first, _, _ := strings.Cut(ip, "/")
	return !strings.Contains(first, ".")
}

// allowedInternal lists, per package, the packages of this module its
// non-test files may import. A package missing here may import anything
// the "only ... imports" rules below allow. Prefix entries ending in "/"
// match every package below.
var allowedInternal = map[string][]string{
	"cim":             {},
	"event":           {},
	"store":           {},
	"schema":          {},
	"mof":             {"cim"},
	"wql":             {"cim"},
	"cimom":           {"cim", "wql"},
	"engine":          {"store", "event", "cim", "internal/pause", "internal/clock"},
	"health":          {"event", "internal/proc"},
	"hook":            {"event", "internal/proc", "internal/clock"},
	"internal/proc":   {},
	"provider":        {"cim", "cimom", "engine", "event", "indication"},
	"protocol/":       {"cim", "cimom", "auth", "internal/xmltext", "internal/xmlscan", "internal/body"},
	"api":             {"engine", "event", "auth"},
	"web":             {"api"},
	"auth":            {"store"},
	"store/bolt":      {"store"},
	"store/etcd":      {"store", "internal/pause"},
	"store/storetest": {"store"},
	"cluster":         {"engine", "store", "event", "internal/pause"},
	"traffic":         {"engine", "event"},
	"indication":      {"cim", "cimom", "wql", "event", "store", "internal/clock"},
	"cmd/redset-load": {},

	"internal/xmltext": {},
	"internal/xmlscan": {},
	"internal/pause":   {},
	"internal/body":    {},
	"internal/clock":   {},
}

// stdOnly packages may import nothing outside the standard library.
var stdOnly = []string{"cim", "event", "store", "schema", "internal/proc", "cmd/redset-load", "internal/xmltext", "internal/xmlscan", "internal/pause", "internal/body", "internal/clock", "traffic"}

// onlyImportedBy: an internal package (prefix when ending in "/") that only
// the listed packages may import from non-test files.
var onlyImportedBy = map[string][]string{
	"server":          {"cmd/redset", "redsettest"},
	"store/bolt":      {"server"},
	"store/etcd":      {"server"},
	"provider":        {"server"},
	"cluster":         {"server"},
	"health":          {"server"},
	"hook":            {"server"},
	"traffic":         {"server"},
	"protocol/wsman":  {"server"},
	"protocol/cimxml": {"server", "cmd/redset"}, // cmd/redset: the listener of `redset listen`
	"mof":             {"server", "cmd/redset"},
	"schema":          {"server", "cmd/redset"},
}

// onlyThirdParty: a third-party module path prefix that only the listed
// packages may import, test files included.
var onlyThirdParty = map[string][]string{
	"go.etcd.io/bbolt":          {"store/bolt"},
	"go.etcd.io/etcd/client":    {"store/etcd"},
	etcdServer:                  {testOnly},
	"go.etcd.io/raft":           {testOnly},
	"go.uber.org/zap":           {"store/etcd/"},
	"google.golang.org/grpc":    {"store/etcd"},
	"github.com/spf13/cobra":    {"cmd/redset"},
	"github.com/spf13/pflag":    {"cmd/redset"},
	"github.com/prometheus/":    {"server", "api", "cimom", "protocol/"},
	"go.yaml.in/yaml/v3":        {"server", "cmd/redset"},
	"golang.org/x/crypto/":      {"auth"},
	"github.com/google/go-cmp/": {testOnly},
	"pgregory.net/rapid":        {testOnly},
}

const (
	etcdServer = "go.etcd.io/etcd/server/" // the embedded etcd: test files and test harnesses only
	testOnly   = "(tests)"                 // owner marker: test files and *test harness packages
)

func matches(pattern, dir string) bool {
	if p, ok := strings.CutSuffix(pattern, "/"); ok {
		return dir == p || strings.HasPrefix(dir, pattern)
	}
	return dir == pattern
}

func matchesAny(patterns []string, dir string) bool {
	for _, p := range patterns {
		if matches(p, dir) {
			return true
		}
	}
	return false
}

// ruleFor finds the rule entry of a table that applies to dir.
func ruleFor[V any](table map[string]V, dir string) (V, bool) {
	for k, v := range table {
		if matches(k, dir) {
			return v, true
		}
	}
	var zero V
	return zero, false
}

func sortedDirs(pkgs map[string]*pkgInfo) []string {
	dirs := make([]string, 0, len(pkgs))
	for d := range pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestImportRules enforces the import rules of docs/architecture.md on the
// real import graph.
func TestImportRules(t *testing.T) {
	pkgs := loadPackages(t)
	if len(pkgs) < 2 {
		t.Fatalf("found %d packages; the walk is broken", len(pkgs))
	}
	for _, dir := range sortedDirs(pkgs) {
		p := pkgs[dir]
		for _, ip := range sortedKeys(p.imports) {
			if err := checkImport(dir, ip); err != "" {
				t.Errorf("%s imports %s: %s", displayDir(dir), ip, err)
			}
		}
		for _, ip := range sortedKeys(p.testImports) {
			if err := checkThirdParty(dir, ip, true); err != "" {
				t.Errorf("%s (tests) imports %s: %s", displayDir(dir), ip, err)
			}
		}
	}
}

func displayDir(dir string) string {
	if dir == "" {
		return "the root package"
	}
	return dir
}

func checkImport(dir, ip string) string {
	if isStd(ip) {
		return ""
	}
	rel, ok := internal(ip)
	if !ok {
		if matchesAny(stdOnly, dir) {
			return "this package may use the standard library only"
		}
		return checkThirdParty(dir, ip, false)
	}
	if allowed, ok := ruleFor(allowedInternal, dir); ok && !matchesAny(allowed, rel) {
		return "not among the packages it may import " + strings.Join(allowed, ", ")
	}
	if importers, ok := ruleFor(onlyImportedBy, rel); ok && !matchesAny(importers, dir) {
		return "only " + strings.Join(importers, ", ") + " may import it"
	}
	return ""
}

func checkThirdParty(dir, ip string, isTest bool) string {
	if isStd(ip) {
		return ""
	}
	if _, ok := internal(ip); ok {
		return ""
	}
	for prefix, owners := range onlyThirdParty {
		if !strings.HasPrefix(ip, prefix) {
			continue
		}
		switch {
		case prefix == etcdServer && !isTest && !strings.HasSuffix(dir, "test"):
			return "the embedded etcd server is for tests only"
		case contains(owners, testOnly):
			if !isTest && !strings.HasSuffix(dir, "test") {
				return "a test-only library used outside tests and test harnesses"
			}
		case !matchesAny(owners, dir):
			return "only " + strings.Join(owners, ", ") + " may import it"
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestPackageDocs checks that every package has a package doc comment.
func TestPackageDocs(t *testing.T) {
	pkgs := loadPackages(t)
	for _, dir := range sortedDirs(pkgs) {
		p := pkgs[dir]
		if len(p.imports) == 0 && len(p.testImports) > 0 && !p.hasDoc && onlyTests(dir) {
			continue
		}
		if !p.hasDoc {
			t.Errorf("package %s has no package doc comment (// Package x ... or // Command x ...)", displayDir(dir))
		}
	}
}

// onlyTests reports whether a directory holds nothing but _test.go files.
func onlyTests(dir string) bool {
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			return false
		}
	}
	return true
}

// TestRulesCatchViolations proves the rule checks above can fail.
func TestRulesCatchViolations(t *testing.T) {
	tests := []struct {
		name, dir, imp string
		test           bool
	}{
		{"engine must not import a protocol", "engine", modulePath + "/protocol/cimxml", false},
		{"protocols must not import the engine", "protocol/wsman", modulePath + "/engine", false},
		{"cim is standard library only", "cim", "github.com/google/go-cmp/cmp", false},
		{"only server wires providers", "api", modulePath + "/provider", false},
		{"bbolt only in store/bolt", "engine", "go.etcd.io/bbolt", false},
		{"embedded etcd only in tests", "store/etcd", "go.etcd.io/etcd/server/v3/embed", false},
		{"embedded etcd not in the server", "server", "go.etcd.io/etcd/server/v3/embed", false},
		{"etcd client only in store/etcd", "engine", "go.etcd.io/etcd/client/v3", false},
		{"etcd client not in store/etcd's harness", "store/etcd/etcdtest", "go.etcd.io/etcd/client/v3", false},
		{"etcd client not in other tests", "server", "go.etcd.io/etcd/client/v3", true},
		{"rapid only in tests", "engine", "pgregory.net/rapid", false},
		{"health and engine stay apart", "health", modulePath + "/engine", false},
		{"the load tool uses the standard library only", "cmd/redset-load", "github.com/spf13/cobra", false},
		{"the load tool speaks to a server only over the wire", "cmd/redset-load", modulePath + "/api", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if tc.test {
				got = checkThirdParty(tc.dir, tc.imp, true)
			} else {
				got = checkImport(tc.dir, tc.imp)
			}
			if got == "" {
				t.Errorf("%s importing %s was allowed, want a violation", tc.dir, tc.imp)
			}
		})
	}
}

// TestBinaryLeavesOutEtcdServer checks, on the real build graph, that the
// redset binary links the etcd client but none of etcd's server side: the
// embedded etcd is for tests only.
func TestBinaryLeavesOutEtcdServer(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not on PATH: %v", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", "./cmd/redset").Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/redset: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "go.etcd.io/etcd/client/v3") {
		t.Errorf("the binary does not link go.etcd.io/etcd/client/v3; the dependency list looks wrong (%d packages)", len(deps))
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, etcdServer) || strings.HasPrefix(dep, "go.etcd.io/raft/") {
			t.Errorf("the binary links %s: etcd's server side must stay out of it", dep)
		}
	}
}
