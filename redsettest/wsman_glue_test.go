package redsettest_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
)

// The tests of this file check, over HTTP against a running server, what
// the WS-Management codec relies on the object manager for: untyped
// selector and property values converted to the declared types, a
// one-element array sent as a single element, Put echoing read-only
// properties, selector filters compared as numbers, query enumerations
// returning endpoint references, plain Enumerate returning no items,
// selector faults naming what is wrong, and endpoint reference parameters
// in either resource URI style. (An OperationTimeout that passes cannot be
// timed reliably against a real server; protocol/wsman's
// TestTimeoutAfterAbandonedOperation checks its mapping with a fake clock.)

// wsmanSelectorFilter is an Enumerate body filtering by selectors.
func wsmanSelectorFilter(children string, sels ...string) string {
	var b strings.Builder
	b.WriteString(`<wsman:Filter xmlns:wsman="` + wsmanNSWSMan + `" Dialect="http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"><wsman:SelectorSet>`)
	for i := 0; i+1 < len(sels); i += 2 {
		b.WriteString(`<wsman:Selector Name="` + sels[i] + `">` + wsmanEscape(sels[i+1]) + `</wsman:Selector>`)
	}
	b.WriteString(`</wsman:SelectorSet></wsman:Filter>`)
	return children + b.String()
}

const wsmanOptimize = `<w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements>`

// TestWSManEnumerationGlue checks enumerations end to end: filters, modes
// and the number of items each answer carries.
func TestWSManEnumerationGlue(t *testing.T) {
	t.Parallel()
	srv := wsmanStartFixtureServer(t)
	c := newWSManClient(srv, wsmanUser, wsmanPassword)
	if _, err := srv.Engine().SetLoadBalance(t.Context(), wsmanRS2, engine.LBRoundRobin, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, children string
		pullMax        int
		want           []string
		itemName       string // the local name every item must have
	}{
		{"selector filter on a number", wsmanOptimize + wsmanSelectorFilter("", "LoadBalanceAlgorithm", "3"), 1, []string{wsmanRS2}, "Msvm_RedundancySet"},
		{"selector filter on two keys", wsmanOptimize + wsmanSelectorFilter("", "InstanceID", wsmanRS1, "RedundancyStatus", "3"), 1, []string{wsmanRS1}, "Msvm_RedundancySet"},
		{"selector filter matching nothing", wsmanOptimize + wsmanSelectorFilter("", "LoadBalanceAlgorithm", "7"), 1, nil, ""},
		{"selector filter, EPR mode", wsmanSelectorFilter(`<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>`, "LoadBalanceAlgorithm", "2"), 5, []string{wsmanRS1}, "EndpointReference"},
		{"selector filter, object and EPR", wsmanSelectorFilter(`<w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>`, "MinNumberNeeded", "1"), 1, []string{wsmanRS1, wsmanRS2}, "Item"},
		{"WQL projection, EPR mode", `<w:EnumerationMode>EnumerateEPR</w:EnumerationMode><w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">` +
			`SELECT ElementName FROM Msvm_RedundancySet WHERE RedundancyStatus = 2</w:Filter>`, 1, []string{wsmanRS2}, "EndpointReference"},
		{"plain, one per Pull", "", 1, []string{wsmanRS1, wsmanRS2}, "Msvm_RedundancySet"},
		{"optimized, one per answer", `<w:OptimizeEnumeration/>`, 1, []string{wsmanRS1, wsmanRS2}, "Msvm_RedundancySet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := c.enumerateAll(t, wsmanSetURI, tt.children, tt.pullMax)
			if diff := cmp.Diff(tt.want, wsmanInstanceIDs(items)); diff != "" {
				t.Errorf("InstanceIDs (-want +got):\n%s", diff)
			}
			for _, it := range items {
				if it.Name.Local != tt.itemName {
					t.Errorf("item %s, want %s", it.Name.Local, tt.itemName)
				}
			}
		})
	}
}

// TestWSManEnumerateCounts checks how many items each answer carries: none
// in a plain EnumerateResponse, MaxElements in an optimized one.
func TestWSManEnumerateCounts(t *testing.T) {
	t.Parallel()
	srv := wsmanStartFixtureServer(t)
	c := newWSManClient(srv, wsmanUser, wsmanPassword)
	tests := []struct {
		name, children string
		items          int
		ended          bool
	}{
		{"plain", "", 0, false},
		{"optimized, default MaxElements 1", `<w:OptimizeEnumeration/>`, 1, false},
		{"optimized, MaxElements 2", `<w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements>`, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := c.call(t, wsmanMsg{Action: wsmanActEnumerate, URI: wsmanSetURI, Body: `<n:Enumerate>` + tt.children + `</n:Enumerate>`}.String())
			resp := body.find(wsmanNSWSEN, "EnumerateResponse")
			ended := resp.find(wsmanNSWSMan, "EndOfSequence") != nil
			if got := len(wsmanItems(resp)); got != tt.items || ended != tt.ended {
				t.Errorf("%d items, ended %v; want %d, %v", got, ended, tt.items, tt.ended)
			}
		})
	}
}

