package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
)

// ProblemBase prefixes every problem type URI.
const ProblemBase = "https://redset.dev/problems/"

// Problem types (RFC 9457 "type"), one per kind of failure.
const (
	ProblemMalformed        = ProblemBase + "malformed-request"      // 400: not JSON, wrong type, unknown field, bad parameter
	ProblemValidation       = ProblemBase + "validation"             // 400: a value broke a rule; see field and rule
	ProblemUnauthorized     = ProblemBase + "unauthorized"           // 401
	ProblemForbidden        = ProblemBase + "forbidden"              // 403
	ProblemNotFound         = ProblemBase + "not-found"              // 404
	ProblemMethodNotAllowed = ProblemBase + "method-not-allowed"     // 405
	ProblemExists           = ProblemBase + "already-exists"         // 409
	ProblemBusy             = ProblemBase + "busy"                   // 409: another change is under way; retry
	ProblemInUse            = ProblemBase + "in-use"                 // 409: e.g. deleting a member that is in a set
	ProblemNotSupported     = ProblemBase + "not-supported"          // 409
	ProblemConfigured       = ProblemBase + "configured"             // 409: declared in the configuration file; change it there
	ProblemLastAdmin        = ProblemBase + "last-admin"             // 409: the last administrator cannot be removed
	ProblemTooLarge         = ProblemBase + "payload-too-large"      // 413
	ProblemInvalidConfig    = ProblemBase + "invalid-configuration"  // 422: the configuration file to reload is invalid
	ProblemMediaType        = ProblemBase + "unsupported-media-type" // 415
	ProblemThrottled        = ProblemBase + "too-many-logins"        // 429: retry after Retry-After
	ProblemInternal         = ProblemBase + "internal"               // 500
	ProblemUnavailable      = ProblemBase + "unavailable"            // 503: nothing changed; worth a retry soon (Retry-After)
	// ProblemOutcomeUnknown: the store took the change but did not answer
	// whether it was stored (a cluster's etcd lost its quorum meanwhile),
	// and may still store it. 504, without Retry-After: read the state
	// back before trying again, since a blind retry could apply the change
	// twice.
	ProblemOutcomeUnknown = ProblemBase + "outcome-unknown"
)

// Problem is an RFC 9457 problem detail: the body of every error answer,
// and the error the Client returns for one. Field, Rule and Value are
// extension members of validation problems.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Field    string `json:"field,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Value    string `json:"value,omitempty"`
}

// Error gives the status, the title and the detail on one line.
func (p *Problem) Error() string {
	msg := fmt.Sprintf("%d %s", p.Status, p.Title)
	if p.Detail != "" {
		msg += ": " + p.Detail
	}
	return msg
}

func newProblem(status int, typ, title, detail string) *Problem {
	return &Problem{Type: typ, Title: title, Status: status, Detail: detail}
}

func malformed(format string, args ...any) *Problem {
	return newProblem(http.StatusBadRequest, ProblemMalformed, "Malformed request", fmt.Sprintf(format, args...))
}

// invalidField is a validation problem about an API field.
func invalidField(field, rule string, value any) *Problem {
	p := newProblem(http.StatusBadRequest, ProblemValidation, "Invalid value", field+": "+rule)
	p.Field, p.Rule = field, rule
	if value != nil {
		p.Value = fmt.Sprint(value)
	}
	return p
}

// problemKind is the answer to one kind of error.
type problemKind struct {
	status int
	typ    string
	title  string
}

