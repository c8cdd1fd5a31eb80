package cimxml

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// node is a parsed XML element, for structural checks.
type node struct {
	Name     string
	Attr     map[string]string
	Children []*node
	Text     string
}

// parseTree parses doc into a tree of nodes.
func parseTree(t *testing.T, doc []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parsing %s: %v", doc, err)
		}
		top := stack[len(stack)-1]
		switch v := tok.(type) {
		case xml.StartElement:
			n := &node{Name: v.Name.Local, Attr: map[string]string{}}
			for _, a := range v.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.Text += string(v)
		}
	}
	return root
}

// find returns the nodes at a slash-separated path of element names.
func (n *node) find(path string) []*node {
	cur := []*node{n}
	for name := range strings.SplitSeq(path, "/") {
		var next []*node
		for _, c := range cur {
			for _, ch := range c.Children {
				if ch.Name == name {
					next = append(next, ch)
				}
			}
		}
		cur = next
	}
	return cur
}

// respond encodes resp for a request decoded from body.
func respond(t *testing.T, body string, resp *cimom.Response) *node {
	t.Helper()
	call, err := Decode(strings.NewReader(body), Limits{})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	var out bytes.Buffer
	if err := WriteResponse(&out, call, resp, nil, EncodeOptions{Host: "h:1"}); err != nil {
		t.Fatalf("WriteResponse: %v", err)
	}
	checkWellFormed(t, out.Bytes())
	return parseTree(t, out.Bytes())
}

// rspPrefix is the path of the method response elements.
const rspPrefix = "CIM/MESSAGE/SIMPLERSP/"

// enumCount is the count the EnumerationCount case answers.
var enumCount = uint64(7)

// ctxParam is the EnumerationContext parameter of the pull cases.
const ctxParam = `<IPARAMVALUE NAME="EnumerationContext"><VALUE>c</VALUE></IPARAMVALUE>`

// pullBody is a pull request of operation op.
func pullBody(op string) string {
	return imethod(op, ctxParam+`<IPARAMVALUE NAME="MaxObjectCount"><VALUE>5</VALUE></IPARAMVALUE>`)
}

// classPath is the path of the set class.
var classPath = cim.ObjectPath{Namespace: ns, ClassName: "Msvm_RedundancySet"}

