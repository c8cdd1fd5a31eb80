package wsman

import (
	"strings"
)

// RequestAction reads the wsa:Action of a request body (UTF-8 or UTF-16,
// as contentType and a byte order mark say) without judging the rest of
// the request. Identify, which carries no action, gives "". Errors are
// *Fault values: the body is not a SOAP 1.2 envelope.
func RequestAction(body []byte, contentType string) (string, error) {
	root, _, err := parseBody(body, contentType)
	if err != nil {
		return "", err
	}
	if root.name.Local != "Envelope" || root.name.Space != nsSOAP {
		return "", newFault(FaultSchemaValidationError, "", "the root element is not a SOAP 1.2 Envelope")
	}
	header := root.child(nsSOAP, "Header")
	if header == nil {
		return "", nil
	}
	action, _ := header.childText(nsWSA, "Action")
	return action, nil
}

// WritesAction reports whether an action asks for a change: Put, Create,
// Delete or a custom action (a CIM method such as Failover). Get and the
// enumeration actions read; Identify ("") reads.
func WritesAction(action string) bool {
	switch strings.TrimSpace(action) {
	case "", actionGet, actionEnumerate, actionPull, actionRelease:
		return false
	}
	return true
}
