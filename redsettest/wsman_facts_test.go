package redsettest_test

import (
	"bytes"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// wsmanAnswer is one replayed request and the server's answer.
type wsmanAnswer struct {
	srv  *redsettest.Server
	req  []byte // the raw HTTP request
	resp *http.Response
	body []byte
}

// doc parses the answer; an answer that is not XML fails the test.
func (a *wsmanAnswer) doc(t *testing.T) *wsmanNode {
	t.Helper()
	return wsmanParse(t, a.body)
}

// requestMessageID reads the wsa:MessageID of the request.
func (a *wsmanAnswer) requestMessageID(t *testing.T) string {
	t.Helper()
	i := bytes.Index(a.req, []byte("\r\n\r\n"))
	doc, err := wsmanParseBytes(a.req[i+4:])
	if err != nil {
		t.Fatalf("the request is not XML: %v", err)
	}
	return strings.TrimSpace(doc.find(wsmanNSWSA, "MessageID").Text)
}

// success checks an answer of HTTP 200 relating to the request and
// returns its body.
func (a *wsmanAnswer) success(t *testing.T) *wsmanNode {
	t.Helper()
	doc := a.doc(t)
	if a.resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d, want 200: %s", a.resp.StatusCode, wsmanFaultOf(doc))
	}
	a.checkRelatesTo(t, doc)
	return doc.find(wsmanNSSOAP, "Body")
}

func (a *wsmanAnswer) checkRelatesTo(t *testing.T, doc *wsmanNode) {
	t.Helper()
	got := strings.TrimSpace(doc.find(wsmanNSWSA, "RelatesTo").Text)
	if want := a.requestMessageID(t); got != want {
		t.Errorf("RelatesTo %q, want the request's MessageID %q", got, want)
	}
}

// wsmanFact checks the key facts of one answer.
type wsmanFact func(t *testing.T, a *wsmanAnswer)

// wsmanFacts are the facts of each fixture's answer, by fixture name. The
// first request of every wsman CLI run carries no credentials (see
// wsmanFixtureFact).
var wsmanFacts = map[string]wsmanFact{
	"wsman--Identify--2": wsmanWantIdentify,

	"wsman--Enumerate--2":                          wsmanWantOpened(""),
	"wsman--Enumerate-PullMaxElements--2":          wsmanWantOpened(""),
	"wsman--Enumerate-DMTFResourceURI--2":          wsmanWantOpened(""),
	"wsman--Enumerate-AssociatedInstances--2":      wsmanWantOpened(""),
	"wsman--Enumerate-AssociationInstances--2":     wsmanWantOpened(""),
	"wsman--Enumerate-EnumerateEPR--2":             wsmanWantOpened("#EPR"),
	"wsman--Enumerate-EnumerateObjectAndEPR--2":    wsmanWantOpened("#ObjectAndEPR"),
	"wsman--Enumerate-WQLFilter--2":                wsmanWantOpened("#Query"),
	"wsman--Enumerate-SelectorFilter--2":           wsmanWantOpened("#Query"),
	"wsman-messages--Enumerate--1":                 wsmanWantOpened(""),
	"wsman-messages--Enumerate-DMTFResourceURI--1": wsmanWantOpened(""),
	"wsman--Enumerate-Optimized-MaxElements--2":    wsmanWantOptimized(wsmanRS1, wsmanRS2),

	"wsman--Enumerate--3":                       wsmanWantInvalidContext,
	"wsman--Enumerate-PullMaxElements--3":       wsmanWantInvalidContext,
	"wsman--Enumerate-DMTFResourceURI--3":       wsmanWantInvalidContext,
	"wsman--Enumerate-AssociatedInstances--3":   wsmanWantInvalidContext,
	"wsman--Enumerate-AssociationInstances--3":  wsmanWantInvalidContext,
	"wsman--Enumerate-EnumerateEPR--3":          wsmanWantInvalidContext,
	"wsman--Enumerate-EnumerateObjectAndEPR--3": wsmanWantInvalidContext,
	"wsman--Enumerate-WQLFilter--3":             wsmanWantInvalidContext,
	"wsman--Enumerate-SelectorFilter--3":        wsmanWantInvalidContext,
	"wsman--Release--2":                         wsmanWantInvalidContext,
	"wsman-messages--Pull--1":                   wsmanWantInvalidContext,

	"wsman--Get--2": wsmanWantRS1(wsmanSetURI, 2),
	"wsman--Get-EnvelopeSize-Timeout-Locale--2": wsmanWantRS1(wsmanSetURI, 2),
	"wsman--Put-GetThenPut--2":                  wsmanWantRS1(wsmanSetURI, 2),
	"wsman--Get-DMTFResourceURI--2":             wsmanWantRS1(wsmanDMTFSet, 2),
	"wsman-messages--Get--1":                    wsmanWantRS1(wsmanSetURI, 2),
	"python3-winrm--Get--1":                     wsmanWantRS1(wsmanSetURI, 2),

	"wsman--Put-GetThenPut--3": wsmanWantPut,
	"wsman--Put-InputFile--2":  wsmanWantPut,
	"wsman-messages--Put--1":   wsmanWantPut,

	"wsman--Invoke-Failover--2":          wsmanWantFailedOver,
	"wsman-messages--Invoke-Failover--1": wsmanWantFailedOver,

	"wsman--Create--2":          wsmanWantNotSupported,
	"wsman-messages--Create--1": wsmanWantNotSupported,
	"wsman--Delete--2":          wsmanWantNotSupported,
	"wsman-messages--Delete--1": wsmanWantNotSupported,
}

