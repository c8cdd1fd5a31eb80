package api

import (
	"encoding/json"
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

// Options configure the handler.
type Options struct {
	// Users is the user table the /users routes manage; without it they
	// answer 503.
	Users   *auth.Users
	Logger  *slog.Logger // default: discard
	Version string       // the server's version, shown as info.version of the OpenAPI document

	// Reload re-reads and applies the server's configuration file
	// (POST /config/reload); nil answers that route with 409.
	Reload ReloadFunc

	// Cluster describes the cluster for GET /api/v1/cluster; nil answers
	// a server on its own, unnamed.
	Cluster func() ClusterInfo

	// Traffic gives the status of each set's frontend, shown as the set's
	// frontendStatus; nil leaves that field out.
	Traffic Traffic

	// Subscriptions are the server's subscriptions to indications, shown
	// and deleted through /subscriptions; nil answers those routes with
	// 503.
	Subscriptions Subscriptions

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
	events  eventJSON // the JSON of the newest events, for the stream and the history
}

// route is one entry of the route table: a method and a path pattern
// (net/http ServeMux syntax) and the function serving it. Its permission is
// auth's table's entry for its operation, "api " and the pattern.
type route struct {
	method string
	path   string
	serve  func(http.ResponseWriter, *http.Request) error
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

func (rt route) operation() auth.Operation { return operationOf(rt.pattern()) }

// operationOf names the operation of a route pattern for auth's table;
// unknown paths and methods are "api other".
func operationOf(pattern string) auth.Operation {
	if method, _, _ := strings.Cut(pattern, " "); method == "" || method == pattern {
		return "api other"
	}
	return auth.Operation("api " + pattern)
}

// classifier finds the route of a request, for Operation.
var classifier = func() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range (&handler{}).routes() {
		mux.Handle(rt.pattern(), http.NotFoundHandler())
	}
	return mux
}()

// Operation names the operation of an API request for auth's permission
// table ("api POST /api/v1/sets/{id}/failover"), for the door to decide
// before the handler runs (auth.Gate.Operation).
func Operation(r *http.Request) auth.Operation {
	_, pattern := classifier.Handler(r)
	return operationOf(pattern)
}

// routes is the route table: the one list that registers the handlers and
// that the OpenAPI test checks against the document.
func (h *handler) routes() []route {
	return []route{
		{"GET", Prefix + "/openapi.json", h.serveOpenAPI},
		{"GET", Prefix + "/sets", h.listSets},
		{"POST", Prefix + "/sets", h.createSet},
		{"GET", Prefix + "/sets/{id}", h.getSet},
		{"PUT", Prefix + "/sets/{id}", h.replaceSet},
		{"PATCH", Prefix + "/sets/{id}", h.patchSet},
		{"DELETE", Prefix + "/sets/{id}", h.deleteSet},
		{"PUT", Prefix + "/sets/{id}/members/{name}", h.putSetMember},
		{"DELETE", Prefix + "/sets/{id}/members/{name}", h.removeSetMember},
		{"POST", Prefix + "/sets/{id}/members/{name}/enable", h.enableMember},
		{"POST", Prefix + "/sets/{id}/members/{name}/drain", h.drainMember},
		{"POST", Prefix + "/sets/{id}/failover", h.failover},
		{"POST", Prefix + "/sets/{id}/flap-guard/reset", h.resetFlapGuard},
		{"GET", Prefix + "/sets/{id}/scheduled", h.listScheduled},
		{"POST", Prefix + "/sets/{id}/scheduled", h.scheduleFailover},
		{"GET", Prefix + "/sets/{id}/scheduled/{sid}", h.getScheduled},
		{"DELETE", Prefix + "/sets/{id}/scheduled/{sid}", h.cancelScheduled},
		{"GET", Prefix + "/scheduled", h.listAllScheduled},
		{"POST", Prefix + "/sets/{id}/pause", h.pauseSet},
		{"POST", Prefix + "/sets/{id}/resume", h.resumeSet},
		{"GET", Prefix + "/maintenance", h.maintenance},
		{"GET", Prefix + "/cluster", h.cluster},
		{"POST", Prefix + "/pause", h.pauseServer},
		{"POST", Prefix + "/resume", h.resumeServer},
		{"GET", Prefix + "/members", h.listMembers},
		{"POST", Prefix + "/members", h.createMember},
		{"GET", Prefix + "/members/{name}", h.getMember},
		{"PUT", Prefix + "/members/{name}", h.putMember},
		{"DELETE", Prefix + "/members/{name}", h.deleteMember},
		{"POST", Prefix + "/members/{name}/health", h.reportHealth},
		{"GET", Prefix + "/history", h.history},
		{"GET", Prefix + "/events", h.streamEvents},
		{"GET", Prefix + "/users", h.listUsers},
		{"POST", Prefix + "/users", h.createUser},
		{"PUT", Prefix + "/users/{name}/password", h.setPassword},
		{"DELETE", Prefix + "/users/{name}", h.deleteUser},
		{"POST", Prefix + "/config/reload", h.reloadConfig},
		{"GET", Prefix + "/subscriptions", h.listSubscriptions},
		{"DELETE", Prefix + "/subscriptions/{id}", h.deleteSubscription},
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
	h.mux.Handle(Prefix+"/", h.wrap(route{path: Prefix + "/", serve: notFound}))
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// wrap authorizes the caller the door established (auth.Authorize: the
// door has decided already; this keeps the handler safe when mounted
// without it), refuses a write whose body is not JSON (415), runs the
// route and answers its error as a problem.
func (h *handler) wrap(rt route) http.Handler {
	op := rt.operation()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := auth.Authorize(r.Context(), op); err != nil {
			Refuse(w, r, auth.StatusOf(err), err)
			return
		}
		if err := checkWriteBody(r); err != nil {
			h.fail(w, r, err)
			return
		}
		if id, ok := auth.IdentityFrom(r.Context()); ok {
			r = r.WithContext(engine.WithActor(r.Context(), actorOf(r, id)))
		}
		if err := rt.serve(w, r); err != nil {
			h.fail(w, r, err)
		}
	})
}

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

// Refuse writes a refusal (of the door, auth.Gate.Refuse, or of
// auth.Authorize) as a problem: 401, 403, 429 or 503. The door has set
// WWW-Authenticate and Retry-After.
func Refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", auth.Challenge)
	}
	writeProblem(w, r, refusalProblem(status, err))
}

func refusalProblem(status int, err error) *Problem {
	switch status {
	case http.StatusUnauthorized:
		return newProblem(status, ProblemUnauthorized, "Unauthorized", auth.RefusalText(status, err))
	case http.StatusForbidden:
		return newProblem(status, ProblemForbidden, "Forbidden", err.Error())
	case http.StatusTooManyRequests:
		return newProblem(status, ProblemThrottled, "Too many login attempts", auth.RefusalText(status, err))
	}
	return newProblem(http.StatusServiceUnavailable, ProblemUnavailable, "Unavailable", auth.RefusalText(status, err))
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
	return h.wrap(route{serve: func(w http.ResponseWriter, r *http.Request) error {
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
	writeJSONBody(w, status, append(body, '\n'))
	return nil
}

// writeJSONBody answers with status and body, a JSON document and its
// final newline.
func writeJSONBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}
