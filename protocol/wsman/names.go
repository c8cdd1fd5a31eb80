package wsman

// Namespace URIs. Requests are matched by these URIs, never by prefix.
const (
	nsSOAP     = "http://www.w3.org/2003/05/soap-envelope"
	nsSOAP11   = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWSA      = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsWSMan    = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsWSEN     = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	nsWXF      = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsWSMID    = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
	nsMSWSMan  = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsWSMB     = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	nsCIM      = "http://schemas.dmtf.org/wbem/wscim/1/common"
	nsXML      = "http://www.w3.org/XML/1998/namespace"
	nsCIMError = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_Error"
)

// The fixed prefixes of everything redset writes. They are openwsman's:
// Dell's wsl client builds its Put and Invoke requests by pasting lines of
// an earlier answer (endpoint references, instance properties) into an
// envelope that declares only s, wsa, wsman and wsen, so answers must use
// those prefixes for what it copies.
const (
	pfxSOAP  = "s"
	pfxWSA   = "wsa"
	pfxWSEN  = "wsen"
	pfxWSMan = "wsman"
	pfxWXF   = "wxf"
	pfxClass = "p" // the resource URI of the class being written
)

var envelopePrefixes = []struct{ prefix, uri string }{
	{pfxSOAP, nsSOAP}, {pfxWSA, nsWSA}, {pfxWSEN, nsWSEN}, {pfxWSMan, nsWSMan}, {pfxWXF, nsWXF},
	{"wsmb", nsWSMB}, {"xsi", nsXSI}, {"cim", nsCIM},
}

// addrAnonymous is the WS-Addressing anonymous endpoint: "answer on the
// connection the request came in on", the only reply address served.
const addrAnonymous = nsWSA + "/role/anonymous"

// Action URIs (DSP0226 clauses 7 and 8; WS-Transfer and WS-Enumeration).
const (
	actionGet       = nsWXF + "/Get"
	actionPut       = nsWXF + "/Put"
	actionCreate    = nsWXF + "/Create"
	actionDelete    = nsWXF + "/Delete"
	actionEnumerate = nsWSEN + "/Enumerate"
	actionPull      = nsWSEN + "/Pull"
	actionRelease   = nsWSEN + "/Release"
	responseSuffix  = "Response"
)

// Fault action URIs (DSP0226 clause 14).
const (
	actionFaultWSA  = nsWSA + "/fault"
	actionFaultWSEN = nsWSEN + "/fault"
	actionFaultWXF  = nsWXF + "/fault"
	actionFaultWSM  = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	actionFaultWSMB = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/fault"
)

// Filter dialects (DSP0226 clause 8.3 and annex E, DSP0227 clause 8, MS-WSMV
// 3.1.4.1.13).
const (
	dialectWQL      = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
	dialectCQL      = "http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf"
	dialectSelector = "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
	dialectAssoc    = "http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter"
)

// Resource URI prefixes (DSP0227 clause 6, MS-WSMV 3.1.4.1.1).
const (
	prefixWMI     = "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
	prefixDMTF    = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
	uriAllClasses = "http://schemas.dmtf.org/wbem/wscim/1/*"
	selNamespace  = "__cimnamespace"
)

// Identify (DSP0226 clause 11).
const (
	protocolVersion   = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	profileHTTPBasic  = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic"
	profileHTTPSBasic = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/basic"
)

// Fault detail URIs (DSP0226 clause 14.6). Only the ones redset sends.
const (
	detailPrefix                = "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
	DetailInsufficientSelectors = detailPrefix + "InsufficientSelectors"
	DetailUnexpectedSelectors   = detailPrefix + "UnexpectedSelectors"
	DetailTypeMismatch          = detailPrefix + "TypeMismatch"
	DetailDuplicateSelectors    = detailPrefix + "DuplicateSelectors"
	DetailInvalidValue          = detailPrefix + "InvalidValue"
	DetailInvalidResourceURI    = detailPrefix + "InvalidResourceURI"
	DetailInvalidNamespace      = detailPrefix + "InvalidNamespace"
	DetailAddressingMode        = detailPrefix + "AddressingMode"
	DetailMaxEnvelopeSize       = detailPrefix + "MaxEnvelopeSize"
	DetailMinimumEnvelopeLimit  = detailPrefix + "MinimumEnvelopeLimit"
	DetailServiceEnvelopeLimit  = detailPrefix + "ServiceEnvelopeLimit"
	DetailCharacterSet          = detailPrefix + "CharacterSet"
	DetailLocale                = detailPrefix + "Locale"
	DetailEnumerationMode       = detailPrefix + "EnumerationMode"
	DetailFilteringRequired     = detailPrefix + "FilteringRequired"
	DetailFragmentLevelAccess   = detailPrefix + "FragmentLevelAccess"
	DetailNotSupported          = detailPrefix + "NotSupported"
	DetailInvalidTimeout        = detailPrefix + "InvalidTimeout"
	DetailSelectorLimit         = detailPrefix + "SelectorLimit"
	DetailAuthorizationMode     = detailPrefix + "AuthorizationMode"
)
