package redsettest_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

// Namespace URIs of WS-Management answers, matched by URI, never by prefix.
const (
	wsmanNSSOAP  = "http://www.w3.org/2003/05/soap-envelope"
	wsmanNSWSA   = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	wsmanNSWSEN  = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	wsmanNSWSMan = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	wsmanNSWSMID = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
	wsmanNSXSI   = "http://www.w3.org/2001/XMLSchema-instance"
	wsmanNSCIMEr = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error"
)

// Actions of the requests the tests build.
const (
	wsmanActGet       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
	wsmanActPut       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Put"
	wsmanActEnumerate = wsmanNSWSEN + "/Enumerate"
	wsmanActPull      = wsmanNSWSEN + "/Pull"
	wsmanActRelease   = wsmanNSWSEN + "/Release"
)

// Resource URIs of the model's classes.
const (
	wsmanNamespace = "root/hypervcluster/v2"
	wsmanWMIPrefix = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/"
	wsmanSetURI    = wsmanWMIPrefix + "Msvm_RedundancySet"
	wsmanSystemURI = wsmanWMIPrefix + "Msvm_ComputerSystem"
	wsmanDMTFSet   = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/Msvm_RedundancySet"
	wsmanAnonymous = wsmanNSWSA + "/role/anonymous"
)

// The model the fixtures were recorded against (testdata/fixtures/README.md): set
// Microsoft:RS-1 of vm-a (in service) and vm-b (hot spare), reached by user
// "user" with password "pass". vm-b is Degraded, so RS-1 is 3 Degraded
// Redundancy, the status the recorded Put echoes. Microsoft:RS-2, an N+1
// set of vm-c and vm-d (all OK, 2 Fully Redundant), shows that
// enumerations return every set and filters only the matching ones.
const (
	wsmanRS1      = "Microsoft:RS-1"
	wsmanRS2      = "Microsoft:RS-2"
	wsmanUser     = "user"
	wsmanPassword = "pass"
)

// wsmanUpdate reports whether golden answers are to be rewritten (-update).
// The flag is shared with the package's other golden tests: it is defined
// here only when no other file of the package has defined it first.
var wsmanUpdate = wsmanUpdateFlag()

func wsmanUpdateFlag() func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden answers under testdata")
	}
	return func() bool { return flag.Lookup("update").Value.String() == "true" }
}

// wsmanPasswordHash is a bcrypt hash of the fixtures' password "pass" at
// bcrypt's lowest cost (4). The server checks it like any other hash; one
// made by auth.HashPassword, at the default cost, takes about half a
// second to check under the race detector, on every server's first
// request.
const wsmanPasswordHash = "$2a$04$0J4J1rdYkedKOCvVmUZEBObxJ5VN7pAh9715HauNkNpPJJF6xQCDm"

// wsmanFixtureUser adds the fixtures' user, an administrator, to a
// server's configuration.
func wsmanFixtureUser(c *server.Config) {
	c.Users = append(c.Users, server.User{Name: wsmanUser, Role: string(auth.Admin), PasswordHash: wsmanPasswordHash})
}

// wsmanStartFixtureServer starts a server holding the fixtures' model, with
// OrgID "Microsoft" and the fixtures' user.
func wsmanStartFixtureServer(t testing.TB) *redsettest.Server {
	t.Helper()
	srv := redsettest.Start(t, redsettest.Options{Edit: func(c *server.Config) {
		c.OrgID = "Microsoft"
		wsmanFixtureUser(c)
	}})
	wsmanResetModel(t, srv.Engine())
	return srv
}

// wsmanStartDemoServer starts a server with the demo sets and the
// fixtures' user.
func wsmanStartDemoServer(t testing.TB) *redsettest.Server {
	t.Helper()
	return redsettest.Start(t, redsettest.Options{Demo: true, Edit: wsmanFixtureUser})
}

