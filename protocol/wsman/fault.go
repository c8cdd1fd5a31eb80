package wsman

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"

	"github.com/redset/redset/cim"
)

// FaultKind names one SOAP fault of DSP0226 clause 14 (with the WS-Transfer,
// WS-Enumeration, WS-Addressing and SOAP 1.2 faults it reuses). Each kind
// has one fixed code, subcode, action URI and default reason.
type FaultKind uint8

// The faults redset sends.
const (
	FaultInternalError FaultKind = iota
	FaultAccessDenied
	FaultActionNotSupported
	FaultAlreadyExists
	FaultCannotProcessFilter
	FaultDestinationUnreachable
	FaultEncodingLimit
	FaultEndpointUnavailable
	FaultFilterDialectRequestedUnavailable
	FaultFilteringNotSupported
	FaultInvalidEnumerationContext
	FaultInvalidExpirationTime
	FaultInvalidMessageInformationHeader
	FaultInvalidOptions
	FaultInvalidParameter
	FaultInvalidRepresentation
	FaultInvalidSelectors
	FaultMessageInformationHeaderRequired
	FaultMustUnderstand
	FaultQuotaLimit
	FaultSchemaValidationError
	FaultTimedOut
	FaultUnsupportedFeature
	FaultVersionMismatch
	FaultDeliveryModeRequestedUnavailable
	FaultEventInvalidExpirationTime
	FaultUnsupportedExpirationType
	FaultEventFilteringNotSupported
	FaultEventFilteringRequestedUnavailable
	FaultEventInvalidMessage
	FaultEventSourceUnableToProcess
	FaultUnableToRenew
	FaultInvalidBookmark
	FaultEventCannotProcessFilter
	faultKindCount // keep last
)

// faultSpec is the fixed part of a fault: SOAP 1.2 code, subcode QName
// (written with redset's fixed prefixes), action URI and default reason.
type faultSpec struct {
	code, subcode, action, reason string
}

const (
	sender   = "s:Sender"
	receiver = "s:Receiver"
)

