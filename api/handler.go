package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
)

// Prefix is the path every route of the API starts with.
const Prefix = "/api/v1"

// DefaultHeartbeat is the interval of heartbeat comments on event streams.
const DefaultHeartbeat = 15 * time.Second

// Options configure the handler. Auth is required: without it every
// authenticated route answers 401.
type Options struct {
	Auth auth.Authenticator
	// Users is the user table the /users routes manage; without it they
	// answer 503.
	Users   *auth.Users
	Logger  *slog.Logger // default: discard
	Realm   string       // HTTP Basic realm; default "redset"
	Version string       // the server's version, shown as info.version of the OpenAPI document

	// Reload re-reads and applies the server's configuration file
	// (POST /config/reload); nil answers that route with 409.
	Reload ReloadFunc

	// Cluster describes the cluster for GET /api/v1/cluster; nil answers
	// a server on its own, unnamed.
	Cluster func() ClusterInfo

	// EventBuffer is how many events an event-stream subscriber may fall
	// behind before it is dropped; 0 means event.DefaultBuffer.
	EventBuffer int
	// Heartbeat is the interval of heartbeat comments; default
	// DefaultHeartbeat.
	Heartbeat time.Duration
	// NewTicker starts the heartbeat ticks of one stream and returns them
	// with a stop function; default time.NewTicker. Tests inject their own.
	NewTicker func(d time.Duration) (ticks <-chan time.Time, stop func())
}