// wsmanFixtureFact returns the facts of a fixture's answer. The first
// request of each wsman CLI run (NAME--1) carries no credentials:
// openwsman waits for the Basic challenge.
func wsmanFixtureFact(file string) (wsmanFact, bool) {
	name := strings.TrimSuffix(file, ".http")
	if strings.HasPrefix(name, "wsman--") && strings.HasSuffix(name, "--1") {
		return wsmanWantChallenge, true
	}
	f, ok := wsmanFacts[name]
	return f, ok
}

// wsmanFactNames lists the fixtures that have facts, sorted.
func wsmanFactNames() []string {
	var names []string
	for n := range wsmanFacts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func wsmanWantChallenge(t *testing.T, a *wsmanAnswer) {
	if a.resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("HTTP %d, want 401", a.resp.StatusCode)
	}
	if got := a.resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic realm=") {
		t.Errorf("WWW-Authenticate %q, want a Basic challenge", got)
	}
}

func wsmanWantIdentify(t *testing.T, a *wsmanAnswer) {
	doc := a.doc(t)
	id := doc.find(wsmanNSWSMID, "IdentifyResponse")
	if a.resp.StatusCode != http.StatusOK || id == nil {
		t.Fatalf("HTTP %d without IdentifyResponse: %s", a.resp.StatusCode, a.body)
	}
	got := []string{id.childText("ProtocolVersion"), id.childText("ProductVendor"),
		strings.TrimSpace(id.find(wsmanNSWSMID, "SecurityProfileName").Text)}
	want := []string{wsmanNSWSMan, "redset", "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Identify (-want +got):\n%s", diff)
	}
	if id.childText("ProductVersion") == "" {
		t.Error("an authenticated Identify names no ProductVersion")
	}
}

// wsmanWantOpened checks an EnumerateResponse that opened an enumeration
// without items: its context carries the tag of its mode.
func wsmanWantOpened(tag string) wsmanFact {
	return func(t *testing.T, a *wsmanAnswer) {
		resp := a.success(t).find(wsmanNSWSEN, "EnumerateResponse")
		ctx := resp.childText("EnumerationContext")
		id, gotTag, _ := strings.Cut(ctx, "#")
		if gotTag != "" {
			gotTag = "#" + gotTag
		}
		if len(id) != 32 || gotTag != tag {
			t.Errorf("EnumerationContext %q, want 32 hex digits and %q", ctx, tag)
		}
		if items := wsmanItems(resp); len(items) > 0 || resp.find("", "EndOfSequence") != nil {
			t.Errorf("a plain Enumerate answered %d items or EndOfSequence", len(items))
		}
	}
}

func wsmanWantOptimized(ids ...string) wsmanFact {
	return func(t *testing.T, a *wsmanAnswer) {
		resp := a.success(t).find(wsmanNSWSEN, "EnumerateResponse")
		if diff := cmp.Diff(ids, wsmanInstanceIDs(wsmanItems(resp))); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if resp.find(wsmanNSWSMan, "EndOfSequence") == nil || resp.childText("EnumerationContext") != "" {
			t.Errorf("a finished optimized enumeration needs wsman:EndOfSequence and an empty context: %s", resp)
		}
	}
}

// wsmanWantFault checks a SOAP fault: HTTP 500, RelatesTo, the code and
// subcode.
func wsmanWantFault(t *testing.T, a *wsmanAnswer, code, subcode string) wsmanFault {
	t.Helper()
	doc := a.doc(t)
	f := wsmanFaultOf(doc)
	if a.resp.StatusCode != http.StatusInternalServerError || f.Code != code || wsmanLocal(f.Subcode) != subcode {
		t.Errorf("HTTP %d %s, want 500 with %s/%s", a.resp.StatusCode, f, code, subcode)
	}
	a.checkRelatesTo(t, doc)
	return f
}