// TestWSManPutGlue sends Put bodies as the clients write them: the whole
// instance echoed with one property changed (wsl, wsman put -k), array
// properties as one element, null as xsi:nil.
func TestWSManPutGlue(t *testing.T) {
	t.Parallel()
	srv := wsmanStartFixtureServer(t)
	c := newWSManClient(srv, wsmanUser, wsmanPassword)
	echo := func(lb, typeOfSet, status string) string {
		return `<p:Msvm_RedundancySet xmlns:p="` + wsmanSetURI + `" xmlns:xsi="` + wsmanNSXSI + `">` +
			`<p:InstanceID>` + wsmanRS1 + `</p:InstanceID><p:Caption xsi:nil="true"/><p:ElementName>Redundancy set ` + wsmanRS1 +
			`</p:ElementName><p:RedundancyStatus>` + status + `</p:RedundancyStatus><p:TypeOfSet>` + typeOfSet + `</p:TypeOfSet>` +
			`<p:OtherTypeOfSet xsi:nil="true"/><p:MinNumberNeeded>1</p:MinNumberNeeded><p:MaxNumberSupported>0</p:MaxNumberSupported>` +
			`<p:LoadBalanceAlgorithm>` + lb + `</p:LoadBalanceAlgorithm><p:OtherLoadBalanceAlgorithm xsi:nil="true"/></p:Msvm_RedundancySet>`
	}
	tests := []struct {
		name, body string
		fault      string // subcode, "" for success
		wantLB     uint16
	}{
		{"whole instance echoed", echo("5", "4", "3"), "", engine.LBLeastIO},
		{"read-only array changed", echo("5", "2", "3"), "InvalidRepresentation", engine.LBNone},
		{"read-only number changed", echo("5", "4", "2"), "InvalidRepresentation", engine.LBNone},
		{"value out of range", echo("9", "4", "3"), "InvalidRepresentation", engine.LBNone},
		{"other algorithm with its description", `<p:Msvm_RedundancySet xmlns:p="` + wsmanSetURI + `"><p:LoadBalanceAlgorithm>1</p:LoadBalanceAlgorithm>` +
			`<p:OtherLoadBalanceAlgorithm>weighted</p:OtherLoadBalanceAlgorithm></p:Msvm_RedundancySet>`, "", engine.LBOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wsmanResetModel(t, srv.Engine())
			msg := wsmanMsg{Action: wsmanActPut, URI: wsmanSetURI, Selectors: []string{"InstanceID", wsmanRS1}, Body: tt.body}.String()
			if tt.fault == "" {
				inst := c.call(t, msg).find(wsmanSetURI, "Msvm_RedundancySet")
				if got := inst.childText("LoadBalanceAlgorithm"); got != strconv.Itoa(int(tt.wantLB)) {
					t.Errorf("answer: LoadBalanceAlgorithm %s, want %d", got, tt.wantLB)
				}
			} else if f := c.fault(t, msg); wsmanLocal(f.Subcode) != tt.fault {
				t.Errorf("%s, want %s", f, tt.fault)
			}
			if got := wsmanLoadBalance(t, srv.Engine(), wsmanRS1); got != tt.wantLB {
				t.Errorf("engine: LoadBalanceAlgorithm %d, want %d", got, tt.wantLB)
			}
		})
	}
}