// wsmanResetModel (re)creates the fixtures' model: the members with their
// health and the two sets with their roles. A model that requests left as
// it was is kept, which saves a few dozen store commits.
func wsmanResetModel(t testing.TB, eng *engine.Engine) {
	t.Helper()
	if wsmanModelIntact(eng) {
		return
	}
	ctx := context.Background()
	for _, id := range []string{wsmanRS1, wsmanRS2} {
		if err := eng.DeleteSet(ctx, id); err != nil && !errors.Is(err, engine.ErrNotFound) {
			t.Fatalf("DeleteSet(%s): %v", id, err)
		}
	}
	for _, n := range []string{"vm-a", "vm-b", "vm-c", "vm-d"} {
		if _, err := eng.PutMember(ctx, engine.Member{Name: n}); err != nil {
			t.Fatalf("PutMember(%s): %v", n, err)
		}
		h := engine.HealthOK
		if n == "vm-b" {
			h = engine.HealthDegraded
		}
		if err := eng.ReportHealth(n, engine.Report{State: h, Source: "test"}); err != nil {
			t.Fatalf("ReportHealth(%s): %v", n, err)
		}
	}
	wsmanCreateSet(t, eng, engine.Set{InstanceID: wsmanRS1, ElementName: "Redundancy set " + wsmanRS1,
		TypeOfSet: []uint16{engine.TypeSparing}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1},
		[]string{"vm-a"}, []string{"vm-b"})
	wsmanCreateSet(t, eng, engine.Set{InstanceID: wsmanRS2, ElementName: "Redundancy set " + wsmanRS2,
		TypeOfSet: []uint16{engine.TypeNPlus1}, OtherTypeOfSet: []string{""}, MinNumberNeeded: 1},
		[]string{"vm-c", "vm-d"}, nil)
}

// wsmanModelIntact reports whether the engine holds exactly the fixtures'
// model: the two sets with their first load balancing setting and roles,
// and the members' health.
func wsmanModelIntact(eng *engine.Engine) bool {
	sets, err := eng.ListSets()
	if err != nil || len(sets) != 2 || sets[0].InstanceID != wsmanRS1 || sets[1].InstanceID != wsmanRS2 {
		return false
	}
	want := map[string]engine.RoleKind{"vm-a": engine.RoleInService, "vm-b": engine.RoleSpare,
		"vm-c": engine.RoleInService, "vm-d": engine.RoleInService}
	health := map[string]engine.Health{"vm-b": engine.HealthDegraded}
	for _, s := range sets {
		if s.LoadBalanceAlgorithm != engine.LBNone || s.OtherLoadBalanceAlgorithm != "" {
			return false
		}
		for _, m := range s.Members {
			if m.Role.Kind != want[m.Name] || m.Health.State != wsmanHealthOr(health[m.Name], engine.HealthOK) {
				return false
			}
			delete(want, m.Name)
		}
	}
	return len(want) == 0
}

func wsmanHealthOr(h, fallback engine.Health) engine.Health {
	if h == engine.HealthUnknown {
		return fallback
	}
	return h
}

// wsmanCreateSet creates a set with in-service members and hot spares
// (failover Both).
func wsmanCreateSet(t testing.TB, eng *engine.Engine, set engine.Set, active, spares []string) {
	t.Helper()
	ctx := context.Background()
	if _, err := eng.CreateSet(ctx, set); err != nil {
		t.Fatalf("CreateSet(%s): %v", set.InstanceID, err)
	}
	add := func(name string, role engine.Role) {
		if _, err := eng.AddToSet(ctx, set.InstanceID, name, role); err != nil {
			t.Fatalf("AddToSet(%s, %s): %v", set.InstanceID, name, err)
		}
	}
	for _, n := range active {
		add(n, engine.Role{Kind: engine.RoleInService})
	}
	for _, n := range spares {
		add(n, engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{
			SpareStatus: engine.SpareHot, FailoverSupported: engine.FailoverBoth}})
	}
}

// wsmanRole returns a member's role in a set as the engine holds it.
func wsmanRole(t testing.TB, eng *engine.Engine, setID, member string) engine.RoleKind {
	t.Helper()
	v, err := eng.GetSet(setID)
	if err != nil {
		t.Fatalf("GetSet(%s): %v", setID, err)
	}
	for _, m := range v.Members {
		if m.Name == member {
			return m.Role.Kind
		}
	}
	t.Fatalf("%s is not a member of %s", member, setID)
	return 0
}

// wsmanLoadBalance returns a set's LoadBalanceAlgorithm as the engine holds
// it.
func wsmanLoadBalance(t testing.TB, eng *engine.Engine, setID string) uint16 {
	t.Helper()
	v, err := eng.GetSet(setID)
	if err != nil {
		t.Fatalf("GetSet(%s): %v", setID, err)
	}
	return v.LoadBalanceAlgorithm
}

