package main

import (
	"net/url"
	"strconv"
	"strings"
)

// The request bodies below have the shapes real clients send
// (testdata/fixtures: sblim-wbemcli for CIM-XML, openwsman for WS-Man),
// with the set and member names filled in. Each is built once, before the
// load starts.

const cimNamespace = `<LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="hypervcluster"></NAMESPACE><NAMESPACE NAME="v2"></NAMESPACE></LOCALNAMESPACEPATH>`

const cimHead = `<?xml version="1.0" encoding="utf-8" ?>
<CIM CIMVERSION="2.0" DTDVERSION="2.0">
<MESSAGE ID="4711" PROTOCOLVERSION="1.0"><SIMPLEREQ>`

const cimTail = `</SIMPLEREQ>
</MESSAGE></CIM>
`

// cimObjectNamespace is the CIMObject header of an intrinsic operation on
// our namespace, percent-encoded as wbemcli writes it.
const cimObjectNamespace = "root%2Fhypervcluster%2Fv2"

var cimEnumerateBody = cimHead + `<IMETHODCALL NAME="EnumerateInstances">` + cimNamespace + `
<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="Msvm_RedundancySet"/></IPARAMVALUE>
<IPARAMVALUE NAME="DeepInheritance"><VALUE>TRUE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="LocalOnly"><VALUE>FALSE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="IncludeQualifiers"><VALUE>FALSE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="IncludeClassOrigin"><VALUE>TRUE</VALUE></IPARAMVALUE>
</IMETHODCALL>` + cimTail

func cimSetName(id string) string {
	return `<INSTANCENAME CLASSNAME="Msvm_RedundancySet"><KEYBINDING NAME="InstanceID"><KEYVALUE VALUETYPE="string">` +
		xmlText(id) + `</KEYVALUE></KEYBINDING></INSTANCENAME>`
}

func cimGetBody(id string) string {
	return cimHead + `<IMETHODCALL NAME="GetInstance">` + cimNamespace + `
<IPARAMVALUE NAME="LocalOnly"><VALUE>FALSE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="IncludeQualifiers"><VALUE>FALSE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="IncludeClassOrigin"><VALUE>TRUE</VALUE></IPARAMVALUE>
<IPARAMVALUE NAME="InstanceName">` + cimSetName(id) + `</IPARAMVALUE>
</IMETHODCALL>` + cimTail
}

// cimFailoverObject is the CIMObject header of a Failover of set id.
func cimFailoverObject(id string) string {
	return cimObjectNamespace + "%3AMsvm_RedundancySet.InstanceID=" + url.PathEscape(`"`+id+`"`)
}

func cimMemberRef(host, member string) string {
	return `<VALUE.REFERENCE><INSTANCEPATH><NAMESPACEPATH><HOST>` + xmlText(host) + `</HOST>` + cimNamespace +
		`</NAMESPACEPATH><INSTANCENAME CLASSNAME="Msvm_ComputerSystem"><KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string">Msvm_ComputerSystem</KEYVALUE></KEYBINDING><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">` +
		xmlText(member) + `</KEYVALUE></KEYBINDING></INSTANCENAME></INSTANCEPATH></VALUE.REFERENCE>`
}

func cimFailoverBody(host, id, from, to string) string {
	return cimHead + `<METHODCALL NAME="Failover"><LOCALINSTANCEPATH>` +
		strings.ReplaceAll(cimNamespace, `"></NAMESPACE>`, `"/>`) + cimSetName(id) + `</LOCALINSTANCEPATH>` +
		`<PARAMVALUE NAME="FailoverFrom">` + cimMemberRef(host, from) + `</PARAMVALUE>` +
		`<PARAMVALUE NAME="FailoverTo">` + cimMemberRef(host, to) + `</PARAMVALUE></METHODCALL>` + cimTail
}

const (
	wsmanSetURI    = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/Msvm_RedundancySet"
	wsmanMemberURI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/Msvm_ComputerSystem"
	wsmanAnonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
)