// TestWSManSelectorGlue checks addressing by selectors: reference keys as
// endpoint references, and the fault details for selectors that do not
// fit the class's keys.
func TestWSManSelectorGlue(t *testing.T) {
	t.Parallel()
	srv := wsmanStartFixtureServer(t)
	c := newWSManClient(srv, wsmanUser, wsmanPassword)
	moc := wsmanWMIPrefix + "Msvm_MemberOfCollection"
	refSelectors := `<w:SelectorSet><w:Selector Name="Collection"><a:EndpointReference><a:Address>` + wsmanAnonymous +
		`</a:Address><a:ReferenceParameters><w:ResourceURI>` + wsmanSetURI + `</w:ResourceURI><w:SelectorSet><w:Selector Name="InstanceID">` +
		wsmanRS1 + `</w:Selector></w:SelectorSet></a:ReferenceParameters></a:EndpointReference></w:Selector>` +
		`<w:Selector Name="Member">` + strings.ReplaceAll(strings.ReplaceAll(wsmanSystemEPR("X", "vm-a"), "<p:X>", "<a:EndpointReference>"), "</p:X>", "</a:EndpointReference>") +
		`</w:Selector></w:SelectorSet>`
	t.Run("reference keys", func(t *testing.T) {
		inst := c.call(t, wsmanMsg{Action: wsmanActGet, URI: moc, Header: refSelectors}.String()).find(moc, "Msvm_MemberOfCollection")
		got := wsmanProps(inst)
		want := map[string][]string{"Collection": {"Msvm_RedundancySet{InstanceID=" + wsmanRS1 + "}"},
			"Member": {"Msvm_ComputerSystem{CreationClassName=Msvm_ComputerSystem,Name=vm-a}"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Msvm_MemberOfCollection (-want +got):\n%s", diff)
		}
	})
	tests := []struct {
		name      string
		msg       wsmanMsg
		subcode   string
		detailEnd string
	}{
		{"no selectors", wsmanMsg{Action: wsmanActGet, URI: wsmanSetURI}, "InvalidSelectors", "InsufficientSelectors"},
		{"a key missing", wsmanMsg{Action: wsmanActGet, URI: wsmanSystemURI, Selectors: []string{"Name", "vm-a"}}, "InvalidSelectors", "InsufficientSelectors"},
		{"no such key", wsmanMsg{Action: wsmanActGet, URI: wsmanSetURI, Selectors: []string{"InstanceID", wsmanRS1, "Colour", "red"}}, "InvalidSelectors", "UnexpectedSelectors"},
		{"no such instance", wsmanMsg{Action: wsmanActGet, URI: wsmanSetURI, Selectors: []string{"InstanceID", "Microsoft:RS-9"}}, "DestinationUnreachable", ""},
		{"instance method without selectors", wsmanFailoverMsg(wsmanRS1, "vm-a", "vm-b"), "InvalidSelectors", "InsufficientSelectors"},
	}
	tests[4].msg.Selectors = nil
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := c.fault(t, tt.msg.String())
			if wsmanLocal(f.Subcode) != tt.subcode || !strings.HasSuffix(f.Detail, tt.detailEnd) {
				t.Errorf("%s, want %s with detail …%s", f, tt.subcode, tt.detailEnd)
			}
		})
	}
}

// TestWSManFailoverGlue invokes Failover with endpoint references in both
// resource URI styles and checks ReturnValue and the engine's roles.
func TestWSManFailoverGlue(t *testing.T) {
	t.Parallel()
	srv := wsmanStartFixtureServer(t)
	c := newWSManClient(srv, wsmanUser, wsmanPassword)
	dmtf := func(ns string) func(string) string {
		return func(s string) string {
			s = strings.Replace(s, wsmanSystemURI, "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/Msvm_ComputerSystem", 1)
			if ns != "" {
				s = strings.Replace(s, "</w:SelectorSet>", `<w:Selector Name="__cimnamespace">`+ns+`</w:Selector></w:SelectorSet>`, 1)
			}
			return s
		}
	}
	tests := []struct {
		name     string
		from, to string
		rewrite  func(string) string
		want     string
		swapped  bool
	}{
		{"WMI references", "vm-a", "vm-b", nil, "0", true},
		{"DMTF references without namespace", "vm-a", "vm-b", dmtf(""), "0", true},
		{"DMTF references in this namespace", "vm-a", "vm-b", dmtf(wsmanNamespace), "0", true},
		{"DMTF references in another namespace", "vm-a", "vm-b", dmtf("root/cimv2"), "4", false},
		{"unknown member", "vm-a", "vm-zzz", nil, "4", false},
		{"from a spare", "vm-b", "vm-a", nil, "4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wsmanResetModel(t, srv.Engine())
			msg := wsmanFailoverMsg(wsmanRS1, tt.from, tt.to)
			if tt.rewrite != nil {
				msg.Body = tt.rewrite(msg.Body)
			}
			out := c.call(t, msg.String()).find(wsmanSetURI, "Failover_OUTPUT")
			if got := out.childText("ReturnValue"); got != tt.want {
				t.Errorf("ReturnValue %s, want %s", got, tt.want)
			}
			roles := []engine.RoleKind{wsmanRole(t, srv.Engine(), wsmanRS1, "vm-a"), wsmanRole(t, srv.Engine(), wsmanRS1, "vm-b")}
			want := []engine.RoleKind{engine.RoleInService, engine.RoleSpare}
			if tt.swapped {
				want = []engine.RoleKind{engine.RoleSpare, engine.RoleInService}
			}
			if !slices.Equal(roles, want) {
				t.Errorf("engine: roles of vm-a, vm-b %v, want %v", roles, want)
			}
		})
	}
}
