package cimxml

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/cim"
)

// decodeCases cover the parameters and forms no fixture shows.
var decodeCases = []struct {
	name string
	body string
	want summary
}{
	{"numeric and boolean keys", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C">`+
		`<KEYBINDING NAME="a"><KEYVALUE VALUETYPE="numeric">42</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="b"><KEYVALUE VALUETYPE="numeric">-7</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="c"><KEYVALUE VALUETYPE="numeric">1.5</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="d"><KEYVALUE VALUETYPE="boolean">TRUE</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="e"><KEYVALUE VALUETYPE="numeric" TYPE="uint8">0x10</KEYVALUE></KEYBINDING>`+
		`<KEYBINDING NAME="f"><KEYVALUE>x</KEYVALUE></KEYBINDING>`+
		`</INSTANCENAME></IPARAMVALUE>`),
		summary{Op: "GetInstance", ObjectName: `root/hypervcluster/v2:C.a=uint64:42,b=sint64:-7,c=real64:1.5,d=boolean:true,e=uint8:16,f=string:"x"`}},
	{"reference key", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="Msvm_MemberOfCollection">`+
		`<KEYBINDING NAME="Collection"><VALUE.REFERENCE>`+rsName+`</VALUE.REFERENCE></KEYBINDING>`+
		`</INSTANCENAME></IPARAMVALUE>`),
		summary{Op: "GetInstance", ObjectName: `root/hypervcluster/v2:Msvm_MemberOfCollection.Collection=reference:Msvm_RedundancySet.InstanceID=string:"Microsoft:RS-1"`}},
	{"singleton instance", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="CIM_ObjectManager"></INSTANCENAME></IPARAMVALUE>`),
		summary{Op: "GetInstance", ObjectName: "root/hypervcluster/v2:CIM_ObjectManager=@"}},
	{"class ObjectName and all association filters", imethod("AssociatorNames", `<IPARAMVALUE NAME="ObjectName"><CLASSNAME NAME="Msvm_RedundancySet"/></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="AssocClass"><CLASSNAME NAME="A"/></IPARAMVALUE><IPARAMVALUE NAME="ResultClass"><CLASSNAME NAME="R"/></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="Role"><VALUE>Collection</VALUE></IPARAMVALUE><IPARAMVALUE NAME="ResultRole"><VALUE>Member</VALUE></IPARAMVALUE>`),
		summary{Op: "AssociatorNames", ObjectName: "root/hypervcluster/v2:Msvm_RedundancySet", Assoc: "assoc=A result=R role=Collection resultRole=Member"}},
	{"null filters and parameter names in any case", imethod("references", `<IPARAMVALUE NAME="objectname">`+rsName+`</IPARAMVALUE>`+
		`<IPARAMVALUE NAME="ResultClass"/><IPARAMVALUE NAME="Role"></IPARAMVALUE><IPARAMVALUE NAME="PropertyList"/>`),
		summary{Op: "References", ObjectName: rsObject}},
	{"empty property list", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName">`+rsName+`</IPARAMVALUE>`+
		`<IPARAMVALUE NAME="PropertyList"><VALUE.ARRAY></VALUE.ARRAY></IPARAMVALUE><IPARAMVALUE NAME="LocalOnly"><VALUE>true</VALUE></IPARAMVALUE>`),
		summary{Op: "GetInstance", ObjectName: rsObject, PropertyList: "[]", Flags: "LocalOnly"}},
	{"enumerate classes defaults", imethod("EnumerateClasses", ""),
		summary{Op: "EnumerateClasses", Flags: "LocalOnly IncludeQualifiers"}},
	{"create instance", imethod("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="Msvm_RedundancySet">`+
		`<QUALIFIER NAME="Description" TYPE="string"><VALUE>d</VALUE></QUALIFIER>`+
		`<PROPERTY NAME="InstanceID" TYPE="string"><VALUE>redset:x</VALUE></PROPERTY>`+
		`<PROPERTY.ARRAY NAME="TypeOfSet" TYPE="uint16"><VALUE.ARRAY><VALUE>2</VALUE><VALUE>3</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>`+
		`<PROPERTY.ARRAY NAME="OtherTypeOfSet" TYPE="string"></PROPERTY.ARRAY>`+
		`<PROPERTY.REFERENCE NAME="Ref" REFERENCECLASS="Msvm_RedundancySet"><VALUE.REFERENCE>`+rsName+`</VALUE.REFERENCE></PROPERTY.REFERENCE>`+
		`<PROPERTY NAME="When" TYPE="datetime"><VALUE>20240102030405.000000+000</VALUE></PROPERTY>`+
		`</INSTANCE></IPARAMVALUE>`),
		summary{Op: "CreateInstance", ClassName: "Msvm_RedundancySet",
			Instance: `Msvm_RedundancySet{InstanceID=string:"redset:x", TypeOfSet=[uint16:2, uint16:3], OtherTypeOfSet=null string, ` +
				`Ref=reference:Msvm_RedundancySet.InstanceID=string:"Microsoft:RS-1", When=datetime:20240102030405.000000+000}`}},
	{"delete instance", imethod("DeleteInstance", `<IPARAMVALUE NAME="InstanceName">`+rsName+`</IPARAMVALUE>`),
		summary{Op: "DeleteInstance", ObjectName: rsObject}},
	{"get qualifier", imethod("GetQualifier", `<IPARAMVALUE NAME="QualifierName"><VALUE>Key</VALUE></IPARAMVALUE>`),
		summary{Op: "GetQualifier", Query: ": Key"}},
	{"open query with every pull parameter", imethod("OpenQueryInstances", `<IPARAMVALUE NAME="FilterQueryLanguage"><VALUE>DMTF:CQL</VALUE></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="FilterQuery"><VALUE>SELECT * FROM C</VALUE></IPARAMVALUE><IPARAMVALUE NAME="ReturnQueryResultClass"><VALUE>FALSE</VALUE></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="OperationTimeout"/><IPARAMVALUE NAME="ContinueOnError"><VALUE>TRUE</VALUE></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="MaxObjectCount"><VALUE>100</VALUE></IPARAMVALUE>`),
		summary{Op: "OpenQueryInstances", Query: "DMTF:CQL: SELECT * FROM C", Flags: "ContinueOnError", Pull: `ctx="" max=100 timeout=nil`}},
	{"open associators with filters", imethod("OpenAssociatorInstancePaths", `<IPARAMVALUE NAME="InstanceName">`+rsName+`</IPARAMVALUE>`+
		`<IPARAMVALUE NAME="ResultClass"><CLASSNAME NAME="Msvm_ComputerSystem"/></IPARAMVALUE>`+
		`<IPARAMVALUE NAME="OperationTimeout"><VALUE>0</VALUE></IPARAMVALUE>`),
		summary{Op: "OpenAssociatorInstancePaths", ObjectName: rsObject, Assoc: "assoc= result=Msvm_ComputerSystem role= resultRole=",
			Pull: `ctx="" max=0 timeout=0`}},
	{"enumeration count", imethod("EnumerationCount", `<IPARAMVALUE NAME="EnumerationContext"><VALUE>c1</VALUE></IPARAMVALUE>`),
		summary{Op: "EnumerationCount", Pull: `ctx="c1" max=0 timeout=nil`}},
	{"correlators, comments and a response destination are skipped", message(`<!-- hello --><CORRELATOR NAME="x" TYPE="string"><VALUE>1</VALUE></CORRELATOR>` +
		`<IMETHODCALL NAME="EnumerateQualifiers">` + nsPath + `<RESPONSEDESTINATION><INSTANCE CLASSNAME="X"></INSTANCE></RESPONSEDESTINATION></IMETHODCALL>`),
		summary{Op: "EnumerateQualifiers"}},
	{"static method with typed, untyped, array and null arguments", message(`<METHODCALL NAME="Create"><LOCALCLASSPATH>` + nsPath +
		`<CLASSNAME NAME="Msvm_RedundancySet"/></LOCALCLASSPATH>` +
		`<PARAMVALUE NAME="Count" PARAMTYPE="uint32"><VALUE>5</VALUE></PARAMVALUE>` +
		`<PARAMVALUE NAME="Text"><VALUE>12</VALUE></PARAMVALUE>` +
		`<PARAMVALUE NAME="List"><VALUE.ARRAY><VALUE>a</VALUE></VALUE.ARRAY></PARAMVALUE>` +
		`<PARAMVALUE NAME="Ints" PARAMTYPE="sint8"><VALUE.ARRAY><VALUE>-1</VALUE></VALUE.ARRAY></PARAMVALUE>` +
		`<PARAMVALUE NAME="Nothing"/><PARAMVALUE NAME="TypedNothing" PARAMTYPE="string"></PARAMVALUE>` +
		`<PARAMVALUE NAME="Refs"><VALUE.REFARRAY><VALUE.REFERENCE><CLASSNAME NAME="X"/></VALUE.REFERENCE></VALUE.REFARRAY></PARAMVALUE>` +
		`<PARAMVALUE NAME="Name"><INSTANCENAME CLASSNAME="X"><KEYBINDING NAME="k"><KEYVALUE>v</KEYVALUE></KEYBINDING></INSTANCENAME></PARAMVALUE>` +
		`<PARAMVALUE NAME="PathText" PARAMTYPE="reference"><VALUE>X.k="v"</VALUE></PARAMVALUE>` +
		`</METHODCALL>`),
		summary{Op: "InvokeMethod", ClassName: "Msvm_RedundancySet", Method: "Create", Params: []string{
			"Count=uint32:5", `Text=string:"12"`, `List=[string:"a"]`, "Ints=[sint8:-1]", "Nothing=null",
			"TypedNothing=null string", "Refs=[reference:X]", `Name=reference:X.k=string:"v"`,
			`PathText=reference:X.k=string:"v"`}}},
}