// ---- a WS-Management client over a kept-alive connection ----

// wsmanClient posts envelopes to a running server's /wsman with Basic
// credentials.
type wsmanClient struct {
	url        string
	user, pass string
	hc         *http.Client
}

func newWSManClient(srv *redsettest.Server, user, pass string) *wsmanClient {
	return &wsmanClient{url: srv.URL + "/wsman", user: user, pass: pass,
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
}

// post sends an envelope and returns the HTTP status and the answer.
func (c *wsmanClient) post(t testing.TB, envelope string) (int, []byte) {
	t.Helper()
	status, body, err := c.send(envelope)
	if err != nil {
		t.Fatalf("POST /wsman: %v", err)
	}
	return status, body
}

func (c *wsmanClient) send(envelope string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(envelope))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// call sends an envelope that must succeed and returns the answer's Body.
func (c *wsmanClient) call(t testing.TB, envelope string) *wsmanNode {
	t.Helper()
	status, body := c.post(t, envelope)
	doc := wsmanParse(t, body)
	if status != http.StatusOK {
		t.Fatalf("HTTP %d, want 200: %s", status, wsmanFaultOf(doc))
	}
	return doc.find(wsmanNSSOAP, "Body")
}

// fault sends an envelope that must fail and returns the fault.
func (c *wsmanClient) fault(t testing.TB, envelope string) wsmanFault {
	t.Helper()
	status, body := c.post(t, envelope)
	doc := wsmanParse(t, body)
	f := wsmanFaultOf(doc)
	if status != http.StatusInternalServerError || f.Code == "" {
		t.Fatalf("HTTP %d, want 500 with a SOAP fault: %s", status, body)
	}
	return f
}

// wsmanMsg builds a request envelope with the prefixes openwsman uses.
type wsmanMsg struct {
	Action    string
	URI       string
	Selectors []string // name, value, name, value ...
	Header    string   // more header elements
	Body      string
}

var wsmanMessageSeq atomic.Int64

func (m wsmanMsg) String() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="` + wsmanNSSOAP +
		`" xmlns:a="` + wsmanNSWSA + `" xmlns:w="` + wsmanNSWSMan + `" xmlns:n="` + wsmanNSWSEN + `"><s:Header>`)
	fmt.Fprintf(&b, `<a:Action s:mustUnderstand="true">%s</a:Action><a:To>http://127.0.0.1/wsman</a:To>`, m.Action)
	fmt.Fprintf(&b, `<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>`, m.URI)
	fmt.Fprintf(&b, `<a:MessageID>uuid:00000000-0000-4000-8000-%012d</a:MessageID>`, wsmanMessageSeq.Add(1))
	b.WriteString(`<a:ReplyTo><a:Address>` + wsmanAnonymous + `</a:Address></a:ReplyTo>`)
	if len(m.Selectors) > 0 {
		b.WriteString(`<w:SelectorSet>`)
		for i := 0; i+1 < len(m.Selectors); i += 2 {
			fmt.Fprintf(&b, `<w:Selector Name="%s">%s</w:Selector>`, m.Selectors[i], wsmanEscape(m.Selectors[i+1]))
		}
		b.WriteString(`</w:SelectorSet>`)
	}
	b.WriteString(m.Header + `</s:Header><s:Body>` + m.Body + `</s:Body></s:Envelope>`)
	return b.String()
}

func wsmanEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// wsmanSystemEPR writes the endpoint reference of member name's
// Msvm_ComputerSystem inside an element called elem.
func wsmanSystemEPR(elem, name string) string {
	return `<p:` + elem + `><a:Address>` + wsmanAnonymous + `</a:Address><a:ReferenceParameters>` +
		`<w:ResourceURI>` + wsmanSystemURI + `</w:ResourceURI><w:SelectorSet>` +
		`<w:Selector Name="CreationClassName">Msvm_ComputerSystem</w:Selector>` +
		`<w:Selector Name="Name">` + wsmanEscape(name) + `</w:Selector></w:SelectorSet>` +
		`</a:ReferenceParameters></p:` + elem + `>`
}

// wsmanFailoverMsg is an Invoke of Failover on a set.
func wsmanFailoverMsg(setID, from, to string) wsmanMsg {
	return wsmanMsg{Action: wsmanSetURI + "/Failover", URI: wsmanSetURI, Selectors: []string{"InstanceID", setID},
		Body: `<p:Failover_INPUT xmlns:p="` + wsmanSetURI + `">` + wsmanSystemEPR("FailoverFrom", from) +
			wsmanSystemEPR("FailoverTo", to) + `</p:Failover_INPUT>`}
}

