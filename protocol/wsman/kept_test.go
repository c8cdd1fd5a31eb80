package wsman

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// TestKeptEncodings checks that items of objects carrying their encodings
// are written as they would be without, in every mode and both URI
// styles, also when written a second time from what the first kept; and
// that an object whose instance was replaced is written afresh.
func TestKeptEncodings(t *testing.T) {
	ns := `<w:SelectorSet><w:Selector Name="__cimnamespace">root/hypervcluster/v2</w:Selector></w:SelectorSet>`
	var reqs []func() *http.Request
	for _, mode := range []string{"", "EnumerateEPR", "EnumerateObjectAndEPR"} {
		body := `<w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>`
		if mode != "" {
			body += `<w:EnumerationMode>` + mode + `</w:EnumerationMode>`
		}
		reqs = append(reqs,
			func() *http.Request { return adminRequest(actionEnumerate, uriRS, "", enumerateXML(body)) },
			func() *http.Request { return adminRequest(actionEnumerate, uriRSDMTF, ns, enumerateXML(body)) })
	}
	answers := func(fake *fakeCIMOM) [][]byte {
		h := newTestHandler(fake, Options{})
		var out [][]byte
		for _, r := range reqs {
			rec := serve(h, r())
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d:\n%s", rec.Code, rec.Body)
			}
			out = append(out, rec.Body.Bytes())
		}
		return out
	}
	plain, kept := newFake(3), newFake(3)
	objs := kept.setObjects()
	for i := range objs {
		objs[i].Encodings = cimom.NewEncodings(objs[i].Instance, objs[i].Path)
	}
	want := answers(plain)
	for round := range 2 {
		for i, got := range answers(kept) {
			if !bytes.Equal(got, want[i]) {
				t.Fatalf("round %d, request %d: the answer with kept encodings differs:\n%s\nwant\n%s", round+1, i, got, want[i])
			}
		}
	}

	changed := *objs[1].Instance
	changed.Properties = append([]cim.PropertyValue(nil), changed.Properties...)
	changed.Set("Caption", cim.NewString("changed"))
	objs[1].Instance = &changed
	plain.setObjects()[1].Instance = &changed
	want = answers(plain)
	for i, got := range answers(kept) {
		if !bytes.Equal(got, want[i]) {
			t.Fatalf("request %d: an object whose instance was replaced was written from the old encoding:\n%s", i, got)
		}
	}
	if !bytes.Contains(want[0], []byte("changed")) {
		t.Fatal("the changed instance is not in the answer: the test checks nothing")
	}
}