// encodeCases are answers the golden files do not cover, with what their
// elements must hold.
var encodeCases = []struct {
	name  string
	body  string
	resp  *cimom.Response
	check map[string]string // element path[@attribute] -> texts or attribute values of all matches, joined
}{
	{"pull paths", pullBody("PullInstancePaths"), &cimom.Response{Objects: sets(), EnumerationContext: "c2"}, map[string]string{
		"IMETHODRESPONSE/IRETURNVALUE/INSTANCEPATH/NAMESPACEPATH/HOST": "h:1h:1",
		"IMETHODRESPONSE/PARAMVALUE/VALUE":                             "c2FALSE",
		"IMETHODRESPONSE/PARAMVALUE@NAME":                              "EnumerationContextEndOfSequence",
	}},
	{"pull instances at the end", pullBody("PullInstances"), &cimom.Response{Objects: sets(), EndOfSequence: true}, map[string]string{
		"IMETHODRESPONSE/IRETURNVALUE/INSTANCE@CLASSNAME": "Msvm_RedundancySetMsvm_RedundancySet",
		"IMETHODRESPONSE/PARAMVALUE/VALUE":                "TRUE",
	}},
	{"enumeration count", imethod("EnumerationCount", ctxParam), &cimom.Response{Count: &enumCount}, map[string]string{
		"IMETHODRESPONSE/IRETURNVALUE/VALUE": "7",
	}},
	{"create instance", imethod("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="C"></INSTANCE></IPARAMVALUE>`),
		&cimom.Response{Instance: &cimom.Object{Path: rsPath}}, map[string]string{
			"IMETHODRESPONSE/IRETURNVALUE/INSTANCENAME/KEYBINDING/KEYVALUE": "Microsoft:RS-1",
		}},
	{"qualifier declarations", imethod("EnumerateQualifiers", ""), &cimom.Response{Qualifiers: []cim.QualifierDecl{
		{Name: "Key", Type: cim.Boolean, Default: cim.NewBool(false), Scope: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.DisableOverride},
	}}, map[string]string{
		"IMETHODRESPONSE/IRETURNVALUE/QUALIFIER.DECLARATION@OVERRIDABLE":     "false",
		"IMETHODRESPONSE/IRETURNVALUE/QUALIFIER.DECLARATION/SCOPE@REFERENCE": "true",
		"IMETHODRESPONSE/IRETURNVALUE/QUALIFIER.DECLARATION/VALUE":           "FALSE",
	}},
	{"class associators", imethod("Associators", `<IPARAMVALUE NAME="ObjectName"><CLASSNAME NAME="X"/></IPARAMVALUE>`),
		&cimom.Response{Objects: objectsOf(cimom.Object{Path: classPath, Class: rsClass()})}, map[string]string{
			"IMETHODRESPONSE/IRETURNVALUE/VALUE.OBJECTWITHPATH/CLASSPATH/CLASSNAME@NAME": "Msvm_RedundancySet",
			"IMETHODRESPONSE/IRETURNVALUE/VALUE.OBJECTWITHPATH/CLASS@SUPERCLASS":         "CIM_RedundancySet",
		}},
	{"method with output parameters", message(`<METHODCALL NAME="M"><LOCALCLASSPATH>` + nsPath + `<CLASSNAME NAME="C"/></LOCALCLASSPATH></METHODCALL>`),
		&cimom.Response{ReturnValue: cim.NewReference(rsPath), Out: []cimom.Param{
			{Name: "Job", Value: cim.NewReference(rsPath)}, {Name: "Skipped", Value: cim.Null(cim.String, false)},
			{Name: "List", Value: cim.NewStringArray([]string{"a", "b"})},
		}}, map[string]string{
			"METHODRESPONSE/RETURNVALUE@PARAMTYPE":                                                          "reference",
			"METHODRESPONSE/RETURNVALUE/VALUE.REFERENCE/LOCALINSTANCEPATH/INSTANCENAME@CLASSNAME":           "Msvm_RedundancySet",
			"METHODRESPONSE/PARAMVALUE@NAME":                                                                "JobList",
			"METHODRESPONSE/PARAMVALUE/VALUE.ARRAY/VALUE":                                                   "ab",
			"METHODRESPONSE/PARAMVALUE/VALUE.REFERENCE/LOCALINSTANCEPATH/LOCALNAMESPACEPATH/NAMESPACE@NAME": "roothypervclusterv2",
		}},
}

// TestEncodeStructure checks the elements of answers the golden files do
// not cover.
func TestEncodeStructure(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			root := respond(t, tc.body, tc.resp)
			for path, want := range tc.check {
				if got := root.gather(rspPrefix + path); got != want {
					t.Errorf("%s: got %q, want %q", path, got, want)
				}
			}
		})
	}
}

// gather joins the texts of the nodes at path, or with a suffix
// "@NAME" their attribute NAME.
func (n *node) gather(path string) string {
	path, attr, isAttr := strings.Cut(path, "@")
	var b strings.Builder
	for _, m := range n.find(path) {
		if isAttr {
			b.WriteString(m.Attr[attr])
		} else {
			b.WriteString(m.Text)
		}
	}
	return b.String()
}

// TestAppendEscaped checks text and attribute escaping.
func TestAppendEscaped(t *testing.T) {
	tests := []struct {
		name, in, text, attr string
	}{
		{"plain", "Microsoft:RS-1", "Microsoft:RS-1", "Microsoft:RS-1"},
		{"markup", `a<b>&"c'`, `a&lt;b&gt;&amp;"c'`, `a&lt;b&gt;&amp;&quot;c'`},
		{"white space", "a\tb\nc\rd", "a\tb\nc&#xD;d", "a&#x9;b&#xA;c&#xD;d"},
		{"control character", "a\x01b", "a\uFFFDb", "a\uFFFDb"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"non-characters", "a\uFFFEb", "a\uFFFDb", "a\uFFFDb"},
		{"multi-byte", "größe ✓ 𝄞", "größe ✓ 𝄞", "größe ✓ 𝄞"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendEscaped(nil, tc.in, false)); got != tc.text {
				t.Errorf("text: got %q, want %q", got, tc.text)
			}
			if got := string(appendEscaped(nil, tc.in, true)); got != tc.attr {
				t.Errorf("attribute: got %q, want %q", got, tc.attr)
			}
		})
	}
}

