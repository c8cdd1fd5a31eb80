package wsman

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT60S", time.Minute, true},
		{"PT60.000S", time.Minute, true},
		{" PT0.5S ", 500 * time.Millisecond, true},
		{"P1DT2H", 26 * time.Hour, true},
		{"PT1M30.25S", 90250 * time.Millisecond, true},
		{"P1M", 30 * 24 * time.Hour, true},
		{"P1Y", 365 * 24 * time.Hour, true},
		{"", 0, false},
		{"P", 0, false},
		{"PT", 0, false},
		{"60", 0, false},
		{"-PT1S", 0, false},
		{"PT1.5M", 0, false},
		{"P1H", 0, false},
		{"PTS", 0, false},
		{"PT1S1M", 0, false},
		{"PT+1S", 0, false},
		{"P999999999999Y", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestDatetimeForms(t *testing.T) {
	tests := []struct{ cim, tag, text string }{
		{"20240102030405.123456+060", "Datetime", "2024-01-02T03:04:05.123456+01:00"},
		{"20240102030405.000000+000", "Datetime", "2024-01-02T03:04:05.000000Z"},
		{"20240102030405.000000-330", "Datetime", "2024-01-02T03:04:05.000000-05:30"},
		{"00000001020304.500000:000", "Interval", "P1DT2H3M4.5S"},
		{"00000000000000.000000:000", "Interval", "P0DT0H0M0S"},
		{"2024****030405.000000+000", "CIM_DateTime", "2024****030405.000000+000"},
	}
	for _, tt := range tests {
		t.Run(tt.cim, func(t *testing.T) {
			d, err := cim.ParseDateTime(tt.cim)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			newWriter(&buf, Resource{}).datetime(d)
			want := "<cim:" + tt.tag + ">" + tt.text + "</cim:" + tt.tag + ">"
			if buf.String() != want {
				t.Errorf("wrote %s, want %s", buf.String(), want)
			}
			back := readDatetime(t, tt.tag, tt.text)
			if tt.tag != "Interval" && back != d.String() {
				t.Errorf("read back as %s, want %s", back, d)
			}
		})
	}
}

// readDatetime reads a cim: datetime element inside a property.
func readDatetime(t *testing.T, tag, text string) string {
	t.Helper()
	root, err := parseTree([]byte(`<p:X xmlns:p="urn:p" xmlns:cim="` + nsCIM + `"><cim:` + tag + `>` + text + `</cim:` + tag + `></p:X>`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := readValue(root, testNS)
	if err != nil {
		t.Fatalf("reading %s: %v", text, err)
	}
	return v.Time().String()
}

func TestDetectEncoding(t *testing.T) {
	tests := []struct {
		name, contentType string
		data              []byte
		want              Encoding
		ok                bool
	}{
		{"plain", "application/soap+xml", []byte("<a/>"), UTF8, true},
		{"UTF-8 mark", "", []byte("\xEF\xBB\xBF<a/>"), UTF8, true},
		{"UTF-16LE mark", "", []byte("\xFF\xFE<\x00"), UTF16LE, true},
		{"UTF-16BE mark", "", []byte("\xFE\xFF\x00<"), UTF16BE, true},
		{"charset utf-16 little-endian text", "application/soap+xml; charset=utf-16", []byte("<\x00a\x00"), UTF16LE, true},
		{"charset utf-16be", "application/soap+xml; charset=UTF-16BE", []byte("\x00<"), UTF16BE, true},
		{"unknown charset", "application/soap+xml; charset=koi8-r", []byte("<a/>"), UTF8, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := detectEncoding(tt.data, tt.contentType)
			if got != tt.want || (err == nil) != tt.ok {
				t.Errorf("detectEncoding = %v, %v; want %v, ok %v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestUTF16RoundTrip(t *testing.T) {
	text := "Größe 😀 <x>"
	for _, enc := range []Encoding{UTF16LE, UTF16BE} {
		back, err := toUTF8(enc, fromUTF8(enc, []byte(text))[2:])
		if err != nil || string(back) != text {
			t.Errorf("%v round trip = %q, %v; want %q", enc, back, err, text)
		}
	}
	if _, err := toUTF8(UTF16LE, []byte{'<'}); err == nil {
		t.Error("an odd number of UTF-16 bytes must fail")
	}
}

func TestWireContext(t *testing.T) {
	tests := []struct {
		wire string
		id   string
		st   contextState
	}{
		{"uuid:1", "uuid:1", contextState{EnumerateObjects, cimom.PullInstancesWithPath, false}},
		{"uuid:1#EPR", "uuid:1", contextState{EnumerateEPR, cimom.PullInstancePaths, false}},
		{"a#b#ObjectAndEPR", "a#b", contextState{EnumerateObjectAndEPR, cimom.PullInstancesWithPath, false}},
		{"q#QueryEPR", "q", contextState{EnumerateEPR, cimom.PullInstances, false}},
		{"x#End", "x", contextState{EnumerateObjects, cimom.PullInstancesWithPath, true}},
		{"x#Unknown", "x#Unknown", contextState{EnumerateObjects, cimom.PullInstancesWithPath, false}},
	}
	for _, tt := range tests {
		t.Run(tt.wire, func(t *testing.T) {
			id, st := parseWireContext(tt.wire)
			if id != tt.id || st != tt.st {
				t.Errorf("parseWireContext = %q, %+v; want %q, %+v", id, st, tt.id, tt.st)
			}
			if tt.wire != "x#Unknown" && wireContext(id, st) != tt.wire {
				t.Errorf("wireContext = %q, want %q", wireContext(id, st), tt.wire)
			}
		})
	}
}

func TestParseResourceURI(t *testing.T) {
	ns := func(v string) []Selector { return []Selector{{Name: "__cimnamespace", Value: v}} }
	tests := []struct {
		name string
		uri  string
		sels []Selector
		want Resource
		ok   bool
	}{
		{"WMI class", uriRS, nil, Resource{URI: uriRS, Namespace: testNS, ClassName: rsName}, true},
		{"WMI all classes", uriAll, nil, Resource{URI: uriAll, Namespace: testNS}, true},
		{"WMI backslashes and case", "HTTP://schemas.microsoft.com/wbem/wsman/1/wmi/Root/CIMV2/Win32_OS", nil,
			Resource{URI: "HTTP://schemas.microsoft.com/wbem/wsman/1/wmi/Root/CIMV2/Win32_OS", Namespace: "Root/CIMV2", ClassName: "Win32_OS"}, true},
		{"WMI with agreeing selector", uriRS, ns(`root\hypervcluster\v2`), Resource{URI: uriRS, Namespace: testNS, ClassName: rsName}, true},
		{"WMI with other namespace", uriRS, ns("root/cimv2"), Resource{}, false},
		{"DMTF default namespace", uriRSDMTF, nil, Resource{URI: uriRSDMTF, Style: StyleDMTF, Namespace: "root/default", ClassName: rsName}, true},
		{"DMTF namespace selector", uriRSDMTF, ns("root/interop"), Resource{URI: uriRSDMTF, Style: StyleDMTF, Namespace: "root/interop", ClassName: rsName}, true},
		{"DMTF all classes", uriAllClasses, ns("root/interop"), Resource{URI: uriAllClasses, Style: StyleDMTF, Namespace: "root/interop"}, true},
		{"no class", prefixWMI + "root", nil, Resource{}, false},
		{"bad class", prefixWMI + "root/1abc", nil, Resource{}, false},
		{"DMTF empty class", prefixDMTF, nil, Resource{}, false},
		{"other vendor", "http://example.com/wbem/Class", nil, Resource{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := ParseResourceURI(tt.uri, tt.sels, "root/default")
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok %v", err, tt.ok)
			}
			if tt.ok && got != tt.want {
				t.Errorf("ParseResourceURI = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, text, attr string
	}{
		{"markup", `a<b>&"c"`, `a&lt;b&gt;&amp;"c"`, `a&lt;b&gt;&amp;&quot;c&quot;`},
		{"white space", "a\tb\nc\rd", "a\tb\nc&#xD;d", "a&#x9;b&#xA;c&#xD;d"},
		{"control characters", "a\x01b\x1fc", "a?b?c", "a?b?c"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"non-characters", "a\uFFFEb", "a\uFFFDb", "a\uFFFDb"},
		{"unicode", "Größe 😀", "Größe 😀", "Größe 😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text, attr bytes.Buffer
			newXMLWriter(&text).escape(tt.in, false)
			newXMLWriter(&attr).escape(tt.in, true)
			if text.String() != tt.text || attr.String() != tt.attr {
				t.Errorf("escape = %q / %q, want %q / %q", text.String(), attr.String(), tt.text, tt.attr)
			}
		})
	}
}

// TestReadValues reads a resource representation with every value form.
func TestReadValues(t *testing.T) {
	body := `<p:C xmlns:p="urn:p" xmlns:xsi="` + nsXSI + `" xmlns:cim="` + nsCIM + `" xmlns:a="` + nsWSA + `" xmlns:w="` + nsWSMan + `">` +
		`<p:Name> spaced </p:Name><p:Empty/><p:Null xsi:nil="true"/>` +
		`<p:List>1</p:List><p:List>2</p:List>` +
		`<p:When><cim:Datetime>2024-01-02T03:04:05Z</cim:Datetime></p:When>` +
		`<p:Ref><a:Address>` + addrAnonymous + `</a:Address><a:ReferenceParameters><w:ResourceURI>` + uriRS +
		`</w:ResourceURI><w:SelectorSet><w:Selector Name="InstanceID">Microsoft:RS-1</w:Selector></w:SelectorSet></a:ReferenceParameters></p:Ref>` +
		`</p:C>`
	root, err := parseTree([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	params, err := readValues(root, testNS)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range params {
		got = append(got, p.Name+"="+p.Value.Type().String()+":"+p.Value.String())
	}
	want := []string{"Name=string: spaced ", "Empty=string:", "Null=string:NULL", "List=string:{1, 2}",
		"When=datetime:20240102030405.000000+000", "Ref=reference:" + rsOne}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
}

func TestReadValuesRefusals(t *testing.T) {
	tests := []struct{ name, body string }{
		{"mixed array", `<p:L>1</p:L><p:L><cim:Datetime>2024-01-02T03:04:05Z</cim:Datetime></p:L>`},
		{"null in array", `<p:L>1</p:L><p:L xsi:nil="true"/>`},
		{"bad datetime", `<p:W><cim:Datetime>yesterday</cim:Datetime></p:W>`},
		{"bad interval", `<p:W><cim:Interval>long</cim:Interval></p:W>`},
		{"reference without parameters", `<p:R><a:Address>x</a:Address></p:R>`},
		{"embedded object", `<p:E><p:Inner>1</p:Inner></p:E>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := parseTree([]byte(`<p:C xmlns:p="urn:p" xmlns:xsi="` + nsXSI + `" xmlns:cim="` + nsCIM +
				`" xmlns:a="` + nsWSA + `">` + tt.body + `</p:C>`))
			if err != nil {
				t.Fatal(err)
			}
			_, err = readValues(root, testNS)
			if f, ok := err.(*Fault); !ok || f.Kind != FaultInvalidRepresentation {
				t.Errorf("error %v, want an InvalidRepresentation fault", err)
			}
		})
	}
}

// TestWriteProperties checks the DSP0230 forms of written values.
func TestWriteProperties(t *testing.T) {
	empty, _ := cim.NewArray(cim.String, nil)
	refs, _ := cim.NewArray(cim.Reference, []cim.Value{cim.NewReference(rsPath(1))})
	tests := []struct {
		name string
		v    cim.Value
		want string
	}{
		{"null", cim.Null(cim.Uint16, false), `<p:P xsi:nil="true"/>`},
		{"null array", cim.Null(cim.String, true), `<p:P xsi:nil="true"/>`},
		{"empty array", empty, ``},
		{"boolean", cim.NewBool(true), `<p:P>true</p:P>`},
		{"real", cim.NewReal(cim.Real64, 1.5), `<p:P>1.5</p:P>`},
		{"char16", cim.NewChar16('x'), `<p:P>x</p:P>`},
		{"reference array", refs, `<p:P><wsa:Address>` + addrAnonymous + `</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>` + uriRS +
			`</wsman:ResourceURI><wsman:SelectorSet><wsman:Selector Name="InstanceID">Microsoft:RS-1</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters></p:P>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			newWriter(&buf, Resource{Namespace: testNS}).property("P", tt.v, testNS)
			if buf.String() != tt.want {
				t.Errorf("wrote %s, want %s", buf.String(), tt.want)
			}
		})
	}
}

// TestDMTFSelectors checks endpoint references in the DMTF style: the
// namespace travels as the __cimnamespace selector, reference keys as
// nested endpoint references.
func TestDMTFSelectors(t *testing.T) {
	var buf bytes.Buffer
	w := newWriter(&buf, Resource{Style: StyleDMTF, Namespace: testNS})
	w.epr(mocObject(1, "vm-a").Path, testNS)
	got := buf.String()
	for _, want := range []string{
		`<wsman:ResourceURI>` + prefixDMTF + `Msvm_MemberOfCollection</wsman:ResourceURI>`,
		`<wsman:Selector Name="Collection"><wsa:EndpointReference>`,
		`<wsman:Selector Name="__cimnamespace">root/hypervcluster/v2</wsman:Selector>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("endpoint reference lacks %s:\n%s", want, got)
		}
	}
	root, err := parseTree([]byte(`<r xmlns:wsa="` + nsWSA + `" xmlns:wsman="` + nsWSMan + `">` + got + `</r>`))
	if err != nil {
		t.Fatal(err)
	}
	epr, err := readEPR(root.kids[0])
	if err == nil {
		var p cim.ObjectPath
		if p, err = epr.path("root/elsewhere"); err == nil && !p.Equal(mocObject(1, "vm-a").Path) {
			t.Errorf("read back %s, want %s", p, mocObject(1, "vm-a").Path)
		}
	}
	if err != nil {
		t.Errorf("reading the endpoint reference back: %v", err)
	}
}
