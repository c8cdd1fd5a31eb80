package wsman

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cimom"
)

// enumPart is what tests read of an EnumerateResponse or PullResponse.
type enumPart struct {
	Context *string `xml:"EnumerationContext"`
	Items   struct {
		Sets []struct {
			InstanceID string `xml:"InstanceID"`
		} `xml:"Msvm_RedundancySet"`
		EPRs []struct {
			Selectors []string `xml:"ReferenceParameters>SelectorSet>Selector"`
		} `xml:"EndpointReference"`
		Both []struct {
			ID  string   `xml:"Msvm_RedundancySet>InstanceID"`
			Sel []string `xml:"EndpointReference>ReferenceParameters>SelectorSet>Selector"`
		} `xml:"Item"`
	} `xml:"Items"`
	End *struct{} `xml:"EndOfSequence"`
}

// enumResult summarizes one answer: the context sent ("-" for none), the
// items as text, and whether the sequence ended.
type enumResult struct {
	Context string
	Items   []string
	End     bool
}

func readEnum(t *testing.T, body []byte) enumResult {
	t.Helper()
	var env struct {
		Body struct {
			Enumerate *enumPart `xml:"EnumerateResponse"`
			Pull      *enumPart `xml:"PullResponse"`
		} `xml:"Body"`
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		t.Fatalf("%v:\n%s", err, body)
	}
	p := env.Body.Enumerate
	if p == nil {
		p = env.Body.Pull
	}
	if p == nil {
		t.Fatalf("no enumeration answer:\n%s", body)
	}
	r := enumResult{Context: "-", End: p.End != nil}
	if p.Context != nil {
		r.Context = *p.Context
	}
	for _, s := range p.Items.Sets {
		r.Items = append(r.Items, s.InstanceID)
	}
	for _, e := range p.Items.EPRs {
		r.Items = append(r.Items, "EPR "+strings.Join(e.Selectors, ","))
	}
	for _, b := range p.Items.Both {
		r.Items = append(r.Items, b.ID+" + EPR "+strings.Join(b.Sel, ","))
	}
	return r
}

func enumerateXML(children string) string { return `<n:Enumerate>` + children + `</n:Enumerate>` }

func pullBody(ctx string, max int) string {
	m := ""
	if max > 0 {
		m = `<n:MaxElements>` + strconv.Itoa(max) + `</n:MaxElements>`
	}
	return `<n:Pull><n:EnumerationContext>` + ctx + `</n:EnumerationContext>` + m + `</n:Pull>`
}

type step struct {
	name    string
	req     *http.Request
	want    enumResult
	wantOps []cimom.Operation // operations the object manager saw for this step
}