// wsmanWantInvalidContext: the recording server invented the contexts of
// these Pulls and Releases; redset never issued them.
func wsmanWantInvalidContext(t *testing.T, a *wsmanAnswer) {
	f := wsmanWantFault(t, a, "s:Receiver", "InvalidEnumerationContext")
	if f.CIMStatus != "21" {
		t.Errorf("CIM status %q, want 21 (CIM_ERR_INVALID_ENUMERATION_CONTEXT)", f.CIMStatus)
	}
}

// wsmanWantRS1 checks that the answer is Microsoft:RS-1 as the model holds
// it, in the namespace of the resource URI style asked for.
func wsmanWantRS1(classURI string, lb uint16) wsmanFact {
	return func(t *testing.T, a *wsmanAnswer) {
		wsmanCheckRS1(t, a.success(t), classURI, lb)
	}
}

func wsmanCheckRS1(t *testing.T, body *wsmanNode, classURI string, lb uint16) {
	t.Helper()
	inst := body.find(classURI, "Msvm_RedundancySet")
	if inst == nil {
		t.Fatalf("no Msvm_RedundancySet in namespace %s: %s", classURI, body)
	}
	got := wsmanProps(inst)
	want := map[string][]string{
		"InstanceID": {wsmanRS1}, "Caption": {"nil"}, "Description": {"nil"},
		"ElementName": {"Redundancy set " + wsmanRS1}, "RedundancyStatus": {"3"}, "TypeOfSet": {"4"},
		"OtherTypeOfSet": {"nil"}, "MinNumberNeeded": {"1"}, "MaxNumberSupported": {"0"},
		"VendorIdentifyingInfo": {"nil"}, "LoadBalanceAlgorithm": {strconv.Itoa(int(lb))}, "OtherLoadBalanceAlgorithm": {"nil"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Msvm_RedundancySet (-want +got):\n%s", diff)
	}
}

// wsmanWantPut: the answer is the instance as it now is, and the engine
// holds the new LoadBalanceAlgorithm, 3 Round Robin.
func wsmanWantPut(t *testing.T, a *wsmanAnswer) {
	body := a.success(t)
	if doc := a.doc(t); strings.TrimSpace(doc.find(wsmanNSWSA, "Action").Text) != wsmanActPut+"Response" {
		t.Errorf("Action is not PutResponse: %s", doc.find(wsmanNSWSA, "Action"))
	}
	wsmanCheckRS1(t, body, wsmanSetURI, engine.LBRoundRobin)
	if got := wsmanLoadBalance(t, a.srv.Engine(), wsmanRS1); got != engine.LBRoundRobin {
		t.Errorf("engine: LoadBalanceAlgorithm %d, want 3", got)
	}
}

// wsmanWantFailedOver: ReturnValue 0 and the roles swapped in the engine.
func wsmanWantFailedOver(t *testing.T, a *wsmanAnswer) {
	out := a.success(t).find(wsmanSetURI, "Failover_OUTPUT")
	if got := out.childText("ReturnValue"); got != "0" {
		t.Errorf("ReturnValue %q, want 0: %s", got, out)
	}
	eng := a.srv.Engine()
	got := []engine.RoleKind{wsmanRole(t, eng, wsmanRS1, "vm-a"), wsmanRole(t, eng, wsmanRS1, "vm-b")}
	if want := []engine.RoleKind{engine.RoleSpare, engine.RoleInService}; !slices.Equal(got, want) {
		t.Errorf("engine: roles of vm-a, vm-b %v, want %v", got, want)
	}
}

// wsmanWantNotSupported: sets are created and deleted through redset's own
// API, so WS-Transfer Create and Delete are refused and change nothing.
func wsmanWantNotSupported(t *testing.T, a *wsmanAnswer) {
	f := wsmanWantFault(t, a, "s:Sender", "ActionNotSupported")
	if f.CIMStatus != "7" {
		t.Errorf("CIM status %q, want 7 (CIM_ERR_NOT_SUPPORTED)", f.CIMStatus)
	}
	sets, err := a.srv.Engine().ListSets()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range sets {
		ids = append(ids, s.InstanceID)
	}
	if want := []string{wsmanRS1, wsmanRS2}; !slices.Equal(ids, want) {
		t.Errorf("engine: sets %v, want %v", ids, want)
	}
}
