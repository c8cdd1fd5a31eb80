package cimxml

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// fixtureBodies returns the bodies of every CIM-XML request real clients
// sent.
func fixtureBodies(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, pattern := range []string{"pywbem--*.http", "wbemcli--*.http"} {
		files, _ := filepath.Glob(filepath.Join(fixtureDir, pattern))
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, body, ok := bytes.Cut(raw, []byte("\r\n\r\n")); ok {
				out[filepath.Base(file)] = body
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures")
	}
	return out
}

// FuzzScannerMatchesDecoder checks the scanner against encoding/xml: on
// every document the scanner decodes, encoding/xml must decode the same
// call. Seeded with every request real clients sent and with documents
// at the edges of the scanner's subset.
func FuzzScannerMatchesDecoder(f *testing.F) {
	for _, body := range fixtureBodies(f) {
		f.Add(body)
	}
	for _, s := range scannerEdges {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lim := Limits{MaxBytes: 1 << 16, MaxElements: 2000}.withDefaults()
		fast, ok := decodeScanned(body, lim)
		if !ok {
			return
		}
		slow, err := decodeXML(bytes.NewReader(body), lim)
		if err != nil {
			t.Fatalf("the scanner decoded what encoding/xml refuses (%v):\n%q", err, body)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("the scanner and encoding/xml disagree on\n%q\nscanner:  %+v\nencoding/xml: %+v", body, fast.Request, slow.Request)
		}
	})
}

// scannerEdges are documents at the edges of the scanner's subset.
var scannerEdges = []string{
	`<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="GetInstance"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH><IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE VALUETYPE="string">a&amp;b&#x41;&#66;&lt;&gt;&quot;&apos;</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`,
	`<?xml version='1.0'?>` + "\n" + `<CIM CIMVERSION='2.0' DTDVERSION = "2.0" ><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="EnumerateInstances"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH><IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="C"></CLASSNAME></IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM >` + "\n\t ",
	`<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="X"></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM><CIM/>`,
	`<CIM CIMVERSION="2.0" DTDVERSION="2.0" CIMVERSION="3.0"></CIM>`,
	`<CIM CIMVERSION="2.0"DTDVERSION="2.0"></CIM>`,
	`<?xml version="1.0" encoding="ISO-8859-1"?><CIM/>`,
	`<!DOCTYPE CIM [<!ENTITY a "b">]><CIM>&a;</CIM>`,
	"<CIM>\r\n</CIM>",
	`<CIM ID="a` + "\n" + `b"></CIM>`,
	`<CIM><![CDATA[x]]></CIM>`,
	`<CIM><!-- c --></CIM>`,
	`<a:CIM xmlns:a="u"></a:CIM>`,
	`<CIM xmlns="u"></CIM>`,
	`<CIM>&#0;</CIM>`,
	`<CIM>&#x110000;</CIM>`,
	`<CIM></MESSAGE>`,
	`<CIM>`,
}

// TestScannerTakesClientRequests checks that the scanner decodes every
// request real clients sent, so that they take the fast path.
func TestScannerTakesClientRequests(t *testing.T) {
	scanned := 0
	for name, body := range fixtureBodies(t) {
		if _, ok := decodeScanned(body, Limits{}.withDefaults()); ok {
			scanned++
			continue
		}
		if _, err := decodeXML(bytes.NewReader(body), Limits{}.withDefaults()); err == nil {
			t.Errorf("%s: the scanner gave up on a request encoding/xml decodes", name)
		}
	}
	if scanned == 0 {
		t.Error("the scanner decoded no request")
	}
}

// TestDecodeReadsAnyReader checks that Decode gives one answer whatever
// the reader: whole, one byte at a time, failing midway, and past the
// scanner's size.
func TestDecodeReadsAnyReader(t *testing.T) {
	body := fixtureBodies(t)["wbemcli--GetInstance--1.http"]
	want, err := Decode(bytes.NewReader(body), Limits{})
	if err != nil || want.Request == nil {
		t.Fatalf("Decode: %v", err)
	}
	got, err := Decode(iotest.OneByteReader(bytes.NewReader(body)), Limits{})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("one byte at a time: %+v, %v", got, err)
	}
	if _, err := Decode(io.MultiReader(bytes.NewReader(body[:40]), iotest.ErrReader(io.ErrUnexpectedEOF)), Limits{}); err == nil {
		t.Error("a read error midway decoded")
	}
	if _, err := Decode(bytes.NewReader(body), Limits{MaxBytes: 100}); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("a body past MaxBytes: %v, want too large", err)
	}
	trailing := append(append([]byte(nil), body...), bytes.Repeat([]byte(" "), maxScanned)...)
	got, err = Decode(bytes.NewReader(trailing), Limits{})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("a body past the scanner's size: %+v, %v", got, err)
	}
}
