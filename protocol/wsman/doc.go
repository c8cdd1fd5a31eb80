// Package wsman serves WS-Management (DMTF DSP0226) over POST /wsman, with
// the CIM binding (DSP0227), the WS-CIM mapping (DSP0230) and the Windows
// extensions clients expect (MS-WSMV): the codec between SOAP 1.2 envelopes
// and cimom requests, and the HTTP handler.
//
// # Requests
//
// DecodeEnvelope reads a request by namespace URI, whatever prefixes the
// client used (or none), in UTF-8 or UTF-16, into a small tree: with
// internal/xmlscan for plain envelopes of up to 64 KiB, with encoding/xml
// for the others and whenever the scanner gives up or the document fails
// (every error comes from encoding/xml). Enumeration items of objects that
// carry their cimom.Encodings are written once per mode and resource URI
// style and copied into later answers. Envelope.Call maps it to a
// cimom.Request:
//
//	Identify                    answered locally (no Action header)
//	Get / Put / Create / Delete GetInstance / ModifyInstance / CreateInstance / DeleteInstance
//	Enumerate                   OpenEnumerateInstances (or ...Paths for EnumerateEPR),
//	                            OpenQueryInstances (WQL, CQL and selector filters),
//	                            OpenAssociatorInstances / OpenReferenceInstances
//	                            (the association filter)
//	Pull / Release              PullInstancesWithPath, PullInstancePaths or PullInstances /
//	                            CloseEnumeration
//	<ResourceURI>/<Method>      InvokeMethod, endpoint references becoming references
//	Subscribe / Renew /         Options.Eventing (WS-Eventing, DSP0226 clause 10); see
//	GetStatus / Unsubscribe     Eventing below
//	Pull on "<id>#Events"       Options.Eventing's Pull: a pull-mode subscription's events
//
// Resource URIs come in Microsoft's form (…/wsman/1/wmi/<namespace>/<Class>)
// and DMTF's (…/wscim/1/cim-schema/2/<Class> with the __cimnamespace
// selector, Options.DefaultNamespace when it is absent). Selector values
// are untyped text and become string key values; the object manager
// converts them to the declared key types. Answers name classes in the
// style of the request.
//
// # Eventing
//
// Subscribe names an indication class by its resource URI (either form; or
// the all-classes URI with a filter), a delivery mode (Push, PushWithAck,
// Events, Pull), NotifyTo for the push modes, and optionally EndTo,
// Expires (xs:duration or xs:dateTime), a wsman:Filter in the WQL or CQL
// dialect, wsman:Heartbeats, wsman:SendBookmarks and wsman:Bookmark (a
// bookmark sent before, or …/bookmark/earliest). The answer's
// SubscriptionManager carries the wse:Identifier that Renew, GetStatus and
// Unsubscribe send as a header; a pull-mode subscription also gets an
// enumeration context, "<identifier>#Events", pulled with wsen:Pull (events
// in wsen:Items, as many as MaxElements and MaxEnvelopeSize allow; the
// bookmark as a wsman:Bookmark header; wsman:TimedOut when none came
// within MaxTime, as WinRM answers). A Pull of events waits without
// taking a read's turn. The handler decodes and answers; the subscriptions
// are kept by the Eventing the server gives. EncodeEvents,
// EncodeHeartbeat and EncodeSubscriptionEnd write the messages sent to
// event sinks (each event an instance of its class, embedded instances as
// elements of their own class inside their property's element, the
// sink's reference parameters as headers), and CheckAck checks a sink's
// wsman:Ack. Eventing's faults (wse:DeliveryModeRequestedUnavailable,
// wse:InvalidExpirationTime, wse:FilteringRequestedUnavailable,
// wse:InvalidMessage, wse:EventSourceUnableToProcess, wse:UnableToRenew,
// wsman:InvalidBookmark, wsman:CannotProcessFilter ...) are in the one
// fault table. wsman:ConnectionRetry is read but not honoured: the
// delivery's own retry settings apply; wsman:ContentEncoding and
// wsman:Locale are read, and events are sent in UTF-8 and English. Deliveries carry no credentials,
// so a wsman:Auth profile is refused.
//
// # Decisions
//
//   - Every request needs HTTP Basic credentials, Identify included, except
//     an Identify sent with the MS-WSMV header "WSMANIDENTIFY:
//     unauthenticated", answered without product version and security
//     profiles. auth's door checks them before the handler reads the body
//     (Anonymous lets the marked requests in; anything but an Identify
//     among them is 401); the object manager's authorization middleware
//     decides each operation, and a refusal is wsman:AccessDenied.
//   - Answers are written in the request's encoding (UTF-8, or UTF-16 with a
//     byte order mark), and never exceed the smaller of the client's
//     MaxEnvelopeSize and Options.MaxEnvelopeSize: enumerations return fewer
//     items than MaxElements when more would not fit, other answers that do
//     not fit become w:EncodingLimit faults.
//   - The enumeration context sent to clients is the object manager's
//     context with a "#tag" suffix recording the enumeration mode and pull
//     operation, since a Pull carries nothing else. The object manager owns
//     the contexts and their expiry.
//   - Only the anonymous ReplyTo and FaultTo are served (a missing ReplyTo
//     means anonymous); a MessageID is required, in any form; w:Locale and
//     DataLocale may ask for English only when mandatory; options are read
//     but none is honoured, so MustComply options are refused;
//     wsmb:PolymorphismMode is ignored (subclass instances are always
//     included, as WMI does); MaxCharacters is not honoured.
//   - Every error is a SOAP fault with HTTP status 500, built from one table
//     (fault.go). Malformed input gives a fault, never a panic.
//   - Answers use openwsman's prefixes (s, wsa, wsen, wsman, wxf, ...), and
//     when the request names one class, p is bound to that class's
//     resource URI on the Envelope, so its instances start with a bare
//     <p:Class> tag. Dell's wsl client builds Put and Invoke requests by
//     pasting lines of earlier answers into an envelope that declares only
//     s, wsa, wsman and wsen, and finds an instance by that tag.
//   - The object manager reports an operation abandoned at the client's
//     OperationTimeout as CIM_ERR_FAILED; once the timeout has passed,
//     any error is answered wsman:TimedOut.
package wsman
