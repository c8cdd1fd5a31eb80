// Package cimxml speaks CIM-XML: the CIM operations over HTTP of DMTF
// DSP0200, encoded with the DTD of DSP0201. It decodes a request message
// into a cimom.Request, hands it to a cimom.Handler, and writes the
// cimom.Response back as a response message. NewHandler serves
// `POST /cimom` (and `M-POST`) behind auth's door, which has checked the
// HTTP Basic credentials before the handler reads anything; the object
// manager's authorization middleware decides each operation, and a refusal
// is CIM_ERR_ACCESS_DENIED. Refuse writes the door's refusals (the status
// alone, no body).
// The request body is capped by whoever serves the handler (the server
// does so for every path, http.MaxBytesHandler would do); a body past the
// cap, reported as an *http.MaxBytesError, is answered with HTTP 413.
//
// # Decoding
//
// Decode reads the request token by token, one element at a time,
// following the DTD. A body of up to 64 KiB is read whole and its tokens
// come from internal/xmlscan, which reads the plain XML clients send
// without encoding/xml; a body it gives up on, a larger body (streamed)
// and every body whose decoding fails are read with encoding/xml, so every
// error comes from it. The elements: CIM, MESSAGE, SIMPLEREQ, then IMETHODCALL (intrinsic
// operations with a LOCALNAMESPACEPATH and IPARAMVALUEs) or METHODCALL
// (extrinsic methods on a LOCALINSTANCEPATH or LOCALCLASSPATH with
// PARAMVALUEs). The body size, the element nesting and the number of
// elements are capped (Limits). Problems are reported at two levels:
//
//   - *ProtocolError: the message cannot be answered in CIM-XML (not
//     well-formed XML, not a simple request, an unsupported CIM, DTD or
//     protocol version, too large). The HTTP layer answers with the error's
//     HTTP status and a CIMError header, as DSP0200 clause 7 describes.
//   - *cim.Error: the envelope is fine but the call is not (an unknown
//     operation gives CIM_ERR_NOT_SUPPORTED, a missing, unknown, repeated or
//     malformed parameter CIM_ERR_INVALID_PARAMETER). These are answered
//     with an ERROR element inside an ordinary HTTP 200 response, as the
//     established servers do.
//
// Untyped values. The wire does not always say a value's CIM type. The
// decoder follows the convention of cim.ParseObjectPath, which the
// dispatcher undoes with cim.Convert and ObjectPath.TypeKeys once it knows
// the declared types:
//
//   - a KEYVALUE without TYPE is a string for VALUETYPE="string" (the
//     default), a boolean for VALUETYPE="boolean", and for
//     VALUETYPE="numeric" a uint64 (a sint64 when negative, a real64 when
//     written with a decimal point or exponent);
//   - a PARAMVALUE without PARAMTYPE holding a VALUE or VALUE.ARRAY is a
//     cim.String (array) of the raw text, which cim.Convert parses into the
//     declared type; a reference (VALUE.REFERENCE, CLASSNAME, INSTANCENAME)
//     is always a cim.Reference; an empty PARAMVALUE is the zero Value, a
//     null of no type;
//   - everything carrying TYPE or PARAMTYPE is parsed into that type with
//     cim.ParseValue.
//
// Paths given as INSTANCENAME (no namespace on the wire) get the request's
// namespace when they name the operation's target (InstanceName,
// ObjectName, ModifiedInstance, the LOCALINSTANCEPATH of a METHODCALL).
// References inside values keep exactly what the wire says: a
// VALUE.REFERENCE holding a bare INSTANCENAME has no namespace, meaning the
// namespace of the target.
//
// Defaults of the boolean flags are DSP0200's, except LocalOnly of the
// instance operations: DSP0200 deprecates it and servers treat it as false,
// so it defaults to false there (it stays true by default for GetClass and
// EnumerateClasses).
//
// # Encoding
//
// The encoder writes tokens directly into a byte buffer that is flushed to
// the output; no reflection and no struct marshalling. An enumerated object
// that carries its cimom.Encodings (the provider kept it because it did
// not change) is written once per operation and request options, and its
// bytes are copied into later answers. It never writes a
// self-closing tag: sblim wbemcli's hand-written parser cannot read
// several of them (IMETHODRESPONSE, IRETURNVALUE, INSTANCE, PROPERTY,
// VALUE, QUALIFIER, PARAMETER), so every element is written with open and
// close tags. IncludeQualifiers and IncludeClassOrigin of the request
// decide whether qualifiers and CLASSORIGIN attributes are written; all
// other filtering (LocalOnly, PropertyList, DeepInheritance) is the
// dispatcher's.
//
// Errors while streaming. A response is built in memory until it reaches
// Options.BufferBytes (256 KiB by default, so that the first bytes of a
// long enumeration leave early); until then nothing has been sent,
// and an error from the result iterator replaces the whole answer with an
// ERROR element. Past that size the response is committed and streamed
// with chunked transfer encoding, in writes of 256 KiB. An error after that point cannot change
// the status any more: when the client announced `TE: trailers` the
// document is closed normally and the CIMStatusCode and
// CIMStatusDescription trailers carry the error (as SFCB does); otherwise
// the connection is aborted so that the client sees a truncated answer
// rather than a complete-looking partial one.
//
// # Export
//
// The other direction of DSP0200: a CIM server exporting an indication to
// a listener. EncodeExport writes the body of an ExportIndication request
// (SIMPLEEXPREQ, EXPMETHODCALL, the NewIndication INSTANCE) and
// ExportHeader its headers (CIMExport: MethodRequest, CIMExportMethod).
// Embedded instances travel as string properties marked
// EmbeddedObject="instance" whose value is the escaped INSTANCE element
// (DSP0201); an ExportedIndication keeps them apart from the indication's
// own properties, decoded, so that filters and printers can look inside.
// DecodeExport reads such a request (bounded, DefaultExportMaxBytes by
// default), with the two error levels of Decode. Listener is the
// http.Handler of a listener built on it, answering EXPMETHODRESPONSE
// (or an ERROR inside it, or an HTTP status with a CIMError header for a
// request it cannot answer), and CheckExportResponse judges a listener's
// answer on the sending side.
package cimxml
