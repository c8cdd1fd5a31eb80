package wsman

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// The fixtures are the exact requests real clients sent (openwsman's wsman
// CLI, @device-management-toolkit/wsman-messages, python3-winrm), kept in
// the repository's testdata/fixtures.
const fixtureDir = "../../testdata/fixtures"

// fixtureFiles lists every WS-Man fixture (the folder also holds the
// CIM-XML clients' requests).
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"wsman--*.http", "wsman-messages--*.http", "python3-winrm--*.http"} {
		m, err := filepath.Glob(filepath.Join(fixtureDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no WS-Man fixtures in %s", fixtureDir)
	}
	sort.Strings(files)
	return files
}

// readFixture parses a fixture file as the HTTP request it is.
func readFixture(t testing.TB, file string) *http.Request {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return r
}

// fixtureBody returns a fixture's body and Content-Type.
func fixtureBody(t testing.TB, file string) ([]byte, string) {
	t.Helper()
	r := readFixture(t, file)
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), r.Header.Get("Content-Type")
}

// callSummary is what a test compares of a decoded call.
type callSummary struct {
	Kind         Kind
	Op           cimom.Operation
	Namespace    string
	Class        string
	Object       string
	Method       string
	Values       string // instance properties or method parameters, "Name=type:value; ..."
	PropertyList []string
	Assoc        string // AssocClass/ResultClass/Role/ResultRole
	Query        string // QueryLanguage:Query
	Mode         EnumerationMode
	Optimize     bool
	MaxElements  uint32
	Context      string
	Timeout      time.Duration
	MaxEnvelope  int
	Style        URIStyle
}

func summarize(env *Envelope, c *Call) callSummary {
	s := callSummary{Kind: c.Kind, Mode: c.Mode, Optimize: c.Optimize, MaxElements: c.MaxElements,
		Timeout: c.Timeout, MaxEnvelope: env.MaxEnvelopeSize, Style: c.Resource.Style}
	r := c.Request
	if r == nil {
		return s
	}
	s.Op, s.Namespace, s.Class, s.Method, s.Context = r.Op, r.Namespace, r.ClassName, r.Method, r.EnumerationContext
	s.PropertyList = r.PropertyList
	if r.ObjectName.ClassName != "" {
		s.Object = r.ObjectName.String()
	}
	if r.AssocClass+r.ResultClass+r.Role+r.ResultRole != "" {
		s.Assoc = strings.Join([]string{r.AssocClass, r.ResultClass, r.Role, r.ResultRole}, "/")
	}
	if r.Query != "" {
		s.Query = r.QueryLanguage + ":" + r.Query
	}
	s.Values = valuesText(r)
	return s
}

func valuesText(r *cimom.Request) string {
	var parts []string
	add := func(name string, v cim.Value) { parts = append(parts, name+"="+v.Type().String()+":"+v.String()) }
	if r.Instance != nil {
		for _, p := range r.Instance.Properties {
			add(p.Name, p.Value)
		}
	}
	for _, p := range r.Params {
		add(p.Name, p.Value)
	}
	return strings.Join(parts, "; ")
}

const (
	rsOne  = `/root/hypervcluster/v2:Msvm_RedundancySet.InstanceID="Microsoft:RS-1"`
	vmA    = `/root/hypervcluster/v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="vm-a"`
	vmB    = `/root/hypervcluster/v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="vm-b"`
	rsName = "Msvm_RedundancySet"
	minute = time.Minute
)

var (
	wantIdentify = callSummary{Kind: KindIdentify}
	wantGet      = callSummary{Kind: KindGet, Op: cimom.GetInstance, Namespace: testNS, Object: rsOne}
	wantEnum     = callSummary{Kind: KindEnumerate, Op: cimom.OpenEnumerateInstances, Namespace: testNS, Class: rsName}
	wantPull     = callSummary{Kind: KindPull, Op: cimom.PullInstancesWithPath, Namespace: testNS, Context: "uuid:ctx-rs-obj", MaxElements: 1}
	wantDelete   = callSummary{Kind: KindDelete, Op: cimom.DeleteInstance, Namespace: testNS, Object: rsOne}
	wantInvoke   = callSummary{Kind: KindInvoke, Op: cimom.InvokeMethod, Namespace: testNS, Object: rsOne, Method: "Failover",
		Values: "FailoverFrom=reference:" + vmA + "; FailoverTo=reference:" + vmB}
	wantCreate = callSummary{Kind: KindCreate, Op: cimom.CreateInstance, Namespace: testNS, Class: rsName,
		Values: "InstanceID=string:Microsoft:RS-3; ElementName=string:new set; LoadBalanceAlgorithm=string:1; OtherLoadBalanceAlgorithm=string:custom"}
	wantPutSmall = callSummary{Kind: KindPut, Op: cimom.ModifyInstance, Namespace: testNS, Object: rsOne,
		Values: "InstanceID=string:Microsoft:RS-1; LoadBalanceAlgorithm=string:3", PropertyList: []string{"LoadBalanceAlgorithm"}}
	wantAssociated = callSummary{Kind: KindEnumerate, Op: cimom.OpenAssociatorInstances, Namespace: testNS, Object: rsOne,
		Assoc: "Msvm_MemberOfCollection/Msvm_ComputerSystem/Collection/Member"}
	wantAssociation = callSummary{Kind: KindEnumerate, Op: cimom.OpenReferenceInstances, Namespace: testNS, Object: rsOne,
		Assoc: "/Msvm_MemberOfCollection/Collection/"}
)