// TestDecodeCases covers the parameters and forms no fixture shows.
func TestDecodeCases(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			call, err := Decode(strings.NewReader(tc.body), Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tc.want.Namespace = ns
			if tc.want.PropertyList == "" {
				tc.want.PropertyList = "nil"
			}
			if diff := cmp.Diff(tc.want, summarize(call.Request)); diff != "" {
				t.Errorf("decoded request (-want +got):\n%s", diff)
			}
		})
	}
}

// errKind describes an error for the error table: "http 400 request-not-valid"
// or "cim CIM_ERR_INVALID_PARAMETER".
func errKind(err error) string {
	var pe *ProtocolError
	var ce *cim.Error
	switch {
	case err == nil:
		return "nil"
	case errors.As(err, &pe):
		return fmt.Sprintf("http %d %s", pe.Status, pe.CIMError)
	case errors.As(err, &ce):
		return "cim " + ce.Status.String()
	}
	return "other " + err.Error()
}

// Error kinds of decodeErrorCases.
const (
	wantWellFormed  = "http 400 request-not-well-formed"
	wantNotValid    = "http 400 request-not-valid"
	wantInvalid     = "cim CIM_ERR_INVALID_PARAMETER"
	wantUnsupported = "cim CIM_ERR_NOT_SUPPORTED"
)

