package redsettest_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// The CIM namespace of the redundancy model.
const cimNamespace = "root/hypervcluster/v2"

// Keys and class names the CIM-XML tests use.
const (
	classSet    = "Msvm_RedundancySet"
	classSystem = "Msvm_ComputerSystem"
	classMOC    = "Msvm_MemberOfCollection"
)

// ---- building a model through the engine ----

// putMembers declares members without a probe: their health is whatever
// the test reports.
func putMembers(t testing.TB, eng *engine.Engine, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := eng.PutMember(context.Background(), engine.Member{Name: n}); err != nil {
			t.Fatalf("PutMember(%s): %v", n, err)
		}
	}
}

// reportHealth sets members' health; the first report of an Unknown
// member counts at once, and OK/Degraded switch at once.
func reportHealth(t testing.TB, eng *engine.Engine, h engine.Health, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := eng.ReportHealth(n, engine.Report{State: h, Source: "test"}); err != nil {
			t.Fatalf("ReportHealth(%s, %s): %v", n, h, err)
		}
	}
}

// createSet creates a set and adds its members with their roles. An
// OtherTypeOfSet left nil gets one empty entry per TypeOfSet entry (the
// two arrays are indexed together).
func createSet(t testing.TB, eng *engine.Engine, set engine.Set, roles map[string]engine.Role) {
	t.Helper()
	ctx := context.Background()
	if set.OtherTypeOfSet == nil {
		set.OtherTypeOfSet = make([]string, len(set.TypeOfSet))
	}
	if _, err := eng.CreateSet(ctx, set); err != nil {
		t.Fatalf("CreateSet(%s): %v", set.InstanceID, err)
	}
	for name, role := range roles {
		if _, err := eng.AddToSet(ctx, set.InstanceID, name, role); err != nil {
			t.Fatalf("AddToSet(%s, %s): %v", set.InstanceID, name, err)
		}
	}
}

var (
	inService = engine.Role{Kind: engine.RoleInService}
	hotSpare  = engine.Role{Kind: engine.RoleSpare, Spare: engine.SpareSettings{
		SpareStatus: engine.SpareHot, FailoverSupported: engine.FailoverBoth}}
)

// roleOf returns a member's role kind in a set, as the engine holds it.
func roleOf(t testing.TB, eng *engine.Engine, setID, member string) engine.RoleKind {
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

// waitAllOK polls until every member of the sets is OK (the demo's probes
// need a couple of seconds), failing after a deadline.
func waitAllOK(t testing.TB, eng *engine.Engine, setIDs ...string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		bad := notOK(eng, setIDs)
		if bad == "" {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("members not OK after 30s: %s", bad)
		case <-tick.C:
		}
	}
}

func notOK(eng *engine.Engine, setIDs []string) string {
	for _, id := range setIDs {
		v, err := eng.GetSet(id)
		if err != nil {
			return err.Error()
		}
		for _, m := range v.Members {
			if m.Health.State != engine.HealthOK {
				return fmt.Sprintf("%s in %s is %s", m.Name, id, m.Health.State)
			}
		}
	}
	return ""
}

// ---- a CIM-XML client over a kept-alive HTTP connection ----

// cimClient posts CIM-XML operation requests to a running server.
type cimClient struct {
	url        string
	user, pass string
	hc         *http.Client
}