// runSteps sends requests in order to one handler and checks each answer.
func runSteps(t *testing.T, fake *fakeCIMOM, steps []step) {
	t.Helper()
	h := newTestHandler(fake, Options{})
	for _, s := range steps {
		before := len(fake.requests)
		rec := serve(h, s.req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d:\n%s", s.name, rec.Code, rec.Body)
		}
		if diff := cmp.Diff(s.want, readEnum(t, rec.Body.Bytes())); diff != "" {
			t.Errorf("%s: answer (-want +got):\n%s", s.name, diff)
		}
		var ops []cimom.Operation
		for _, r := range fake.requests[before:] {
			ops = append(ops, r.Op)
		}
		if diff := cmp.Diff(s.wantOps, ops); diff != "" {
			t.Errorf("%s: operations (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestEnumeratePull(t *testing.T) {
	runSteps(t, newFake(3), []step{
		{"enumerate", adminRequest(actionEnumerate, uriRS, "", enumerateXML("")),
			enumResult{Context: "ctx-1"}, []cimom.Operation{cimom.OpenEnumerateInstances}},
		{"pull 2", adminRequest(actionPull, uriRS, "", pullBody("ctx-1", 2)),
			enumResult{Context: "ctx-1", Items: []string{"Microsoft:RS-1", "Microsoft:RS-2"}}, []cimom.Operation{cimom.PullInstancesWithPath}},
		{"pull the rest", adminRequest(actionPull, uriRS, "", pullBody("ctx-1", 5)),
			enumResult{Context: "-", Items: []string{"Microsoft:RS-3"}, End: true}, []cimom.Operation{cimom.PullInstancesWithPath}},
	})
}

func TestEnumerateEPR(t *testing.T) {
	rs := func(i string) string { return "EPR Microsoft:RS-" + i }
	runSteps(t, newFake(3), []step{
		{"enumerate", adminRequest(actionEnumerate, uriRS, "", enumerateXML(`<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>`)),
			enumResult{Context: "ctx-1#EPR"}, []cimom.Operation{cimom.OpenEnumerateInstancePaths}},
		{"pull", adminRequest(actionPull, uriRS, "", pullBody("ctx-1#EPR", 3)),
			enumResult{Context: "-", Items: []string{rs("1"), rs("2"), rs("3")}, End: true}, []cimom.Operation{cimom.PullInstancePaths}},
	})
}

func TestEnumerateObjectAndEPRDMTF(t *testing.T) {
	ns := `<w:SelectorSet><w:Selector Name="__cimnamespace">root/hypervcluster/v2</w:Selector></w:SelectorSet>`
	both := func(i string) string {
		return "Microsoft:RS-" + i + " + EPR Microsoft:RS-" + i + ",root/hypervcluster/v2"
	}
	runSteps(t, newFake(3), []step{
		{"optimized enumerate", adminRequest(actionEnumerate, uriRSDMTF, ns, enumerateXML(
			`<w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode>`)),
			enumResult{Context: "ctx-1#ObjectAndEPR", Items: []string{both("1"), both("2")}}, []cimom.Operation{cimom.OpenEnumerateInstances}},
		{"pull", adminRequest(actionPull, uriRSDMTF, ns, pullBody("ctx-1#ObjectAndEPR", 0)),
			enumResult{Context: "-", Items: []string{both("3")}, End: true}, []cimom.Operation{cimom.PullInstancesWithPath}},
	})
}

func TestEnumerateQuery(t *testing.T) {
	filter := `<w:Filter Dialect="` + dialectWQL + `">SELECT * FROM Msvm_RedundancySet</w:Filter>`
	runSteps(t, newFake(3), []step{
		{"enumerate EPRs by query", adminRequest(actionEnumerate, uriAll, "", enumerateXML(filter+
			`<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>`)),
			enumResult{Context: "ctx-1#QueryEPR"}, []cimom.Operation{cimom.OpenQueryInstances}},
		{"pull", adminRequest(actionPull, uriAll, "", pullBody("ctx-1#QueryEPR", 5)),
			enumResult{Context: "-", Items: []string{"EPR Microsoft:RS-1"}, End: true}, []cimom.Operation{cimom.PullInstances}},
	})
}

// TestEnumerateNothing checks an enumeration that is empty from the start:
// the Pull and Release of its context are answered without the object
// manager.
func TestEnumerateNothing(t *testing.T) {
	release := `<n:Release><n:EnumerationContext>ended#End</n:EnumerationContext></n:Release>`
	fake := newFake(0)
	runSteps(t, fake, []step{
		{"enumerate", adminRequest(actionEnumerate, uriRS, "", enumerateXML("")),
			enumResult{Context: "ended#End"}, []cimom.Operation{cimom.OpenEnumerateInstances}},
		{"optimized enumerate", adminRequest(actionEnumerate, uriRS, "", enumerateXML(`<w:OptimizeEnumeration/>`)),
			enumResult{Context: "", End: true}, []cimom.Operation{cimom.OpenEnumerateInstances}},
		{"pull", adminRequest(actionPull, uriRS, "", pullBody("ended#End", 5)),
			enumResult{Context: "-", End: true}, nil},
	})
	rec := serve(newTestHandler(fake, Options{}), adminRequest(actionRelease, uriRS, "", release))
	if rec.Code != http.StatusOK || len(fake.requests) != 2 {
		t.Errorf("release: status %d after %d object manager calls; want 200 after 2", rec.Code, len(fake.requests))
	}
}

// TestEnvelopeFill checks that an optimized enumeration and a Pull return
// fewer items than MaxElements when more would not fit MaxEnvelopeSize, and
// never exceed it.
func TestEnvelopeFill(t *testing.T) {
	const limit = 16384
	fake := newFake(40)
	fake.padding = strings.Repeat("x", 1500)
	h := newTestHandler(fake, Options{})
	size := `<w:MaxEnvelopeSize>` + strconv.Itoa(limit) + `</w:MaxEnvelopeSize>`
	rec := serve(h, adminRequest(actionEnumerate, uriRS, size, enumerateXML(`<w:OptimizeEnumeration/><w:MaxElements>40</w:MaxElements>`)))
	first := readEnum(t, rec.Body.Bytes())
	if rec.Body.Len() > limit || len(first.Items) < 5 || len(first.Items) >= 40 || first.End {
		t.Fatalf("optimized enumerate: %d octets, %d items, ended %v; want at most %d octets, some but not all items",
			rec.Body.Len(), len(first.Items), first.End, limit)
	}
	total := len(first.Items)
	for ctx, round := first.Context, 0; ctx != "-" && round < 40; round++ {
		rec = serve(h, adminRequest(actionPull, uriRS, size, pullBody(ctx, 40)))
		if rec.Code != http.StatusOK || rec.Body.Len() > limit {
			t.Fatalf("pull: status %d, %d octets; want 200 within %d", rec.Code, rec.Body.Len(), limit)
		}
		r := readEnum(t, rec.Body.Bytes())
		total, ctx = total+len(r.Items), r.Context
	}
	if total != 40 {
		t.Errorf("got %d items in all, want 40", total)
	}
}
