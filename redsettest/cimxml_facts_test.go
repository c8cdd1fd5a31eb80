package redsettest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
)

// What a correct CIM server answers to each fixture on the fixtures'
// model, checked in code besides the golden comparison.

// fixtureCheck checks the key facts of one fixture's answer; eng shows
// what the request changed.
type fixtureCheck func(t *testing.T, doc *xnode, eng *engine.Engine)

// fixtureFacts says, for every fixture, what a correct CIM server answers
// on the fixtures' model.
var fixtureFacts = map[string]fixtureCheck{
	"pywbem--EnumerateInstances--1":                   wantSets(rs1, rs2),
	"wbemcli--EnumerateInstances--1":                  wantSets(rs1, rs2),
	"pywbem--EnumerateInstanceNames--1":               wantNames(setName(rs1), setName(rs2)),
	"wbemcli--EnumerateInstanceNames--1":              wantNames(setName(rs1), setName(rs2)),
	"pywbem--GetInstance--1":                          wantSets(rs1),
	"wbemcli--GetInstance--1":                         wantSets(rs1),
	"wbemcli--ModifyInstance--1":                      wantSets(rs1), // wbemcli's GetInstance before the change
	"pywbem--GetClass--1":                             wantSetClass,
	"wbemcli--GetClass--1":                            wantSetClass,
	"wbemcli--InvokeMethod-Failover--1":               wantSetClass, // wbemcli's GetClass before the call
	"pywbem--ModifyInstance--1":                       wantLoadBalance(3),
	"wbemcli--ModifyInstance--2":                      wantLoadBalance(3),
	"pywbem--InvokeMethod-Failover--1":                wantFailedOver,
	"pywbem--InvokeMethod-Failover-nonamespace--1":    wantFailedOver,
	"wbemcli--InvokeMethod-Failover--2":               wantFailedOver,
	"pywbem--Associators--1":                          wantMembers("vm-a"),
	"wbemcli--Associators--1":                         wantMembers("vm-a"),
	"pywbem--AssociatorNames--1":                      wantNames(memberName("vm-a")),
	"wbemcli--AssociatorNames--1":                     wantNames(memberName("vm-a")),
	"pywbem--References--1":                           wantLinks("vm-a"),
	"wbemcli--References--1":                          wantLinks("vm-a"),
	"pywbem--ReferenceNames--1":                       wantLinkNames("vm-a"),
	"wbemcli--ReferenceNames--1":                      wantLinkNames("vm-a"),
	"pywbem--EnumerateClassNames-DeepInheritance--1":  wantClassNames,
	"wbemcli--EnumerateClassNames-DeepInheritance--1": wantClassNames,
	// EnumerateInstances of a class that does not exist is
	// CIM_ERR_INVALID_CLASS; GetClass of it is CIM_ERR_NOT_FOUND
	// (DSP0200 lists exactly these for the two operations).
	"pywbem--BadClass-EnumerateInstances--1":  wantError(5),
	"wbemcli--BadClass-EnumerateInstances--1": wantError(5),
	"pywbem--BadClass-GetClass--1":            wantError(6),
	"wbemcli--BadClass-GetClass--1":           wantError(6),
	"pywbem--ExecQuery--1":                    wantSets(rs1), // WHERE RedundancyStatus = 3
	// pywbem opened with MaxObjectCount 1: one of the two sets now, a
	// context for the rest.
	"pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--1": wantOpened,
	// The recorded Pull and Close name the context "ctx-0001" that the
	// recording server invented. This server never issued it, so the
	// correct answer of a real server is CIM_ERR_INVALID_ENUMERATION_CONTEXT
	// (21). TestCIMXMLPullConversation replays the same requests with a
	// context this server did issue.
	"pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--2": wantError(21),
	"pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--3": wantError(21),
}

func noError(t *testing.T, doc *xnode) {
	t.Helper()
	if code, desc := doc.cimError(); code != 0 {
		t.Fatalf("answer is ERROR %d (%s), want success", code, desc)
	}
}

func wantError(code int) fixtureCheck {
	return func(t *testing.T, doc *xnode, _ *engine.Engine) {
		got, desc := doc.cimError()
		if got != code {
			t.Errorf("ERROR CODE = %d (%q), want %d", got, desc, code)
		}
		if got != 0 && desc == "" {
			t.Errorf("ERROR has no DESCRIPTION")
		}
	}
}

