package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/redset/redset/engine"
)

// Media types of request bodies.
const (
	mediaJSON       = "application/json"
	mediaMergePatch = "application/merge-patch+json"
)

// readBody checks the media type (one of types is required) and reads
// the body. Whoever serves the handler caps the body (the server does so
// for every path); past the cap, reported as an *http.MaxBytesError, the
// answer is 413.
func readBody(r *http.Request, types ...string) ([]byte, error) {
	if err := checkMediaType(r, types); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, newProblem(http.StatusRequestEntityTooLarge, ProblemTooLarge, "Payload too large",
			fmt.Sprintf("the body exceeds the limit of %d bytes", tooBig.Limit))
	}
	if err != nil {
		return nil, malformed("reading the body failed: %v", err)
	}
	if !utf8.Valid(data) {
		return nil, malformed("the body is not valid UTF-8")
	}
	return data, nil
}

func checkMediaType(r *http.Request, allowed []string) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		return newProblem(http.StatusUnsupportedMediaType, ProblemMediaType, "Unsupported media type",
			"the body needs a Content-Type: send "+strings.Join(allowed, " or "))
	case err == nil && slices.Contains(allowed, mt):
		return nil
	}
	return newProblem(http.StatusUnsupportedMediaType, ProblemMediaType, "Unsupported media type",
		"Content-Type "+ct+" is not accepted here; send "+strings.Join(allowed, " or "))
}

// checkWriteBody refuses a write (any method but GET, HEAD and OPTIONS)
// that carries a body, or a Content-Type, other than JSON: an HTML form
// of another site can send text/plain, form or multipart bodies without
// the browser asking first, never a JSON media type.
func checkWriteBody(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	return checkMediaType(r, []string{mediaJSON, mediaMergePatch})
}

// decodeBody reads r's body into dst strictly (see decodeStrict).
func decodeBody(r *http.Request, dst any) error {
	data, err := readBody(r, mediaJSON)
	if err != nil {
		return err
	}
	return decodeStrict(data, dst)
}

// decodeStrict decodes exactly one JSON object into dst: unknown fields,
// wrong types and trailing data are problems naming what is wrong.
func decodeStrict(data []byte, dst any) error {
	if err := needObject(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	return needEnd(dec)
}

func needObject(data []byte) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return malformed("the body is empty; a JSON object is required")
	}
	if trimmed[0] != '{' {
		return malformed("the body must be a JSON object")
	}
	return nil
}

func needEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("unexpected data after the JSON object")
	}
	return nil
}

// readOnlyFields are fields of the answers that requests cannot write.
var readOnlyFields = map[string]bool{
	"redundancyStatus": true, "redundancyStatusText": true, "members": true,
	"flapGuardTripped": true, "revision": true, "health": true, "sets": true,
	"frontendStatus": true, "trafficAddress": true,
}

// oldProbeFields are the probe fields of earlier versions of the API,
// with what replaced them.
var oldProbeFields = map[string]string{
	"kind": "type", "target": "address, url or command", "params": "the type's own fields",
	"intervalSeconds": `interval ("2s")`, "timeoutSeconds": `timeout ("1s")`,
}

// jsonProblem describes a decoding error of encoding/json.
func jsonProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the JSON ends early")
	case errors.As(err, &syntax):
		return malformed("not valid JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		return fieldProblem(typ.Field, "must be "+typeName(typ.Type), typ.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		rule := "unknown field"
		if readOnlyFields[name] {
			rule = "is read-only (computed by the server)"
		}
		if now, ok := oldProbeFields[name]; ok {
			rule = "unknown field; a probe now writes it as " + now
		}
		return fieldProblem(name, rule, nil)
	}
	return malformed("%s", strings.TrimPrefix(err.Error(), "json: "))
}

func fieldProblem(field, rule string, value any) *Problem {
	p := invalidField(field, rule, value)
	p.Type, p.Title = ProblemMalformed, "Malformed request"
	return p
}

// typeName describes a Go type of the wire shapes in JSON terms.
func typeName(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	if t == reflect.TypeFor[engine.Duration]() {
		return `a duration string such as "500ms" or "2s"`
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Uint16:
		return "an integer from 0 to 65535"
	case reflect.Uint32:
		return "an integer from 0 to 4294967295"
	case reflect.Uint64, reflect.Uint:
		return "a non-negative integer"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// jsonNames lists the JSON field names of a struct type.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

var setSpecFields = jsonNames(reflect.TypeFor[SetSpec]())

// decodeSetSpec decodes a set to create or replace.
func decodeSetSpec(data []byte) (SetSpec, error) {
	var spec SetSpec
	err := decodeStrict(data, &spec)
	return spec, err
}

// decodePatch decodes a JSON merge patch (RFC 7396) of a set: an object
// whose top-level names are SetSpec fields.
func decodePatch(data []byte) (map[string]any, error) {
	if err := needObject(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var patch map[string]any
	if err := dec.Decode(&patch); err != nil {
		return nil, jsonProblem(err)
	}
	if err := needEnd(dec); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(patch) {
		if !setSpecFields[name] {
			return nil, jsonProblem(errors.New(`json: unknown field "` + name + `"`))
		}
	}
	return patch, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// applyPatch merges patch into base (RFC 7396: null removes, objects
// merge, everything else replaces) and decodes the result strictly. When
// the patch sets loadBalanceAlgorithm to anything but 1 (Other) without
// naming otherLoadBalanceAlgorithm, the description is cleared.
func applyPatch(base SetSpec, patch map[string]any) (SetSpec, error) {
	doc, err := toTree(base)
	if err != nil {
		return SetSpec{}, err
	}
	data, err := json.Marshal(mergePatch(doc, patch))
	if err != nil {
		return SetSpec{}, err
	}
	out, err := decodeSetSpec(data)
	if err != nil {
		return SetSpec{}, err
	}
	_, algSet := patch["loadBalanceAlgorithm"]
	_, otherSet := patch["otherLoadBalanceAlgorithm"]
	if algSet && !otherSet && (out.LoadBalanceAlgorithm == nil || *out.LoadBalanceAlgorithm != 1) {
		out.OtherLoadBalanceAlgorithm = ""
	}
	return out, nil
}

// toTree turns v into its generic JSON form.
func toTree(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	err = dec.Decode(&tree)
	return tree, err
}

// mergePatch is RFC 7396 section 2's MergePatch on generic JSON values.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}