// getInstance is a GetInstance request of the set with extra parameters.
func getInstance(extra string) string {
	return imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName">`+rsName+`</IPARAMVALUE>`+extra)
}

// decodeErrorCases are bad messages with the error level and code they
// must give.
var decodeErrorCases = []struct{ name, body, want string }{
	{"empty body", "", wantWellFormed},
	{"not XML", "hello", wantNotValid},
	{"unclosed element", strings.TrimSuffix(getInstance(""), "</CIM>"), wantWellFormed},
	{"mismatched end tag", `<CIM CIMVERSION="2.0" DTDVERSION="2.0"></MESSAGE>`, wantWellFormed},
	{"undefined entity", strings.Replace(getInstance(""), "RS-1", "&bogus;", 1), wantWellFormed},
	{"UTF-16 declared", `<?xml version="1.0" encoding="UTF-16"?>` + getInstance("")[39:], wantWellFormed},
	{"wrong root", `<MESSAGE ID="1" PROTOCOLVERSION="1.0"/>`, wantNotValid},
	{"missing CIMVERSION", `<CIM DTDVERSION="2.0"/>`, wantNotValid},
	{"CIM version 3", strings.Replace(getInstance(""), `CIMVERSION="2.0"`, `CIMVERSION="3.0"`, 1), "http 501 unsupported-cim-version"},
	{"DTD version 1", strings.Replace(getInstance(""), `DTDVERSION="2.0"`, `DTDVERSION="1.1"`, 1), "http 501 unsupported-dtd-version"},
	{"protocol version 2", strings.Replace(getInstance(""), `PROTOCOLVERSION="1.0"`, `PROTOCOLVERSION="2.0"`, 1), "http 501 unsupported-protocol-version"},
	{"multiple requests", `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><MULTIREQ></MULTIREQ></MESSAGE></CIM>`, "http 501 multiple-requests-unsupported"},
	{"response instead of request", `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP></SIMPLERSP></MESSAGE></CIM>`, wantNotValid},
	{"method call without name", message(`<IMETHODCALL>` + nsPath + `</IMETHODCALL>`), wantNotValid},
	{"two calls", message(`<IMETHODCALL NAME="EnumerateQualifiers">` + nsPath + `</IMETHODCALL><IMETHODCALL NAME="EnumerateQualifiers">` + nsPath + `</IMETHODCALL>`), wantNotValid},
	{"content after the root", getInstance("") + "<CIM/>", wantWellFormed},
	{"text after the root", getInstance("") + "junk", wantWellFormed},
	{"unknown operation", imethod("CreateClass", ""), wantUnsupported},
	{"InvokeMethod as intrinsic", imethod("InvokeMethod", ""), wantUnsupported},
	{"unknown parameter", getInstance(`<IPARAMVALUE NAME="Bogus"><VALUE>1</VALUE></IPARAMVALUE>`), wantInvalid},
	{"parameter of another operation", getInstance(`<IPARAMVALUE NAME="DeepInheritance"><VALUE>TRUE</VALUE></IPARAMVALUE>`), wantInvalid},
	{"repeated parameter", getInstance(`<IPARAMVALUE NAME="instancename">` + rsName + `</IPARAMVALUE>`), wantInvalid},
	{"missing required parameter", imethod("GetInstance", ""), wantInvalid},
	{"null required parameter", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"/>`), wantInvalid},
	{"null class name", imethod("GetClass", `<IPARAMVALUE NAME="ClassName"/>`), wantInvalid},
	{"parameter without name", getInstance(`<IPARAMVALUE><VALUE>1</VALUE></IPARAMVALUE>`), wantInvalid},
	{"bad boolean", getInstance(`<IPARAMVALUE NAME="LocalOnly"><VALUE>maybe</VALUE></IPARAMVALUE>`), wantInvalid},
	{"wrong parameter kind", getInstance(`<IPARAMVALUE NAME="LocalOnly"><CLASSNAME NAME="X"/></IPARAMVALUE>`), wantInvalid},
	{"two children in a parameter", getInstance(`<IPARAMVALUE NAME="LocalOnly"><VALUE>true</VALUE><VALUE>true</VALUE></IPARAMVALUE>`), wantInvalid},
	{"text in a parameter", getInstance(`<IPARAMVALUE NAME="LocalOnly">true</IPARAMVALUE>`), wantInvalid},
	{"uint32 out of range", imethod("PullInstances", `<IPARAMVALUE NAME="EnumerationContext"><VALUE>c</VALUE></IPARAMVALUE><IPARAMVALUE NAME="MaxObjectCount"><VALUE>4294967296</VALUE></IPARAMVALUE>`), wantInvalid},
	{"null elements in a property list", getInstance(`<IPARAMVALUE NAME="PropertyList"><VALUE.ARRAY><VALUE.NULL/></VALUE.ARRAY></IPARAMVALUE>`), wantUnsupported},
	{"query result class", imethod("OpenQueryInstances", `<IPARAMVALUE NAME="FilterQueryLanguage"><VALUE>WQL</VALUE></IPARAMVALUE><IPARAMVALUE NAME="FilterQuery"><VALUE>q</VALUE></IPARAMVALUE><IPARAMVALUE NAME="ReturnQueryResultClass"><VALUE>TRUE</VALUE></IPARAMVALUE>`), wantUnsupported},
	{"no namespace", message(`<IMETHODCALL NAME="EnumerateQualifiers"><LOCALNAMESPACEPATH></LOCALNAMESPACEPATH></IMETHODCALL>`), "cim CIM_ERR_INVALID_NAMESPACE"},
	{"missing namespace path", message(`<IMETHODCALL NAME="EnumerateQualifiers"></IMETHODCALL>`), wantInvalid},
	{"unnamed key", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYVALUE>1</KEYVALUE></INSTANCENAME></IPARAMVALUE>`), wantUnsupported},
	{"repeated key", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE>1</KEYVALUE></KEYBINDING><KEYBINDING NAME="K"><KEYVALUE>2</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), wantInvalid},
	{"bad numeric key", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE VALUETYPE="numeric">1x</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), wantInvalid},
	{"unknown key type", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE TYPE="uint7">1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), wantInvalid},
	{"unknown VALUETYPE", imethod("GetInstance", `<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"><KEYVALUE VALUETYPE="text">1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>`), wantInvalid},
	{"property value out of range", imethod("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="uint8"><VALUE>256</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`), wantInvalid},
	{"property without type", imethod("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="C"><PROPERTY NAME="p"><VALUE>1</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`), wantInvalid},
	{"property given twice", imethod("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="string"></PROPERTY><PROPERTY NAME="P" TYPE="string"></PROPERTY></INSTANCE></IPARAMVALUE>`), wantInvalid},
	{"two values in a property", imethod("CreateInstance", `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="string"><VALUE>a</VALUE><VALUE>b</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`), wantInvalid},
	{"named instance of another class", imethod("ModifyInstance", `<IPARAMVALUE NAME="ModifiedInstance"><VALUE.NAMEDINSTANCE>`+rsName+`<INSTANCE CLASSNAME="Other"></INSTANCE></VALUE.NAMEDINSTANCE></IPARAMVALUE>`), wantInvalid},
	{"embedded object argument", message(`<METHODCALL NAME="M"><LOCALCLASSPATH>` + nsPath + `<CLASSNAME NAME="C"/></LOCALCLASSPATH><PARAMVALUE NAME="x"><INSTANCE CLASSNAME="C"></INSTANCE></PARAMVALUE></METHODCALL>`), wantUnsupported},
	{"argument given twice", message(`<METHODCALL NAME="M"><LOCALCLASSPATH>` + nsPath + `<CLASSNAME NAME="C"/></LOCALCLASSPATH><PARAMVALUE NAME="x"/><PARAMVALUE NAME="X"/></METHODCALL>`), wantInvalid},
	{"argument type does not match", message(`<METHODCALL NAME="M"><LOCALCLASSPATH>` + nsPath + `<CLASSNAME NAME="C"/></LOCALCLASSPATH><PARAMVALUE NAME="x" PARAMTYPE="string"><CLASSNAME NAME="C"/></PARAMVALUE></METHODCALL>`), wantInvalid},
	{"method call without target", message(`<METHODCALL NAME="M"><PARAMVALUE NAME="x"/></METHODCALL>`), wantInvalid},
	{"unknown element in a call", message(`<METHODCALL NAME="M"><LOCALCLASSPATH>` + nsPath + `<CLASSNAME NAME="C"/></LOCALCLASSPATH><BOGUS/></METHODCALL>`), wantInvalid},
}

// TestDecodeErrors checks that bad messages give the right error level and
// code.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range decodeErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			call, err := Decode(strings.NewReader(tc.body), Limits{})
			if got := errKind(err); got != tc.want {
				t.Fatalf("Decode error = %v (%s), want %s", err, got, tc.want)
			}
			if strings.HasPrefix(tc.want, "cim") && (call == nil || call.Request != nil || call.MessageID == "") {
				t.Errorf("call = %+v, want the message ID and method without a request", call)
			}
		})
	}
}

// TestDecodeLimits checks the size, depth and element caps.
func TestDecodeLimits(t *testing.T) {
	deep := "<RESPONSEDESTINATION>" + strings.Repeat("<X>", 100) + strings.Repeat("</X>", 100) + "</RESPONSEDESTINATION>"
	many := "<RESPONSEDESTINATION>" + strings.Repeat(`<X/>`, 50) + "</RESPONSEDESTINATION>"
	tests := []struct {
		name string
		body string
		lim  Limits
		want string
	}{
		{"body too large", imethod("EnumerateQualifiers", ""), Limits{MaxBytes: 100}, "http 413 "},
		{"body at the limit", imethod("EnumerateQualifiers", ""), Limits{MaxBytes: int64(len(imethod("EnumerateQualifiers", "")))}, "nil"},
		{"too deep", imethod("EnumerateQualifiers", deep), Limits{}, "http 400 request-not-valid"},
		{"too many elements", imethod("EnumerateQualifiers", many), Limits{MaxElements: 20}, "http 400 request-not-valid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.body), tc.lim)
			if got := errKind(err); got != tc.want {
				t.Errorf("Decode error = %v (%s), want %s", err, got, tc.want)
			}
		})
	}
}