// wantSets wants exactly the named sets, with their properties from the
// model.
func wantSets(ids ...string) fixtureCheck {
	return func(t *testing.T, doc *xnode, _ *engine.Engine) {
		noError(t, doc)
		insts := doc.instances()
		if diff := cmp.Diff(ids, column(insts, "InstanceID")); diff != "" {
			t.Fatalf("InstanceIDs (-want +got):\n%s", diff)
		}
		for _, in := range insts {
			want := setFacts[in["InstanceID"]]
			got := map[string]string{}
			for k := range want {
				got[k] = in[k]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s properties (-want +got):\n%s", in["InstanceID"], diff)
			}
		}
	}
}

var setFacts = map[string]map[string]string{
	rs1: {"ElementName": "Redundancy set " + rs1, "RedundancyStatus": "3", "TypeOfSet": "{4}",
		"MinNumberNeeded": "1", "LoadBalanceAlgorithm": "2", "OtherLoadBalanceAlgorithm": "NULL", "Caption": "NULL"},
	rs2: {"ElementName": "Redundancy set " + rs2, "RedundancyStatus": "2", "TypeOfSet": "{2}",
		"MinNumberNeeded": "1", "LoadBalanceAlgorithm": "2", "OtherLoadBalanceAlgorithm": "NULL", "Caption": "NULL"},
}

func setName(id string) string { return classSet + ".InstanceID=" + id }

func memberName(name string) string {
	return classSystem + ".CreationClassName=" + classSystem + ",Name=" + name
}

func wantNames(names ...string) fixtureCheck {
	return func(t *testing.T, doc *xnode, _ *engine.Engine) {
		noError(t, doc)
		if diff := cmp.Diff(names, doc.instanceNames()); diff != "" {
			t.Errorf("instance names (-want +got):\n%s", diff)
		}
	}
}

// wantSetClass wants Msvm_RedundancySet with its writable property and the
// Failover method declaring both reference parameters (wbemcli cm needs
// them).
func wantSetClass(t *testing.T, doc *xnode, _ *engine.Engine) {
	noError(t, doc)
	class := doc.first("CLASS")
	if class == nil || class.attr("NAME") != classSet || class.attr("SUPERCLASS") != "CIM_RedundancySet" {
		t.Fatalf("answer has no CLASS %s with SUPERCLASS CIM_RedundancySet", classSet)
	}
	var props []string
	for _, p := range class.Nodes {
		if strings.HasPrefix(p.XMLName.Local, "PROPERTY") {
			props = append(props, p.attr("NAME"))
		}
	}
	for _, want := range []string{"InstanceID", "RedundancyStatus", "TypeOfSet", "LoadBalanceAlgorithm", "OtherLoadBalanceAlgorithm"} {
		if !slices.Contains(props, want) {
			t.Errorf("class lacks property %s (has %v)", want, props)
		}
	}
	var method *xnode
	for _, m := range class.all("METHOD") {
		if m.attr("NAME") == "Failover" {
			method = m
		}
	}
	if method == nil || method.attr("TYPE") != "uint32" {
		t.Fatalf("class lacks METHOD Failover returning uint32")
	}
	var params []string
	for _, p := range method.all("PARAMETER.REFERENCE") {
		params = append(params, p.attr("NAME")+":"+p.attr("REFERENCECLASS"))
	}
	if diff := cmp.Diff([]string{"FailoverFrom:CIM_ManagedElement", "FailoverTo:CIM_ManagedElement"}, params); diff != "" {
		t.Errorf("Failover reference parameters (-want +got):\n%s", diff)
	}
}

func wantLoadBalance(alg uint16) fixtureCheck {
	return func(t *testing.T, doc *xnode, eng *engine.Engine) {
		noError(t, doc)
		if doc.first("IMETHODRESPONSE") == nil {
			t.Errorf("answer has no IMETHODRESPONSE")
		}
		v, err := eng.GetSet(rs1)
		if err != nil {
			t.Fatal(err)
		}
		if v.LoadBalanceAlgorithm != alg || v.ElementName != "Redundancy set "+rs1 {
			t.Errorf("engine: LoadBalanceAlgorithm = %d, ElementName = %q; want %d and the name unchanged",
				v.LoadBalanceAlgorithm, v.ElementName, alg)
		}
	}
}