// faultSpecs is the fault table of DSP0226 clause 14, as redset sends it.
var faultSpecs = [faultKindCount]faultSpec{
	FaultInternalError:                     {receiver, "wsman:InternalError", actionFaultWSM, "The service cannot comply with the request because of an internal processing error."},
	FaultAccessDenied:                      {sender, "wsman:AccessDenied", actionFaultWSM, "The sender is not authorized to access the resource."},
	FaultActionNotSupported:                {sender, "wsa:ActionNotSupported", actionFaultWSA, "The action is not supported by the service."},
	FaultAlreadyExists:                     {sender, "wsman:AlreadyExists", actionFaultWSM, "The resource to be created already exists."},
	FaultCannotProcessFilter:               {sender, "wsen:CannotProcessFilter", actionFaultWSEN, "The filter cannot be processed."},
	FaultDestinationUnreachable:            {sender, "wsa:DestinationUnreachable", actionFaultWSA, "No resource matches the resource URI and selectors of the request."},
	FaultEncodingLimit:                     {sender, "wsman:EncodingLimit", actionFaultWSM, "An encoding limit was exceeded or would be by the answer."},
	FaultEndpointUnavailable:               {receiver, "wsa:EndpointUnavailable", actionFaultWSA, "The service is unavailable."},
	FaultFilterDialectRequestedUnavailable: {sender, "wsen:FilterDialectRequestedUnavailable", actionFaultWSEN, "The filter dialect is not supported."},
	FaultFilteringNotSupported:             {sender, "wsen:FilteringNotSupported", actionFaultWSEN, "Filtered enumeration is not supported for this resource."},
	FaultInvalidEnumerationContext:         {receiver, "wsen:InvalidEnumerationContext", actionFaultWSEN, "The enumeration context is not valid: unknown, finished or expired."},
	FaultInvalidExpirationTime:             {sender, "wsen:InvalidExpirationTime", actionFaultWSEN, "The expiration time is not valid."},
	FaultInvalidMessageInformationHeader:   {sender, "wsa:InvalidMessageInformationHeader", actionFaultWSA, "A message information header is not valid."},
	FaultInvalidOptions:                    {sender, "wsman:InvalidOptions", actionFaultWSM, "One or more options are not valid."},
	FaultInvalidParameter:                  {sender, "wsman:InvalidParameter", actionFaultWSM, "An operation parameter is not valid."},
	FaultInvalidRepresentation:             {sender, "wxf:InvalidRepresentation", actionFaultWXF, "The XML content of the resource is not valid."},
	FaultInvalidSelectors:                  {sender, "wsman:InvalidSelectors", actionFaultWSM, "The selectors for the resource are not valid."},
	FaultMessageInformationHeaderRequired:  {sender, "wsa:MessageInformationHeaderRequired", actionFaultWSA, "A required message information header is missing."},
	FaultMustUnderstand:                    {"s:MustUnderstand", "", actionFaultWSA, "A header marked mustUnderstand was not understood."},
	FaultQuotaLimit:                        {sender, "wsman:QuotaLimit", actionFaultWSM, "The service is busy servicing other requests."},
	FaultSchemaValidationError:             {sender, "wsman:SchemaValidationError", actionFaultWSM, "The message is not well formed or does not follow the schema."},
	FaultTimedOut:                          {receiver, "wsman:TimedOut", actionFaultWSM, "The operation did not complete within the operation timeout."},
	FaultUnsupportedFeature:                {sender, "wsman:UnsupportedFeature", actionFaultWSM, "The requested feature is not supported."},
	FaultVersionMismatch:                   {"s:VersionMismatch", "", actionFaultWSA, "Only SOAP 1.2 envelopes are served."},

	// WS-Eventing (DSP0226 clause 10); the wse prefix is declared where
	// the subcode is written. UnsupportedExpirationType and
	// FilteringNotSupported are not sent: both forms of expiry are
	// served, and every subscription may be filtered.
	FaultDeliveryModeRequestedUnavailable:   {sender, "wse:DeliveryModeRequestedUnavailable", actionFaultWSE, "The requested delivery mode is not supported."},
	FaultEventInvalidExpirationTime:         {sender, "wse:InvalidExpirationTime", actionFaultWSE, "The expiration time requested is invalid."},
	FaultUnsupportedExpirationType:          {sender, "wse:UnsupportedExpirationType", actionFaultWSE, "Only expiration durations are supported."},
	FaultEventFilteringNotSupported:         {sender, "wse:FilteringNotSupported", actionFaultWSE, "Filtering over the event source is not supported."},
	FaultEventFilteringRequestedUnavailable: {sender, "wse:FilteringRequestedUnavailable", actionFaultWSE, "The requested filter dialect is not supported."},
	FaultEventInvalidMessage:                {sender, "wse:InvalidMessage", actionFaultWSE, "The request message has unknown or invalid content and cannot be processed."},
	FaultEventSourceUnableToProcess:         {receiver, "wse:EventSourceUnableToProcess", actionFaultWSE, "The event source cannot process the subscription."},
	FaultUnableToRenew:                      {receiver, "wse:UnableToRenew", actionFaultWSE, "The subscription could not be renewed."},
	FaultInvalidBookmark:                    {sender, "wsman:InvalidBookmark", actionFaultWSM, "The bookmark supplied with the subscription is not valid."},
	FaultEventCannotProcessFilter:           {sender, "wsman:CannotProcessFilter", actionFaultWSM, "The requested filter could not be processed."},
}

// Code returns the SOAP 1.2 fault code QName ("s:Sender").
func (k FaultKind) Code() string { return k.spec().code }

// Subcode returns the subcode QName with redset's prefixes
// ("wsman:InvalidSelectors"), or "" for SOAP's own faults.
func (k FaultKind) Subcode() string { return k.spec().subcode }

// Action returns the fault's wsa:Action URI.
func (k FaultKind) Action() string { return k.spec().action }

func (k FaultKind) spec() faultSpec {
	if k >= faultKindCount {
		return faultSpecs[FaultInternalError]
	}
	return faultSpecs[k]
}