// with returns s changed by f.
func with(s callSummary, f func(*callSummary)) callSummary {
	f(&s)
	return s
}

func dmtf(s callSummary) callSummary { return with(s, func(s *callSummary) { s.Style = StyleDMTF }) }

func timeout(s callSummary) callSummary {
	return with(s, func(s *callSummary) { s.Timeout = minute })
}

// fixtureCalls says what every fixture must decode to. Requests 1 and 2 of
// an openwsman run are the same envelope, without and with credentials.
var fixtureCalls = map[string]callSummary{
	"python3-winrm--Get--1": wantGetSized,

	"wsman--Identify--1": wantIdentify, "wsman--Identify--2": wantIdentify,
	"wsman--Get--1": wantGet, "wsman--Get--2": wantGet,
	"wsman--Get-DMTFResourceURI--1": dmtf(wantGet), "wsman--Get-DMTFResourceURI--2": dmtf(wantGet),
	"wsman--Get-EnvelopeSize-Timeout-Locale--1": wantGetSized,
	"wsman--Get-EnvelopeSize-Timeout-Locale--2": wantGetSized,
	"wsman--Put-GetThenPut--1":                  wantGet, "wsman--Put-GetThenPut--2": wantGet,
	"wsman--Put-GetThenPut--3": with(wantPutSmall, func(s *callSummary) {
		s.Values = "InstanceID=string:Microsoft:RS-1; ElementName=string:Redundancy set Microsoft:RS-1; " +
			"LoadBalanceAlgorithm=string:3; OtherLoadBalanceAlgorithm=string:; RedundancyStatus=string:3"
		s.PropertyList = []string{"ElementName", "LoadBalanceAlgorithm", "OtherLoadBalanceAlgorithm", "RedundancyStatus"}
	}),
	"wsman--Put-InputFile--1": wantPutSmall, "wsman--Put-InputFile--2": wantPutSmall,
	"wsman--Invoke-Failover--1": wantInvoke, "wsman--Invoke-Failover--2": wantInvoke,
	"wsman--Create--1": wantCreate, "wsman--Create--2": wantCreate,
	"wsman--Delete--1": wantDelete, "wsman--Delete--2": wantDelete,
	"wsman--Release--1": {Kind: KindRelease, Op: cimom.CloseEnumeration, Namespace: testNS, Context: "uuid:ctx-rs-obj"},
	"wsman--Release--2": {Kind: KindRelease, Op: cimom.CloseEnumeration, Namespace: testNS, Context: "uuid:ctx-rs-obj"},

	"wsman--Enumerate--1": wantEnum, "wsman--Enumerate--2": wantEnum, "wsman--Enumerate--3": wantPull,
	"wsman--Enumerate-DMTFResourceURI--1": dmtf(wantEnum), "wsman--Enumerate-DMTFResourceURI--2": dmtf(wantEnum),
	"wsman--Enumerate-DMTFResourceURI--3": dmtf(wantPull),
	"wsman--Enumerate-EnumerateEPR--1": with(wantEnum, func(s *callSummary) {
		s.Op, s.Mode = cimom.OpenEnumerateInstancePaths, EnumerateEPR
	}),
	"wsman--Enumerate-EnumerateEPR--2": with(wantEnum, func(s *callSummary) {
		s.Op, s.Mode = cimom.OpenEnumerateInstancePaths, EnumerateEPR
	}),
	"wsman--Enumerate-EnumerateEPR--3":          with(wantPull, func(s *callSummary) { s.Context = "uuid:ctx-rs-EnumerateEPR" }),
	"wsman--Enumerate-EnumerateObjectAndEPR--1": with(wantEnum, func(s *callSummary) { s.Mode = EnumerateObjectAndEPR }),
	"wsman--Enumerate-EnumerateObjectAndEPR--2": with(wantEnum, func(s *callSummary) { s.Mode = EnumerateObjectAndEPR }),
	"wsman--Enumerate-EnumerateObjectAndEPR--3": with(wantPull, func(s *callSummary) { s.Context = "uuid:ctx-rs-EnumerateObjectAndEPR" }),
	"wsman--Enumerate-Optimized-MaxElements--1": with(wantEnum, func(s *callSummary) { s.Optimize, s.MaxElements = true, 50 }),
	"wsman--Enumerate-Optimized-MaxElements--2": with(wantEnum, func(s *callSummary) { s.Optimize, s.MaxElements = true, 50 }),
	"wsman--Enumerate-PullMaxElements--1":       wantEnum, "wsman--Enumerate-PullMaxElements--2": wantEnum,
	"wsman--Enumerate-PullMaxElements--3": with(wantPull, func(s *callSummary) { s.MaxElements = 20 }),
	"wsman--Enumerate-SelectorFilter--1":  wantSelectorFilter, "wsman--Enumerate-SelectorFilter--2": wantSelectorFilter,
	"wsman--Enumerate-SelectorFilter--3": wantPull,
	"wsman--Enumerate-WQLFilter--1":      wantWQL, "wsman--Enumerate-WQLFilter--2": wantWQL,
	"wsman--Enumerate-WQLFilter--3":            wantPull,
	"wsman--Enumerate-AssociatedInstances--1":  wantAssociated,
	"wsman--Enumerate-AssociatedInstances--2":  wantAssociated,
	"wsman--Enumerate-AssociatedInstances--3":  with(wantPull, func(s *callSummary) { s.Context = "uuid:ctx-assoc-obj" }),
	"wsman--Enumerate-AssociationInstances--1": wantAssociation,
	"wsman--Enumerate-AssociationInstances--2": wantAssociation,
	"wsman--Enumerate-AssociationInstances--3": with(wantPull, func(s *callSummary) { s.Context = "uuid:ctx-assoc-obj" }),

	"wsman-messages--Enumerate--1":                 timeout(wantEnum),
	"wsman-messages--Enumerate-DMTFResourceURI--1": timeout(dmtf(wantEnum)),
	"wsman-messages--Pull--1":                      timeout(with(wantPull, func(s *callSummary) { s.MaxElements = 999 })),
	"wsman-messages--Get--1":                       timeout(wantGet),
	"wsman-messages--Put--1":                       timeout(wantPutSmall),
	"wsman-messages--Create--1":                    timeout(wantCreate),
	"wsman-messages--Delete--1":                    timeout(wantDelete),
	"wsman-messages--Invoke-Failover--1":           timeout(wantInvoke),
}