// roundTripInstance holds a value of every type.
func roundTripInstance() *cim.Instance {
	dt, _ := cim.ParseDateTime("20241124101112.123456+060")
	u8, _ := cim.NewUint(cim.Uint8, 255)
	s8, _ := cim.NewSint(cim.Sint8, -128)
	s16, _ := cim.NewSint(cim.Sint16, -300)
	refs, _ := cim.NewArray(cim.Reference, []cim.Value{cim.NewReference(rsPath)})
	return &cim.Instance{ClassName: "Test_AllTypes", Properties: []cim.PropertyValue{
		{Name: "B", Value: cim.NewBool(true)},
		{Name: "S", Value: cim.NewString("tab\there <&> \"q\" \r\n end")},
		{Name: "Empty", Value: cim.NewString("")},
		{Name: "C", Value: cim.NewChar16('€')},
		{Name: "D", Value: cim.NewDateTime(dt)},
		{Name: "U8", Value: u8}, {Name: "S8", Value: s8}, {Name: "U16", Value: cim.MustUint16(65535)},
		{Name: "S16", Value: s16}, {Name: "U32", Value: cim.MustUint32(math.MaxUint32)},
		{Name: "S32", Value: cim.MustSint32(math.MinInt32)}, {Name: "U64", Value: cim.MustUint64(math.MaxUint64)},
		{Name: "S64", Value: cim.MustSint64(math.MinInt64)},
		{Name: "R32", Value: cim.NewReal(cim.Real32, 1.5)}, {Name: "R64", Value: cim.NewReal(cim.Real64, -2.25e-300)},
		{Name: "Inf", Value: cim.NewReal(cim.Real64, math.Inf(-1))},
		{Name: "Ref", Value: cim.NewReference(memberPath("h", ns, "vm-a"))},
		{Name: "Arr", Value: cim.MustUint16Array([]uint16{1, 2})},
		{Name: "EmptyArr", Value: cim.NewStringArray(nil)},
		{Name: "Refs", Value: refs},
		{Name: "NullS", Value: cim.Null(cim.String, false)},
		{Name: "NullArr", Value: cim.Null(cim.Uint32, true)},
	}}
}

// TestRoundTripInstance encodes an instance and decodes it back.
func TestRoundTripInstance(t *testing.T) {
	in := roundTripInstance()
	var buf bytes.Buffer
	if err := EncodeInstance(&buf, in); err != nil {
		t.Fatalf("EncodeInstance: %v", err)
	}
	checkWellFormed(t, buf.Bytes())
	out, err := DecodeInstance(&buf)
	if err != nil {
		t.Fatalf("DecodeInstance: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(describeInstance(in), describeInstance(out)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestRoundTripClass encodes a class and decodes it back.
func TestRoundTripClass(t *testing.T) {
	in := rsClass()
	in.Properties = append(in.Properties, cim.Property{Name: "Owner", Type: cim.Reference, RefClass: "CIM_ManagedElement",
		ClassOrigin: "Msvm_RedundancySet"}, cim.Property{Name: "Fixed", Type: cim.Uint8, IsArray: true, ArraySize: 4,
		Qualifiers: cim.Qualifiers{{Name: "Override", Value: cim.NewString("x"), Flavor: cim.Restricted | cim.EnableOverride}}})
	in.Methods = append(in.Methods, cim.Method{Name: "Reset", Parameters: []cim.Parameter{
		{Name: "Codes", Type: cim.Sint32, IsArray: true, ArraySize: 2},
		{Name: "Targets", Type: cim.Reference, IsArray: true, RefClass: "CIM_ManagedElement"},
		{Name: "Note", Type: cim.String, Qualifiers: cim.Qualifiers{boolQ("Out")}},
	}})
	for i := range in.Properties { // a property without default holds a typed null
		if p := &in.Properties[i]; p.Default.IsNull() {
			p.Default = cim.Null(p.Type, p.IsArray)
		}
	}
	var buf bytes.Buffer
	if err := EncodeClass(&buf, in); err != nil {
		t.Fatalf("EncodeClass: %v", err)
	}
	checkWellFormed(t, buf.Bytes())
	out, err := DecodeClass(&buf)
	if err != nil {
		t.Fatalf("DecodeClass: %v\n%s", err, buf.String())
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