func (o *Options) fill() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Realm == "" {
		o.Realm = "redset"
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.NewTicker == nil {
		o.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
}

// handler serves the API. It is safe for concurrent use; all state lives in
// the engine.
type handler struct {
	eng     *engine.Engine
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	openapi []byte
}

// route is one entry of the route table: a method and a path pattern
// (net/http ServeMux syntax), the action a caller must be allowed, and the
// function serving it. An empty action means no authentication.
type route struct {
	method string
	path   string
	action auth.Action
	serve  func(http.ResponseWriter, *http.Request) error
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routes is the route table: the one list that registers the handlers and
// that the OpenAPI test checks against the document.
func (h *handler) routes() []route {
	const (
		read, configure = auth.ActionRead, auth.ActionConfigure
		operate, lb     = auth.ActionFailover, auth.ActionLoadBalance
	)
	return []route{
		{"GET", Prefix + "/openapi.json", "", h.serveOpenAPI},
		{"GET", Prefix + "/sets", read, h.listSets},
		{"POST", Prefix + "/sets", configure, h.createSet},
		{"GET", Prefix + "/sets/{id}", read, h.getSet},
		{"PUT", Prefix + "/sets/{id}", configure, h.replaceSet},
		{"PATCH", Prefix + "/sets/{id}", lb, h.patchSet},
		{"DELETE", Prefix + "/sets/{id}", configure, h.deleteSet},
		{"PUT", Prefix + "/sets/{id}/members/{name}", configure, h.putSetMember},
		{"DELETE", Prefix + "/sets/{id}/members/{name}", configure, h.removeSetMember},
		{"POST", Prefix + "/sets/{id}/members/{name}/enable", operate, h.enableMember},
		{"POST", Prefix + "/sets/{id}/members/{name}/drain", operate, h.drainMember},
		{"POST", Prefix + "/sets/{id}/failover", operate, h.failover},
		{"POST", Prefix + "/sets/{id}/flap-guard/reset", operate, h.resetFlapGuard},
		{"GET", Prefix + "/sets/{id}/scheduled", read, h.listScheduled},
		{"POST", Prefix + "/sets/{id}/scheduled", operate, h.scheduleFailover},
		{"GET", Prefix + "/sets/{id}/scheduled/{sid}", read, h.getScheduled},
		{"DELETE", Prefix + "/sets/{id}/scheduled/{sid}", operate, h.cancelScheduled},
		{"GET", Prefix + "/scheduled", read, h.listAllScheduled},
		{"POST", Prefix + "/sets/{id}/pause", operate, h.pauseSet},
		{"POST", Prefix + "/sets/{id}/resume", operate, h.resumeSet},
		{"GET", Prefix + "/maintenance", read, h.maintenance},
		{"GET", Prefix + "/cluster", read, h.cluster},
		{"POST", Prefix + "/pause", operate, h.pauseServer},
		{"POST", Prefix + "/resume", operate, h.resumeServer},
		{"GET", Prefix + "/members", read, h.listMembers},
		{"POST", Prefix + "/members", configure, h.createMember},
		{"GET", Prefix + "/members/{name}", read, h.getMember},
		{"PUT", Prefix + "/members/{name}", configure, h.putMember},
		{"DELETE", Prefix + "/members/{name}", configure, h.deleteMember},
		{"POST", Prefix + "/members/{name}/health", operate, h.reportHealth},
		{"GET", Prefix + "/history", read, h.history},
		{"GET", Prefix + "/events", read, h.streamEvents},
		{"GET", Prefix + "/users", configure, h.listUsers},
		{"POST", Prefix + "/users", configure, h.createUser},
		{"PUT", Prefix + "/users/{name}/password", configure, h.setPassword},
		{"DELETE", Prefix + "/users/{name}", configure, h.deleteUser},
		{"POST", Prefix + "/config/reload", configure, h.reloadConfig},
	}
}

// NewHandler returns the API handler for eng. It serves the full paths
// /api/v1/...; unknown paths under /api/v1/ get a 404 problem and known
// paths with another method a 405 problem with an Allow header.
func NewHandler(eng *engine.Engine, opts Options) http.Handler {
	opts.fill()
	h := &handler{eng: eng, opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	h.openapi = documentFor(opts.Version)
	allowed := map[string][]string{}
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern(), h.wrap(rt))
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for path, methods := range allowed {
		h.mux.Handle(path, h.methodNotAllowed(methods))
	}
	h.mux.Handle(Prefix+"/", h.wrap(route{path: Prefix + "/", action: auth.ActionRead, serve: notFound}))
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// wrap authenticates and authorizes the caller, refuses a write whose body
// is not JSON (415), runs the route and answers its error as a problem.
func (h *handler) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if rt.action != "" {
			id, err := h.authorize(w, r, rt.action)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			if err := checkWriteBody(r); err != nil {
				h.fail(w, r, err)
				return
			}
			ctx := context.WithValue(r.Context(), identityKey{}, id)
			r = r.WithContext(engine.WithActor(ctx, actorOf(r, id)))
		}
		if err := rt.serve(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

type identityKey struct{}

// actorOf is the engine's actor for an authenticated request: the user,
// the remote address and the protocol — "web" when a browser says the
// request came from a page of this server (the dashboard), else "api".
// Sec-Fetch-Site is set by browsers alone (scripts cannot), so the
// distinction is the browser's word; user and address are what count.
func actorOf(r *http.Request, id auth.Identity) engine.Actor {
	protocol := engine.ProtocolAPI
	if r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		protocol = engine.ProtocolWeb
	}
	return engine.Actor{User: id.User, Address: r.RemoteAddr, Protocol: protocol}
}

// identityOf returns the authenticated caller of r.
func identityOf(r *http.Request) auth.Identity {
	id, _ := r.Context().Value(identityKey{}).(auth.Identity)
	return id
}

// authorize checks the Basic credentials and that the caller may perform
// action. A 401 answer carries the WWW-Authenticate challenge. Wrong
// credentials are logged once, here, where the refusal is decided; a
// request without credentials is the ordinary first step of HTTP Basic
// and is not.
func (h *handler) authorize(w http.ResponseWriter, r *http.Request, action auth.Action) (auth.Identity, error) {
	user, password, ok := r.BasicAuth()
	var id auth.Identity
	err := auth.ErrUnauthorized
	if ok && h.opts.Auth != nil {
		id, err = h.opts.Auth.Authenticate(auth.WithClient(r.Context(), r.RemoteAddr, actorOf(r, id).Protocol), user, password)
		if errors.Is(err, auth.ErrUnauthorized) {
			h.log.Warn("login failed", "user", user, "remote", r.RemoteAddr, "protocol", "api")
		}
	}
	if errors.Is(err, auth.ErrUnauthorized) {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+quoteRealm(h.opts.Realm)+`", charset="UTF-8"`)
		return id, newProblem(http.StatusUnauthorized, ProblemUnauthorized, "Unauthorized",
			"valid HTTP Basic credentials are required")
	}
	if retry, ok := auth.Throttled(err); ok {
		w.Header().Set("Retry-After", retry)
		return id, newProblem(http.StatusTooManyRequests, ProblemThrottled, "Too many login attempts", err.Error())
	}
	if err != nil {
		return id, err
	}
	return id, h.allow(id, action)
}

// allow answers 403 unless id may perform action.
func (h *handler) allow(id auth.Identity, action auth.Action) error {
	if auth.Allow(id.Role, action) {
		return nil
	}
	return newProblem(http.StatusForbidden, ProblemForbidden, "Forbidden",
		"user "+id.User+" (role "+string(id.Role)+") may not "+actionText[action])
}

var actionText = map[auth.Action]string{
	auth.ActionRead:        "read",
	auth.ActionFailover:    "fail over, drain or return members, pause automatic failover, or report health",
	auth.ActionLoadBalance: "change the load-balancing algorithm",
	auth.ActionConfigure:   "change the configuration or manage users",
}

func quoteRealm(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// fail answers err as a problem, logging errors the table does not know.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	p, known := problemOf(err)
	if !known {
		h.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeProblem(w, r, p)
}

func (h *handler) methodNotAllowed(methods []string) http.Handler {
	allow := slices.Clone(methods)
	if slices.Contains(allow, "GET") {
		allow = append(allow, "HEAD")
	}
	slices.Sort(allow)
	header := strings.Join(allow, ", ")
	return h.wrap(route{action: auth.ActionRead, serve: func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", header)
		return newProblem(http.StatusMethodNotAllowed, ProblemMethodNotAllowed, "Method not allowed",
			r.Method+" is not allowed here; allowed: "+header)
	}})
}

func notFound(_ http.ResponseWriter, r *http.Request) error {
	return newProblem(http.StatusNotFound, ProblemNotFound, "Not found", "no route "+r.URL.Path)
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n')) // a failed write means the client went away
	return nil
}