// wsmanEnumerateAll runs an enumeration to its end: Enumerate with
// enumBody's children, then Pulls of pullMax items until the answer says
// EndOfSequence. It returns the items (instances, EPRs or w:Item).
func (c *wsmanClient) enumerateAll(t testing.TB, uri, enumChildren string, pullMax int) []*wsmanNode {
	t.Helper()
	body := c.call(t, wsmanMsg{Action: wsmanActEnumerate, URI: uri, Body: `<n:Enumerate>` + enumChildren + `</n:Enumerate>`}.String())
	resp := body.find(wsmanNSWSEN, "EnumerateResponse")
	if resp == nil {
		t.Fatalf("no EnumerateResponse in %s", body)
	}
	items := wsmanItems(resp)
	ctx := resp.childText("EnumerationContext")
	for guard := 0; resp.find(wsmanNSWSMan, "EndOfSequence") == nil && resp.find(wsmanNSWSEN, "EndOfSequence") == nil; guard++ {
		if guard > 10000 {
			t.Fatal("the enumeration does not end")
		}
		pull := fmt.Sprintf(`<n:Pull><n:EnumerationContext>%s</n:EnumerationContext><n:MaxElements>%d</n:MaxElements></n:Pull>`, ctx, pullMax)
		body = c.call(t, wsmanMsg{Action: wsmanActPull, URI: uri, Body: pull}.String())
		resp = body.find(wsmanNSWSEN, "PullResponse")
		if resp == nil {
			t.Fatalf("no PullResponse in %s", body)
		}
		items = append(items, wsmanItems(resp)...)
		if next := resp.childText("EnumerationContext"); next != "" {
			ctx = next
		}
	}
	return items
}

// wsmanItems returns the children of the Items element of an answer.
func wsmanItems(resp *wsmanNode) []*wsmanNode {
	var out []*wsmanNode
	if resp == nil {
		return nil
	}
	for _, k := range resp.Kids {
		if k.Name.Local == "Items" {
			out = append(out, k.Kids...)
		}
	}
	return out
}

// ---- reading answers ----

// wsmanNode is an element of an answer, its name resolved to its
// namespace URI.
type wsmanNode struct {
	Name  xml.Name
	Attrs []xml.Attr
	Text  string
	Kids  []*wsmanNode
}

// wsmanParse reads an answer into a tree, failing the test when it is not
// well-formed XML.
func wsmanParse(t testing.TB, data []byte) *wsmanNode {
	t.Helper()
	n, err := wsmanParseBytes(data)
	if err != nil {
		t.Fatalf("the answer is not well-formed XML: %v\n%s", err, data)
	}
	return n
}