var (
	wantGetSized       = with(timeout(wantGet), func(s *callSummary) { s.MaxEnvelope = 153600 })
	wantSelectorFilter = with(wantEnum, func(s *callSummary) {
		s.Op, s.Query = cimom.OpenQueryInstances, "WQL:SELECT * FROM Msvm_RedundancySet WHERE InstanceID = 'Microsoft:RS-1'"
	})
	wantWQL = with(wantEnum, func(s *callSummary) {
		s.Op, s.Class, s.Query = cimom.OpenQueryInstances, "", "WQL:SELECT * FROM Msvm_RedundancySet WHERE RedundancyStatus = 3"
	})
)

func fixtureName(file string) string { return strings.TrimSuffix(filepath.Base(file), ".http") }

// TestDecodeFixtures decodes every request a real client sent into the
// operation it asks for.
func TestDecodeFixtures(t *testing.T) {
	for _, file := range fixtureFiles(t) {
		name := fixtureName(file)
		t.Run(name, func(t *testing.T) {
			want, ok := fixtureCalls[name]
			if !ok {
				t.Fatalf("no expectation for fixture %s", name)
			}
			body, ct := fixtureBody(t, file)
			env, err := DecodeEnvelope(bytes.NewReader(body), ct)
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			c, err := env.Call(testNS)
			if err != nil {
				t.Fatalf("Call: %v", err)
			}
			if diff := cmp.Diff(want, summarize(env, c)); diff != "" {
				t.Errorf("decoded call (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFixtureAddressing checks the addressing headers the clients wrote:
// any MessageID form, and the To each client sends.
func TestFixtureAddressing(t *testing.T) {
	tests := []struct{ file, messageID, to string }{
		{"wsman-messages--Get--1", "0", "/wsman"},
		{"python3-winrm--Get--1", "uuid:cd1cc3a8-21f9-4c94-9b53-92cea08e6e58", "http://127.0.0.1:5985/wsman"},
		{"wsman--Get--2", "uuid:86b8e95e-6104-1104-8002-01000000fc02", "http://127.0.0.1:5985/wsman"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, ct := fixtureBody(t, filepath.Join(fixtureDir, tt.file+".http"))
			env, err := DecodeEnvelope(bytes.NewReader(body), ct)
			if err != nil {
				t.Fatal(err)
			}
			got := [3]string{env.MessageID, env.To, env.ReplyTo}
			want := [3]string{tt.messageID, tt.to, addrAnonymous}
			if got != want {
				t.Errorf("MessageID, To, ReplyTo = %q, want %q", got, want)
			}
		})
	}
}