// Fault is a SOAP fault to send. Every request error of this package is a
// *Fault; the handler writes it with HTTP status 500.
type Fault struct {
	Kind   FaultKind
	Detail string     // a faultDetail URI (DSP0226 clause 14.6), or ""
	Reason string     // human-readable text; "" uses the kind's default
	Status cim.Status // the CIM status behind the fault; 0 for protocol faults
	// NotUnderstood lists the mandatory headers not understood
	// (MustUnderstand faults only).
	NotUnderstood []xml.Name
}

// Error returns the subcode (or code) and the reason.
func (f *Fault) Error() string {
	name := f.Kind.Subcode()
	if name == "" {
		name = f.Kind.Code()
	}
	return "wsman fault " + name + ": " + f.reason()
}

func (f *Fault) reason() string {
	if f.Reason != "" {
		return f.Reason
	}
	return f.Kind.spec().reason
}

// newFault builds a protocol fault with a formatted reason.
func newFault(k FaultKind, detail, format string, args ...any) *Fault {
	return &Fault{Kind: k, Detail: detail, Reason: fmt.Sprintf(format, args...)}
}

// statusFault maps a CIM status to the fault DSP0227 (clause 11, the CIM
// binding's error mapping) names for it. This is the one table between
// the object manager's errors and the wire.
var statusFaults = map[cim.Status]struct {
	kind   FaultKind
	detail string
}{
	cim.StatusFailed:                          {FaultInternalError, ""},
	cim.StatusAccessDenied:                    {FaultAccessDenied, ""},
	cim.StatusInvalidNamespace:                {FaultDestinationUnreachable, DetailInvalidNamespace},
	cim.StatusInvalidParameter:                {FaultInvalidParameter, ""},
	cim.StatusInvalidClass:                    {FaultDestinationUnreachable, DetailInvalidResourceURI},
	cim.StatusNotFound:                        {FaultDestinationUnreachable, ""},
	cim.StatusNotSupported:                    {FaultActionNotSupported, ""},
	cim.StatusClassHasChildren:                {FaultInternalError, ""},
	cim.StatusClassHasInstances:               {FaultInternalError, ""},
	cim.StatusInvalidSuperclass:               {FaultInternalError, ""},
	cim.StatusAlreadyExists:                   {FaultAlreadyExists, ""},
	cim.StatusNoSuchProperty:                  {FaultSchemaValidationError, ""},
	cim.StatusTypeMismatch:                    {FaultSchemaValidationError, DetailTypeMismatch},
	cim.StatusQueryLanguageNotSupported:       {FaultFilterDialectRequestedUnavailable, ""},
	cim.StatusInvalidQuery:                    {FaultCannotProcessFilter, ""},
	cim.StatusMethodNotAvailable:              {FaultActionNotSupported, ""},
	cim.StatusMethodNotFound:                  {FaultActionNotSupported, ""},
	cim.StatusNamespaceNotEmpty:               {FaultInternalError, ""},
	cim.StatusInvalidEnumerationContext:       {FaultInvalidEnumerationContext, ""},
	cim.StatusInvalidOperationTimeout:         {FaultInvalidExpirationTime, ""},
	cim.StatusPullHasBeenAbandoned:            {FaultInvalidEnumerationContext, ""},
	cim.StatusPullCannotBeAbandoned:           {FaultInternalError, ""},
	cim.StatusFilteredEnumerationNotSupported: {FaultFilteringNotSupported, ""},
	cim.StatusContinuationOnErrorNotSupported: {FaultUnsupportedFeature, ""},
	cim.StatusServerLimitsExceeded:            {FaultQuotaLimit, ""},
	cim.StatusServerIsShuttingDown:            {FaultEndpointUnavailable, ""},
}

// faultOf turns any error into a fault: a *Fault is kept, a CIM error goes
// through statusFaults, an expired operation timeout is w:TimedOut, and
// anything else is w:InternalError.
func faultOf(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Fault{Kind: FaultTimedOut}
	}
	var ce *cim.Error
	if !errors.As(err, &ce) {
		return &Fault{Kind: FaultInternalError, Status: cim.StatusFailed}
	}
	m, ok := statusFaults[ce.Status]
	if !ok {
		m.kind = FaultInternalError
	}
	return &Fault{Kind: m.kind, Detail: m.detail, Reason: ce.Error(), Status: ce.Status}
}