func wsmanParseBytes(data []byte) (*wsmanNode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []*wsmanNode
	var root *wsmanNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &wsmanNode{Name: tk.Name, Attrs: tk.Attr}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.Kids = append(top.Kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tk)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// find returns the first element (n itself or a descendant, depth first)
// with the name, or nil.
func (n *wsmanNode) find(space, local string) *wsmanNode {
	if n == nil {
		return nil
	}
	if n.Name.Local == local && (space == "" || n.Name.Space == space) {
		return n
	}
	for _, k := range n.Kids {
		if f := k.find(space, local); f != nil {
			return f
		}
	}
	return nil
}

// findAll returns every element with the name, depth first.
func (n *wsmanNode) findAll(space, local string) []*wsmanNode {
	if n == nil {
		return nil
	}
	var out []*wsmanNode
	if n.Name.Local == local && (space == "" || n.Name.Space == space) {
		out = append(out, n)
	}
	for _, k := range n.Kids {
		out = append(out, k.findAll(space, local)...)
	}
	return out
}

// childText returns the trimmed text of the first child with the local
// name, or "".
func (n *wsmanNode) childText(local string) string {
	if n == nil {
		return ""
	}
	for _, k := range n.Kids {
		if k.Name.Local == local {
			return strings.TrimSpace(k.Text)
		}
	}
	return ""
}

func (n *wsmanNode) attr(local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// String writes the element back as XML, for failure messages.
func (n *wsmanNode) String() string {
	if n == nil {
		return "<nil>"
	}
	var b strings.Builder
	n.write(&b)
	return b.String()
}

func (n *wsmanNode) write(b *strings.Builder) {
	b.WriteString("<" + n.Name.Local + ">")
	b.WriteString(strings.TrimSpace(n.Text))
	for _, k := range n.Kids {
		k.write(b)
	}
	b.WriteString("</" + n.Name.Local + ">")
}

// wsmanProps reads an instance element (DSP0230): each property's values in
// order, text for scalars, "nil" for xsi:nil, and for endpoint references
// "Class{key=value,...}".
func wsmanProps(inst *wsmanNode) map[string][]string {
	out := map[string][]string{}
	for _, p := range inst.Kids {
		out[p.Name.Local] = append(out[p.Name.Local], wsmanValue(p))
	}
	return out
}

func wsmanValue(p *wsmanNode) string {
	if v, ok := p.attr("nil"); ok && v == "true" {
		return "nil"
	}
	if p.find(wsmanNSWSA, "ReferenceParameters") != nil {
		return wsmanEPRText(p)
	}
	return strings.TrimSpace(p.Text)
}

// wsmanEPRText names the resource an endpoint reference points at:
// "Class{key=value,...}" with the keys in the order given.
func wsmanEPRText(epr *wsmanNode) string {
	uri := strings.TrimSpace(epr.find(wsmanNSWSMan, "ResourceURI").Text)
	var keys []string
	for _, s := range epr.findAll(wsmanNSWSMan, "Selector") {
		name, _ := s.attr("Name")
		keys = append(keys, name+"="+strings.TrimSpace(s.Text))
	}
	return uri[strings.LastIndexByte(uri, '/')+1:] + "{" + strings.Join(keys, ",") + "}"
}

// wsmanFault is what a SOAP fault says.
type wsmanFault struct {
	Code, Subcode, Reason, Detail, CIMStatus string
}

func (f wsmanFault) String() string {
	return fmt.Sprintf("fault %s/%s (%s) detail %q CIM status %q", f.Code, f.Subcode, f.Reason, f.Detail, f.CIMStatus)
}

// wsmanFaultOf reads the fault of an answer; a zero fault when it has none.
func wsmanFaultOf(doc *wsmanNode) wsmanFault {
	fault := doc.find(wsmanNSSOAP, "Fault")
	if fault == nil {
		return wsmanFault{}
	}
	var f wsmanFault
	if code := fault.find(wsmanNSSOAP, "Code"); code != nil {
		f.Code = code.childText("Value")
		f.Subcode = code.find(wsmanNSSOAP, "Subcode").childText("Value")
	}
	f.Reason = fault.find(wsmanNSSOAP, "Reason").childText("Text")
	if d := fault.find(wsmanNSWSMan, "FaultDetail"); d != nil {
		f.Detail = strings.TrimSpace(d.Text)
	}
	f.CIMStatus = fault.find(wsmanNSCIMEr, "CIM_Error").childText("CIMStatusCode")
	return f
}

// wsmanLocal strips a QName's prefix ("w:InvalidSelectors" -> "InvalidSelectors").
func wsmanLocal(qname string) string {
	return qname[strings.IndexByte(qname, ':')+1:]
}

// wsmanInstanceIDs returns the InstanceID of each instance (or EPR, or
// w:Item) of items, sorted.
func wsmanInstanceIDs(items []*wsmanNode) []string {
	var ids []string
	for _, it := range items {
		switch {
		case it.Name.Local == "Item":
			ids = append(ids, wsmanInstanceIDs(it.Kids[:1])...)
		case it.Name.Local == "EndpointReference":
			for _, s := range it.findAll(wsmanNSWSMan, "Selector") {
				if name, _ := s.attr("Name"); name == "InstanceID" {
					ids = append(ids, strings.TrimSpace(s.Text))
				}
			}
		default:
			ids = append(ids, it.childText("InstanceID"))
		}
	}
	slices.Sort(ids)
	return ids
}

// wsmanRequireInterop skips a test whose client is missing, or fails it
// when REDSET_REQUIRE_INTEROP=1.
func wsmanRequireInterop(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("REDSET_REQUIRE_INTEROP") == "1" {
		t.Fatal(msg + " (REDSET_REQUIRE_INTEROP=1)")
	}
	t.Skip(msg + "; set REDSET_REQUIRE_INTEROP=1 to make this a failure")
}