// engineProblems maps the engine's error kinds to problems: the one table.
// KindOther is missing: such an error is a 500 whose text is logged.
var engineProblems = map[engine.Kind]problemKind{
	engine.KindNotFound:       {http.StatusNotFound, ProblemNotFound, "Not found"},
	engine.KindExists:         {http.StatusConflict, ProblemExists, "Already exists"},
	engine.KindInvalid:        {http.StatusBadRequest, ProblemValidation, "Invalid value"},
	engine.KindBusy:           {http.StatusConflict, ProblemBusy, "Busy"},
	engine.KindInUse:          {http.StatusConflict, ProblemInUse, "In use"},
	engine.KindUnsupported:    {http.StatusConflict, ProblemNotSupported, "Not supported"},
	engine.KindUnavailable:    {http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable"},
	engine.KindClosed:         {http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable"},
	engine.KindNotLeader:      {http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable"},
	engine.KindOutcomeUnknown: {http.StatusGatewayTimeout, ProblemOutcomeUnknown, "Outcome unknown"},
}

// otherProblems maps the errors of the API itself and of user management.
var otherProblems = []struct {
	err error
	problemKind
}{
	{ErrInvalidConfig, problemKind{http.StatusUnprocessableEntity, ProblemInvalidConfig, "Invalid configuration"}},
	{auth.ErrUnauthorized, problemKind{http.StatusUnauthorized, ProblemUnauthorized, "Unauthorized"}},
	{auth.ErrUserNotFound, problemKind{http.StatusNotFound, ProblemNotFound, "Not found"}},
	{auth.ErrUserExists, problemKind{http.StatusConflict, ProblemExists, "Already exists"}},
	{auth.ErrUserInvalid, problemKind{http.StatusBadRequest, ProblemValidation, "Invalid value"}},
	{auth.ErrUserFixed, problemKind{http.StatusConflict, ProblemConfigured, "Declared in the configuration"}},
	{auth.ErrLastAdmin, problemKind{http.StatusConflict, ProblemLastAdmin, "Last administrator"}},
	{context.Canceled, problemKind{http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable"}},
	{context.DeadlineExceeded, problemKind{http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable"}},
}

// problemOf turns any error into a problem; ok is false for errors the
// table does not know (answered as 500 without their text).
func problemOf(err error) (p *Problem, ok bool) {
	if errors.As(err, &p) {
		return p, true
	}
	if k, ok := engineProblems[engine.KindOf(err)]; ok {
		p = newProblem(k.status, k.typ, k.title, engine.MessageOf(err))
		addValidation(p, err)
		return p, true
	}
	for _, row := range otherProblems {
		if errors.Is(err, row.err) {
			return newProblem(row.status, row.typ, row.title, errorDetail(err)), true
		}
	}
	return newProblem(http.StatusInternalServerError, ProblemInternal, "Internal error",
		"the server could not complete the request; see its log"), false
}

// errorDetail is an error's text; a user-management error gives its own
// detail.
func errorDetail(err error) string {
	var ue *auth.UserError
	if errors.As(err, &ue) {
		return ue.Detail
	}
	return err.Error()
}

func addValidation(p *Problem, err error) {
	var ve *engine.ValidationError
	if !errors.As(err, &ve) {
		return
	}
	p.Field, p.Rule, p.Value = apiField(ve.Field), ve.Rule, ve.Value
	p.Detail = p.Field + ": " + ve.Rule
}

// fieldNames renames engine field names whose API name differs beyond the
// first letter of each dotted part.
var fieldNames = map[string]string{
	"policy.period": "policy.periodSeconds",
	"report.state":  "state",
	"report.ttl":    "ttlSeconds",
	"roles":         "members",
}

// apiField turns an engine field name ("Policy.MaxFailovers",
// "TypeOfSet[1]") into the API's camelCase name.
func apiField(field string) string {
	parts := strings.Split(field, ".")
	for i, part := range parts {
		if strings.ToUpper(part) == part {
			parts[i] = strings.ToLower(part) // an acronym such as TTL
			continue
		}
		r, n := utf8.DecodeRuneInString(part)
		parts[i] = string(unicode.ToLower(r)) + part[n:]
	}
	joined := strings.Join(parts, ".")
	if renamed, ok := fieldNames[joined]; ok {
		return renamed
	}
	return joined
}

// writeProblem answers with p, setting Instance to the request path.
func writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	out := *p
	if out.Instance == "" {
		out.Instance = r.URL.EscapedPath()
	}
	body, err := json.Marshal(out)
	if err != nil {
		body = []byte(`{"type":"` + ProblemInternal + `","title":"Internal error","status":500}`)
		out.Status = http.StatusInternalServerError
	}
	h := w.Header()
	if out.Status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		h.Set("Retry-After", "1") // unavailable for now (closing, no leader): worth a retry soon; never for an unknown outcome (504)
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(out.Status)
	_, _ = w.Write(append(body, '\n'))
}

// WriteProblem answers with p (RFC 9457), as every route of the API does;
// for the server's edge, which answers some API requests itself.
func WriteProblem(w http.ResponseWriter, r *http.Request, p *Problem) { writeProblem(w, r, p) }