// wantFailedOver wants ReturnValue 0 and the roles of vm-a and vm-b
// swapped in the engine.
func wantFailedOver(t *testing.T, doc *xnode, eng *engine.Engine) {
	noError(t, doc)
	if got := doc.returnValue(); got != "0" {
		t.Errorf("ReturnValue = %s, want 0", got)
	}
	if rv := doc.first("RETURNVALUE"); rv == nil || rv.attr("PARAMTYPE") != "uint32" {
		t.Errorf("RETURNVALUE is not typed uint32")
	}
	a, b := roleOf(t, eng, rs1, "vm-a"), roleOf(t, eng, rs1, "vm-b")
	if a != engine.RoleSpare || b != engine.RoleInService {
		t.Errorf("engine roles: vm-a %s, vm-b %s; want spare and in service", a, b)
	}
}

// wantMembers wants the Msvm_ComputerSystem instances of the named members
// (the spare vm-b is linked by CIM_IsSpare, not Msvm_MemberOfCollection).
func wantMembers(names ...string) fixtureCheck {
	return func(t *testing.T, doc *xnode, _ *engine.Engine) {
		noError(t, doc)
		insts := doc.instances()
		if diff := cmp.Diff(names, column(insts, "Name")); diff != "" {
			t.Fatalf("associated members (-want +got):\n%s", diff)
		}
		for _, in := range insts {
			want := map[string]string{"CreationClassName": classSystem, "HealthState": "5",
				"OperationalStatus": "{2}", "EnabledState": "2"}
			got := map[string]string{}
			for k := range want {
				got[k] = in[k]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", in["Name"], diff)
			}
		}
	}
}

// wantLinks wants one Msvm_MemberOfCollection instance per named member,
// from RS-1.
func wantLinks(names ...string) fixtureCheck {
	return func(t *testing.T, doc *xnode, _ *engine.Engine) {
		noError(t, doc)
		var want, got []string
		for _, n := range names {
			want = append(want, "Collection="+setName(rs1)+" Member="+memberName(n))
		}
		for _, in := range doc.all("INSTANCE") {
			if in.attr("CLASSNAME") != classMOC {
				t.Errorf("instance of %s, want %s", in.attr("CLASSNAME"), classMOC)
			}
			p := in.props()
			got = append(got, "Collection="+p["Collection"]+" Member="+p["Member"])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("links (-want +got):\n%s", diff)
		}
	}
}

func wantLinkNames(names ...string) fixtureCheck {
	return func(t *testing.T, doc *xnode, _ *engine.Engine) {
		noError(t, doc)
		var want []string
		for _, n := range names {
			want = append(want, classMOC+".Collection=("+setName(rs1)+"),Member=("+memberName(n)+")")
		}
		var got []string
		for _, p := range doc.all("INSTANCEPATH") {
			got = append(got, keysText(p))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("link names (-want +got):\n%s", diff)
		}
	}
}

// wantClassNames wants every class of the model, deep.
func wantClassNames(t *testing.T, doc *xnode, _ *engine.Engine) {
	noError(t, doc)
	var got []string
	for _, c := range doc.all("CLASSNAME") {
		got = append(got, c.attr("NAME"))
	}
	for _, want := range []string{"CIM_ManagedElement", "CIM_RedundancySet", classSet, classSystem, classMOC, "CIM_IsSpare"} {
		if !slices.Contains(got, want) {
			t.Errorf("class names lack %s: %v", want, got)
		}
	}
	if slices.Contains(got, "Msvm_NoSuchClass") {
		t.Errorf("class names hold a class that does not exist")
	}
}

// wantOpened wants the first of the two sets, EndOfSequence FALSE and a
// context to pull the rest.
func wantOpened(t *testing.T, doc *xnode, eng *engine.Engine) {
	wantSets(rs1)(t, doc, eng)
	out := outParams(doc)
	if out["EndOfSequence"] != "FALSE" || out["EnumerationContext"] == "" {
		t.Errorf("EndOfSequence = %q, EnumerationContext = %q; want FALSE and a context", out["EndOfSequence"], out["EnumerationContext"])
	}
}

// outParams returns the PARAMVALUEs of an IMETHODRESPONSE.
func outParams(doc *xnode) map[string]string {
	out := map[string]string{}
	if r := doc.first("IMETHODRESPONSE"); r != nil {
		for _, p := range r.Nodes {
			if p.XMLName.Local == "PARAMVALUE" {
				out[p.attr("NAME")] = scalarText(p)
			}
		}
	}
	return out
}