func wsmanHeader(to, action, messageID string) string {
	return `<s:Header><wsa:Action s:mustUnderstand="true">` + action + `</wsa:Action>` +
		`<wsa:To s:mustUnderstand="true">` + xmlText(to) + `</wsa:To>` +
		`<wsman:ResourceURI s:mustUnderstand="true">` + wsmanSetURI + `</wsman:ResourceURI>` +
		`<wsa:MessageID s:mustUnderstand="true">` + messageID + `</wsa:MessageID>` +
		`<wsa:ReplyTo><wsa:Address>` + wsmanAnonymous + `</wsa:Address></wsa:ReplyTo>`
}

const wsmanEnvelope = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration"`

func wsmanEnumerateBody(to string) string {
	return wsmanEnvelope + `>` +
		wsmanHeader(to, "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate", "uuid:86a3fd02-6104-1104-8002-01000000fc02") +
		`</s:Header><s:Body><wsen:Enumerate/></s:Body></s:Envelope>`
}

// pullRequest is a Pull request cut where its enumeration context goes, so
// the constant parts are built once.
type pullRequest struct{ head, tail string }

const wsmanContextMarker = "\x00context\x00"

func newPullRequest(to string, maxElements int) pullRequest {
	full := wsmanEnvelope + `>` +
		wsmanHeader(to, "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", "uuid:86b4b48a-6104-1104-8003-01000000fc02") +
		`</s:Header><s:Body><wsen:Pull><wsen:EnumerationContext>` + wsmanContextMarker +
		`</wsen:EnumerationContext><wsen:MaxElements>` + strconv.Itoa(maxElements) + `</wsen:MaxElements></wsen:Pull></s:Body></s:Envelope>`
	head, tail, _ := strings.Cut(full, wsmanContextMarker)
	return pullRequest{head: head, tail: tail}
}

func (p pullRequest) body(context string) string { return p.head + xmlText(context) + p.tail }

func wsmanSelector(id string) string {
	return `<wsman:SelectorSet><wsman:Selector Name="InstanceID">` + xmlText(id) + `</wsman:Selector></wsman:SelectorSet>`
}

func wsmanGetBody(to, id string) string {
	return strings.Replace(wsmanEnvelope, ` xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration"`, "", 1) + `>` +
		wsmanHeader(to, "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", "uuid:86b8e95e-6104-1104-8002-01000000fc02") +
		wsmanSelector(id) + `</s:Header><s:Body/></s:Envelope>`
}

func wsmanMemberRef(member string) string {
	return `<wsa:Address>` + wsmanAnonymous + `</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>` + wsmanMemberURI +
		`</wsman:ResourceURI><wsman:SelectorSet><wsman:Selector Name="CreationClassName">Msvm_ComputerSystem</wsman:Selector>` +
		`<wsman:Selector Name="Name">` + xmlText(member) + `</wsman:Selector></wsman:SelectorSet></wsa:ReferenceParameters>`
}

func wsmanFailoverBody(to, id, from, dest string) string {
	env := strings.Replace(wsmanEnvelope, `xmlns:wsen="http://schemas.xmlsoap.org/ws/2004/09/enumeration"`, `xmlns:n1="`+wsmanSetURI+`"`, 1)
	return env + `>` +
		wsmanHeader(to, wsmanSetURI+"/Failover", "uuid:86c13889-6104-1104-8002-01000000fc02") +
		wsmanSelector(id) + `</s:Header><s:Body><n1:Failover_INPUT>` +
		`<n1:FailoverFrom>` + wsmanMemberRef(from) + `</n1:FailoverFrom>` +
		`<n1:FailoverTo>` + wsmanMemberRef(dest) + `</n1:FailoverTo>` +
		`</n1:Failover_INPUT></s:Body></s:Envelope>`
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

// xmlText escapes s for XML text and attribute values.
func xmlText(s string) string { return xmlEscaper.Replace(s) }
