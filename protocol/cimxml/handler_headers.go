package cimxml

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// manExtension is the extension URI an M-POST request declares in its Man
// header (DSP0200 clause 6.1, RFC 2774).
const manExtension = "http://www.dmtf.org/cim/mapping/http/v1.0"

// cimHeaders are the DSP0200 extension headers of one request.
type cimHeaders struct {
	prefix    string // "NN-" of an M-POST request, "" for POST
	mpost     bool
	method    string // CIMMethod
	object    string // CIMObject, as sent
	hasMethod bool
	hasObject bool
}

// readMethod checks the HTTP method: POST, or M-POST with its Man
// header's prefix (RFC 2774), which the CIM headers then carry.
func readMethod(r *http.Request) (cimHeaders, *ProtocolError) {
	var hd cimHeaders
	switch r.Method {
	case http.MethodPost:
	case "M-POST":
		prefix, perr := manPrefix(r.Header.Values("Man"))
		if perr != nil {
			return hd, perr
		}
		hd.prefix, hd.mpost = prefix, true
	default:
		return hd, protocolErrorf(http.StatusMethodNotAllowed, "", "method %s", r.Method)
	}
	return hd, nil
}

// readHeaders checks the HTTP method and the headers that can be judged
// before the body is read.
func readHeaders(r *http.Request) (cimHeaders, *ProtocolError) {
	hd, perr := readMethod(r)
	if perr != nil {
		return hd, perr
	}
	if perr := hd.checkOperation(r.Header); perr != nil {
		return hd, perr
	}
	if perr := checkContentType(r.Header.Get("Content-Type")); perr != nil {
		return hd, perr
	}
	hd.method, hd.hasMethod = hd.get(r.Header, "CIMMethod")
	hd.object, hd.hasObject = hd.get(r.Header, "CIMObject")
	return hd, nil
}

// get returns the (prefixed) header name.
func (hd cimHeaders) get(h http.Header, name string) (string, bool) {
	vs := h.Values(hd.prefix + name)
	if len(vs) == 0 {
		return "", false
	}
	return strings.TrimSpace(vs[0]), true
}

// checkOperation checks CIMOperation and CIMProtocolVersion.
func (hd cimHeaders) checkOperation(h http.Header) *ProtocolError {
	op, _ := hd.get(h, "CIMOperation")
	if !strings.EqualFold(op, "MethodCall") {
		return protocolErrorf(http.StatusBadRequest, CIMErrorUnsupportedOperation, "CIMOperation %q", op)
	}
	if v, ok := hd.get(h, "CIMProtocolVersion"); ok && !strings.HasPrefix(v, "1.") {
		return protocolErrorf(http.StatusNotImplemented, CIMErrorUnsupportedProtocolVersion, "CIMProtocolVersion %q", v)
	}
	return nil
}

// checkContentType accepts no Content-Type or an XML media type in UTF-8.
func checkContentType(ct string) *ProtocolError {
	if ct == "" {
		return nil
	}
	media, params, err := mime.ParseMediaType(ct)
	bad := err != nil || (media != "application/xml" && media != "text/xml")
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		bad = true
	}
	if bad {
		return protocolErrorf(http.StatusUnsupportedMediaType, "", "Content-Type %q", ct)
	}
	return nil
}

// manPrefix finds the DMTF extension among the declarations of the Man
// headers and returns its header prefix ("73-"). A missing declaration is
// 510 Not Extended (RFC 2774).
func manPrefix(values []string) (string, *ProtocolError) {
	for _, v := range values {
		for decl := range strings.SplitSeq(v, ",") {
			if prefix, ok := dmtfPrefix(decl); ok {
				return prefix, nil
			}
		}
	}
	return "", protocolErrorf(http.StatusNotExtended, "", "M-POST without the DMTF extension in Man")
}

// dmtfPrefix reads one extension declaration `"uri" ; ns=NN`.
func dmtfPrefix(decl string) (string, bool) {
	parts := strings.Split(decl, ";")
	uri := strings.Trim(strings.TrimSpace(parts[0]), `"`)
	if !strings.EqualFold(uri, manExtension) {
		return "", false
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "ns") && isDigits(strings.TrimSpace(v)) {
			return strings.TrimSpace(v) + "-", true
		}
	}
	return "", false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// match checks CIMMethod and CIMObject against the decoded body (DSP0200
// clause 6.3): both must be present and name what the body names, else
// 400 with CIMError header-mismatch.
func (hd cimHeaders) match(call *Call) *ProtocolError {
	if !hd.hasMethod || !strings.EqualFold(hd.method, call.Method) {
		return protocolErrorf(http.StatusBadRequest, CIMErrorHeaderMismatch, "CIMMethod %q, body calls %q", hd.method, call.Method)
	}
	if !hd.hasObject {
		return protocolErrorf(http.StatusBadRequest, CIMErrorHeaderMismatch, "no CIMObject header")
	}
	if call.Request != nil && !objectMatches(hd.object, call.Request) {
		return protocolErrorf(http.StatusBadRequest, CIMErrorHeaderMismatch, "CIMObject %q does not name the target", hd.object)
	}
	return nil
}

// objectMatches compares CIMObject with the request's namespace (intrinsic
// operations) or target path (extrinsic methods). Clients differ in
// percent-encoding it, so both the raw and the decoded form are tried.
func objectMatches(header string, req *cimom.Request) bool {
	forms := []string{header}
	if d, err := url.PathUnescape(header); err == nil && d != header {
		forms = append(forms, d)
	}
	for _, s := range forms {
		if objectMatchesForm(strings.TrimSpace(s), req) {
			return true
		}
	}
	return false
}

func objectMatchesForm(s string, req *cimom.Request) bool {
	if req.Op != cimom.InvokeMethod {
		return cim.SameNamespace(s, req.Namespace)
	}
	p, err := cim.ParseObjectPath(s)
	if err != nil {
		return false
	}
	want := req.ObjectName
	if req.ClassName != "" {
		want = cim.ObjectPath{Namespace: req.Namespace, ClassName: req.ClassName}
	}
	return samePath(p, want)
}

// samePath compares the header's path with the body's, ignoring the host
// and the type of key values (clients may quote a number in one place and
// not the other).
func samePath(p, want cim.ObjectPath) bool {
	if !cim.SameNamespace(p.Namespace, want.Namespace) || !strings.EqualFold(p.ClassName, want.ClassName) ||
		len(p.Keys) != len(want.Keys) {
		return false
	}
	for _, k := range p.Keys {
		v, ok := want.Key(k.Name)
		if !ok || !(cim.KeyValuesEqual(k.Value, v) || keyText(k.Value) == keyText(v)) {
			return false
		}
	}
	return true
}

// keyText is the text of a key value, strings unquoted.
func keyText(v cim.Value) string {
	if v.Type() == cim.String {
		return v.Str()
	}
	return v.String()
}
