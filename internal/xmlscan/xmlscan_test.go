package xmlscan

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"reflect"
	"testing"
)

// tokensOf reads every token of a document with the scanner; false when
// it gave up.
func tokensOf(doc []byte) ([]Token, bool) {
	s := New(doc, nil)
	var out []Token
	for {
		tok, err := s.Next()
		if err == io.EOF {
			return out, true
		}
		if err != nil {
			return nil, false
		}
		tok.Text = bytes.Clone(tok.Text)
		tok.Attr = nilIfEmpty(tok.Attr)
		out = append(out, tok)
	}
}

// xmlTokensOf reads every token with encoding/xml (Strict), in the
// scanner's form, skipping processing instructions.
func xmlTokensOf(doc []byte) ([]Token, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var out []Token
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case xml.StartElement:
			out = append(out, Token{Kind: Start, Name: v.Name, Attr: nilIfEmpty(v.Attr)})
		case xml.EndElement:
			out = append(out, Token{Kind: End, Name: v.Name})
		case xml.CharData:
			out = append(out, Token{Kind: Text, Text: bytes.Clone(v)})
		case xml.ProcInst:
		default:
			return nil, errors.New("a token the scanner never gives")
		}
	}
}

var docs = []string{
	`<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0"><A x='1' y = "&lt;&amp;&#65;&#x42;"/>text &gt; &quot;&apos;</CIM>`,
	`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="urn:w"><s:Header><w:Locale xml:lang="en-US" s:mustUnderstand="false"/></s:Header><s:Body xmlns="urn:d"><Pull><w:x xmlns:w="urn:inner"/></Pull></s:Body></s:Envelope>` + "\n",
	`<a xmlns="urn:a"><b xmlns="urn:b"/><c/></a>`,
	`<a><b></a>`,
	`<a>`,
	`<a x="1" x="2"/>`,
	`<a x="1"y="2"/>`,
	`<p:a/>`,
	`<a xmlns:p=""/>`,
	`<!DOCTYPE a><a/>`,
	`<a><!-- c --></a>`,
	`<a><![CDATA[x]]></a>`,
	"<a>\r\n</a>",
	`<a>&unknown;</a>`,
	`<a>&#0;</a>`,
	`<a x="` + "\t" + `"/>`,
	`<a>é</a>`,
	`<?xml version="1.1"?><a/>`,
	`<?xml version="1.0" encoding="latin1"?><a/>`,
	`<a:b:c/>`,
	`<a/><b/>`,
	`  <a/>  `,
}

// TestScanner checks the documents above: where the scanner does not give
// up, encoding/xml reads the same tokens; and it reads the plain ones.
func TestScanner(t *testing.T) {
	for i, doc := range docs {
		got, ok := tokensOf([]byte(doc))
		if i < 3 && !ok {
			t.Errorf("gave up on plain document %q", doc)
		}
		if !ok {
			continue
		}
		want, err := xmlTokensOf([]byte(doc))
		if err != nil {
			t.Errorf("scanned %q, which encoding/xml refuses: %v", doc, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q:\nscanner      %+v\nencoding/xml %+v", doc, got, want)
		}
	}
}

// FuzzScannerMatchesEncodingXML checks the scanner against encoding/xml
// on any input: a document the scanner reads to its end without giving up
// must be one encoding/xml reads, token for token the same.
func FuzzScannerMatchesEncodingXML(f *testing.F) {
	for _, doc := range docs {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, ok := tokensOf(doc)
		if !ok {
			return
		}
		want, err := xmlTokensOf(doc)
		if err != nil {
			t.Fatalf("scanned %q, which encoding/xml refuses: %v", doc, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nscanner      %+v\nencoding/xml %+v", doc, got, want)
		}
	})
}

// nilIfEmpty makes no attributes compare alike, whichever reader gave them.
func nilIfEmpty(a []xml.Attr) []xml.Attr {
	if len(a) == 0 {
		return nil
	}
	return a
}
