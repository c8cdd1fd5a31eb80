package cimxml

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// fixtureDir holds the raw requests real clients sent (the repository's own copy).
const fixtureDir = "../../testdata/fixtures"

// cimxmlFixtures lists the CIM-XML fixture files (pywbem and wbemcli).
func cimxmlFixtures(t testing.TB) []string {
	t.Helper()
	var names []string
	for _, pattern := range []string{"pywbem--*.http", "wbemcli--*.http"} {
		m, err := filepath.Glob(filepath.Join(fixtureDir, pattern))
		if err != nil {
			t.Fatalf("glob %s: %v", pattern, err)
		}
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	if len(names) == 0 {
		t.Fatalf("no CIM-XML fixtures under %s", fixtureDir)
	}
	sort.Strings(names)
	return names
}

// readFixture parses a raw HTTP request file; the body is returned
// separately and also left readable in the request.
func readFixture(t testing.TB, name string) (*http.Request, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("reading fixture: %v", err)
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("parsing fixture %s: %v", name, err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatalf("reading fixture body %s: %v", name, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return req, body
}

// describeValue writes a value with its type, for table tests:
// "uint16:3", "string:\"a\"", "null string", "reference:<path>".
func describeValue(v cim.Value) string {
	switch {
	case v.IsNull() && !v.Type().Valid():
		return "null"
	case v.IsNull():
		return "null " + v.Type().String()
	case v.IsArray():
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = describeValue(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case v.Type() == cim.Reference:
		return "reference:" + describePath(v.Ref())
	case v.Type() == cim.String:
		return fmt.Sprintf("string:%q", v.Str())
	}
	return v.Type().String() + ":" + v.String()
}

// describePath writes a path with typed keys.
func describePath(p cim.ObjectPath) string {
	var b strings.Builder
	if p.Host != "" {
		b.WriteString("//" + p.Host + "/")
	}
	if p.Namespace != "" {
		b.WriteString(p.Namespace + ":")
	}
	b.WriteString(p.ClassName)
	for i, k := range p.Keys {
		b.WriteString(string(",."[btoi(i == 0)]) + k.Name + "=" + describeValue(k.Value))
	}
	if p.Singleton {
		b.WriteString("=@")
	}
	return b.String()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// summary is a cimom.Request flattened into comparable text.
type summary struct {
	Op, Namespace, ClassName, ObjectName string
	Instance                             string
	PropertyList                         string // "nil" or the list
	Flags                                string // names of the true flags
	Assoc                                string
	Method                               string
	Params                               []string
	Query                                string
	Pull                                 string
}

func summarize(r *cimom.Request) summary {
	s := summary{Op: r.Op.String(), Namespace: r.Namespace, ClassName: r.ClassName, Method: r.Method}
	if r.ObjectName.ClassName != "" {
		s.ObjectName = describePath(r.ObjectName)
	}
	if r.Instance != nil {
		s.Instance = describeInstance(r.Instance)
	}
	s.PropertyList = "nil"
	if r.PropertyList != nil {
		s.PropertyList = "[" + strings.Join(r.PropertyList, " ") + "]"
	}
	s.Flags = flags(r)
	if r.AssocClass+r.ResultClass+r.Role+r.ResultRole != "" {
		s.Assoc = fmt.Sprintf("assoc=%s result=%s role=%s resultRole=%s", r.AssocClass, r.ResultClass, r.Role, r.ResultRole)
	}
	for _, p := range r.Params {
		s.Params = append(s.Params, p.Name+"="+describeValue(p.Value))
	}
	if r.QueryLanguage+r.Query+r.QualifierName != "" {
		s.Query = r.QueryLanguage + ": " + r.Query + r.QualifierName
	}
	s.Pull = pull(r)
	return s
}

func describeInstance(in *cim.Instance) string {
	parts := []string{}
	for _, p := range in.Properties {
		parts = append(parts, p.Name+"="+describeValue(p.Value))
	}
	return in.ClassName + "{" + strings.Join(parts, ", ") + "}"
}

func flags(r *cimom.Request) string {
	var f []string
	for _, x := range []struct {
		name string
		on   bool
	}{
		{"LocalOnly", r.LocalOnly}, {"DeepInheritance", r.DeepInheritance},
		{"IncludeQualifiers", r.IncludeQualifiers}, {"IncludeClassOrigin", r.IncludeClassOrigin},
		{"ContinueOnError", r.ContinueOnError},
	} {
		if x.on {
			f = append(f, x.name)
		}
	}
	return strings.Join(f, " ")
}

func pull(r *cimom.Request) string {
	if r.OperationTimeout == nil && r.MaxObjectCount == 0 && r.EnumerationContext == "" {
		return ""
	}
	timeout := "nil"
	if r.OperationTimeout != nil {
		timeout = fmt.Sprint(*r.OperationTimeout)
	}
	return fmt.Sprintf("ctx=%q max=%d timeout=%s", r.EnumerationContext, r.MaxObjectCount, timeout)
}

// message wraps an IMETHODCALL or METHODCALL body in the request
// envelope.
func message(call string) string {
	return `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0">` +
		`<MESSAGE ID="42" PROTOCOLVERSION="1.0"><SIMPLEREQ>` + call + `</SIMPLEREQ></MESSAGE></CIM>`
}

// nsPath is the LOCALNAMESPACEPATH of root/hypervcluster/v2.
const nsPath = `<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="hypervcluster"/><NAMESPACE NAME="v2"/></LOCALNAMESPACEPATH>`

// imethod builds an intrinsic call of name with the given IPARAMVALUEs.
func imethod(name, params string) string {
	return message(`<IMETHODCALL NAME="` + name + `">` + nsPath + params + `</IMETHODCALL>`)
}

// rsName is the INSTANCENAME of the set Microsoft:RS-1.
const rsName = `<INSTANCENAME CLASSNAME="Msvm_RedundancySet"><KEYBINDING NAME="InstanceID"><KEYVALUE VALUETYPE="string">Microsoft:RS-1</KEYVALUE></KEYBINDING></INSTANCENAME>`

const ns = "root/hypervcluster/v2"

// rsPath is the path of the set Microsoft:RS-1 in ns.
var rsPath = cim.NewObjectPath(ns, "Msvm_RedundancySet", cim.KeyBinding{Name: "InstanceID", Value: cim.NewString("Microsoft:RS-1")})

// memberPath is the path of a computer system member.
func memberPath(host, namespace, name string) cim.ObjectPath {
	p := cim.NewObjectPath(namespace, "Msvm_ComputerSystem",
		cim.KeyBinding{Name: "CreationClassName", Value: cim.NewString("Msvm_ComputerSystem")},
		cim.KeyBinding{Name: "Name", Value: cim.NewString(name)})
	p.Host = host
	return p
}