func newCIMClient(srv *redsettest.Server) *cimClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true, Proxy: nil}
	return &cimClient{url: srv.URL + "/cimom", user: "admin", pass: redsettest.AdminPassword,
		hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// request builds the HTTP request of one operation; object is the
// CIMObject header (the namespace, or the target path of a method call).
func (c *cimClient) request(method, object, body string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("CIMOperation", "MethodCall")
	req.Header.Set("CIMMethod", method)
	req.Header.Set("CIMObject", object)
	return req
}

// do sends one operation and returns the answer's body; anything but
// HTTP 200 is an error.
func (c *cimClient) do(method, object, body string) ([]byte, error) {
	resp, err := c.hc.Do(c.request(method, object, body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d (CIMError %q)", resp.StatusCode, resp.Header.Get("CIMError"))
	}
	return data, nil
}

// call sends one operation and parses the answer.
func (c *cimClient) call(t testing.TB, method, object, body string) *xnode {
	t.Helper()
	data, err := c.do(method, object, body)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return parseXML(t, data)
}

// localNamespace is the LOCALNAMESPACEPATH of cimNamespace.
func localNamespace() string {
	var b strings.Builder
	b.WriteString("<LOCALNAMESPACEPATH>")
	for part := range strings.SplitSeq(cimNamespace, "/") {
		b.WriteString(`<NAMESPACE NAME="` + part + `"/>`)
	}
	b.WriteString("</LOCALNAMESPACEPATH>")
	return b.String()
}

func message(req string) string {
	return `<?xml version="1.0" encoding="utf-8" ?><CIM CIMVERSION="2.0" DTDVERSION="2.0">` +
		`<MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>` + req + `</SIMPLEREQ></MESSAGE></CIM>`
}

// intrinsicBody is an IMETHODCALL in cimNamespace.
func intrinsicBody(method, params string) string {
	return message(`<IMETHODCALL NAME="` + method + `">` + localNamespace() + params + `</IMETHODCALL>`)
}

func enumerateInstancesBody(class string) string {
	return intrinsicBody("EnumerateInstances", `<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="`+class+`"/></IPARAMVALUE>`)
}

func setNameXML(id string) string {
	return `<INSTANCENAME CLASSNAME="` + classSet + `"><KEYBINDING NAME="InstanceID"><KEYVALUE VALUETYPE="string">` +
		xmlText(id) + `</KEYVALUE></KEYBINDING></INSTANCENAME>`
}

func memberNameXML(name string) string {
	return `<INSTANCENAME CLASSNAME="` + classSystem + `">` +
		`<KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string">` + classSystem + `</KEYVALUE></KEYBINDING>` +
		`<KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">` + xmlText(name) + `</KEYVALUE></KEYBINDING></INSTANCENAME>`
}

func getInstanceBody(id string) string {
	return intrinsicBody("GetInstance", `<IPARAMVALUE NAME="InstanceName">`+setNameXML(id)+`</IPARAMVALUE>`)
}

// failoverBody is the extrinsic call Failover(FailoverFrom, FailoverTo)
// on set id.
func failoverBody(id, from, to string) string {
	ref := func(name, member string) string {
		return `<PARAMVALUE NAME="` + name + `" PARAMTYPE="reference"><VALUE.REFERENCE>` + memberNameXML(member) +
			`</VALUE.REFERENCE></PARAMVALUE>`
	}
	return message(`<METHODCALL NAME="Failover"><LOCALINSTANCEPATH>` + localNamespace() + setNameXML(id) +
		`</LOCALINSTANCEPATH>` + ref("FailoverFrom", from) + ref("FailoverTo", to) + `</METHODCALL>`)
}

// failoverObject is the CIMObject header of a Failover call on set id.
func failoverObject(id string) string {
	return cimNamespace + ":" + classSet + `.InstanceID="` + id + `"`
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ---- reading answers ----

// xnode is a parsed XML element with its attributes, children and text.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []*xnode   `xml:",any"`
	Text    string     `xml:",chardata"`
}

func parseXML(t testing.TB, data []byte) *xnode {
	t.Helper()
	var n xnode
	if err := xml.Unmarshal(data, &n); err != nil {
		t.Fatalf("answer is not XML: %v\n%s", err, data)
	}
	return &n
}

func (n *xnode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// all returns the elements called name below n, in document order (not
// looking inside a match).
func (n *xnode) all(name string) []*xnode {
	var out []*xnode
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			out = append(out, c)
			continue
		}
		out = append(out, c.all(name)...)
	}
	return out
}

// first returns the first element called name below n, or nil.
func (n *xnode) first(name string) *xnode {
	if all := n.all(name); len(all) > 0 {
		return all[0]
	}
	return nil
}

// child returns the first child element of n called name, or nil.
func (n *xnode) child(name string) *xnode {
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			return c
		}
	}
	return nil
}

// cimError returns the CODE of the answer's ERROR, or 0 when it has none.
func (n *xnode) cimError() (code int, desc string) {
	e := n.first("ERROR")
	if e == nil {
		return 0, ""
	}
	fmt.Sscan(e.attr("CODE"), &code)
	return code, e.attr("DESCRIPTION")
}

// returnValue returns the text of a METHODRESPONSE's RETURNVALUE.
func (n *xnode) returnValue() string {
	if rv := n.first("RETURNVALUE"); rv != nil {
		if v := rv.first("VALUE"); v != nil {
			return v.Text
		}
	}
	return "<none>"
}

// props returns the properties of an INSTANCE: scalar values as text,
// arrays as {a,b}, references as their key values, null as NULL.
func (n *xnode) props() map[string]string {
	out := map[string]string{}
	for _, p := range n.Nodes {
		name := p.attr("NAME")
		switch p.XMLName.Local {
		case "PROPERTY":
			out[name] = scalarText(p)
		case "PROPERTY.ARRAY":
			out[name] = arrayText(p)
		case "PROPERTY.REFERENCE":
			out[name] = keysText(p)
		}
	}
	return out
}

func scalarText(p *xnode) string {
	if v := p.first("VALUE"); v != nil {
		return v.Text
	}
	return "NULL"
}

func arrayText(p *xnode) string {
	arr := p.first("VALUE.ARRAY")
	if arr == nil {
		return "NULL"
	}
	var vals []string
	for _, v := range arr.all("VALUE") {
		vals = append(vals, v.Text)
	}
	return "{" + strings.Join(vals, ",") + "}"
}

// keysText writes the key values of the first INSTANCENAME below p as
// Class.k=v,k=v, or NULL.
func keysText(p *xnode) string {
	in := p.first("INSTANCENAME")
	if in == nil {
		return "NULL"
	}
	var kv []string
	for _, k := range in.Nodes {
		if k.XMLName.Local != "KEYBINDING" {
			continue
		}
		val := ""
		if v := k.child("KEYVALUE"); v != nil {
			val = v.Text
		} else if r := k.child("VALUE.REFERENCE"); r != nil {
			val = "(" + keysText(r) + ")"
		}
		kv = append(kv, k.attr("NAME")+"="+val)
	}
	return in.attr("CLASSNAME") + "." + strings.Join(kv, ",")
}

// instances returns the properties of every INSTANCE in the answer.
func (n *xnode) instances() []map[string]string {
	var out []map[string]string
	for _, in := range n.all("INSTANCE") {
		out = append(out, in.props())
	}
	return out
}

// instanceNames returns every INSTANCENAME of the answer as keysText.
func (n *xnode) instanceNames() []string {
	var out []string
	for _, in := range n.all("INSTANCENAME") {
		out = append(out, keysText(&xnode{Nodes: []*xnode{in}}))
	}
	return out
}

// column returns one property of every instance.
func column(insts []map[string]string, prop string) []string {
	var out []string
	for _, in := range insts {
		out = append(out, in[prop])
	}
	return out
}
