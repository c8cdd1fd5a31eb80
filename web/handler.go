package web

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"sync"

	"github.com/redset/redset/api"
)

// Source gives the data of the page's first render; afterwards the page
// reads the JSON API itself. Both methods are called once per page request,
// possibly from many requests at the same time, so implementations must be
// safe for concurrent use. They should honour ctx, which ends when the
// browser goes away.
type Source interface {
	// Sets returns every set, in the order the page shows them.
	Sets(ctx context.Context) ([]api.Set, error)
	// History returns at most limit of the most recent events, oldest
	// first (the order of GET /api/v1/history).
	History(ctx context.Context, limit int) ([]api.Event, error)
}

// Options configure the dashboard.
type Options struct {
	// Auth describes the caller the server established (in front of the
	// dashboard, auth's door checks the credentials): the user, the role
	// and what it may do. The page offers only the actions the caller's
	// role allows (the API still decides each request). Without it, or
	// when it reports no caller, a page request is refused with 401.
	Auth func(r *http.Request) (caller api.Caller, ok bool)
	// Title is the page's title and heading; default "redset".
	Title string
	// HistoryLimit is how many events the first render's timeline shows;
	// default DefaultHistoryLimit.
	HistoryLimit int
	// Logger receives render and source errors; default: discard.
	Logger *slog.Logger
}

// DefaultHistoryLimit is the default length of the page's timeline.
const DefaultHistoryLimit = 50

// Realm is the HTTP Basic realm of the challenge, the same as the API's,
// so the browser sends one set of credentials to both.
const Realm = "redset"

func (o *Options) fill() {
	if o.Title == "" {
		o.Title = "redset"
	}
	if o.HistoryLimit <= 0 {
		o.HistoryLimit = DefaultHistoryLimit
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// handler serves the dashboard. It holds no state of its own beyond the
// parsed templates and assets, which are read-only after NewHandler.
type handler struct {
	src    Source
	opts   Options
	log    *slog.Logger
	mux    *http.ServeMux
	assets assets
	tmpl   *template.Template
}

// The dashboard's routes.
const (
	patternPage     = "GET /{$}"
	patternNoMethod = "/{$}"
	patternAsset    = "GET /static/{name}"
	patternOther    = "/"
)

// NewHandler returns the dashboard handler, to be mounted at "/": it serves
// GET /, GET /static/{name} and a 404 page for every other path.
func NewHandler(src Source, opts Options) http.Handler {
	opts.fill()
	h := &handler{src: src, opts: opts, log: opts.Logger, mux: http.NewServeMux(), assets: loadAssets()}
	h.tmpl = parseTemplates(h.assets)
	h.mux.HandleFunc(patternPage, h.servePage)
	h.mux.HandleFunc(patternNoMethod, h.methodNotAllowed)
	h.mux.HandleFunc(patternAsset, h.serveAsset)
	h.mux.HandleFunc(patternOther, h.notFound)
	return h
}

// routes finds a request's route, for Pattern.
var routes = func() *http.ServeMux {
	mux := http.NewServeMux()
	for _, p := range []string{patternPage, patternNoMethod, patternAsset, patternOther} {
		mux.Handle(p, http.NotFoundHandler())
	}
	return mux
}()

// Pattern returns the route (net/http ServeMux pattern) the dashboard
// serves r with: "GET /{$}" for the page, "GET /static/{name}" for an
// asset, "/{$}" or "/" for the pages that answer any other request. The
// server names the request's operation with it.
func Pattern(r *http.Request) string {
	_, pattern := routes.Handler(r)
	return pattern
}

// Refuse writes a refusal of the server's door as a small page: 401
// (the door has set the challenge), 403, 429 or 503.
func Refuse(w http.ResponseWriter, r *http.Request, status int, err error) {
	title := map[int]string{http.StatusUnauthorized: "Sign in required", http.StatusForbidden: "Not allowed",
		http.StatusTooManyRequests: "Too many failed sign-ins"}[status]
	if title == "" {
		title = "Unavailable"
	}
	text := "The dashboard needs the user name and password of a redset user."
	if status != http.StatusUnauthorized {
		text = err.Error()
	}
	refusalPages().message(w, r, status, title, text)
}

// refusalPages renders Refuse's pages, with the default options.
var refusalPages = sync.OnceValue(func() *handler {
	h := &handler{assets: loadAssets()}
	h.opts.fill()
	h.log, h.tmpl = h.opts.Logger, parseTemplates(h.assets)
	return h
})

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// servePage renders the dashboard for an authenticated user. A source
// error still renders the page, with the error shown and status 500, so
// the script can recover when the source does.
func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	caller, ok := h.authenticate(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+Realm+`", charset="UTF-8"`)
		h.message(w, r, http.StatusUnauthorized, "Sign in required",
			"The dashboard needs the user name and password of a redset user.")
		return
	}
	data := h.pageData(r.Context(), caller)
	status := http.StatusOK
	if len(data.Problems) > 0 {
		status = http.StatusInternalServerError
	}
	h.render(w, r, status, "page", data)
}

func (h *handler) authenticate(r *http.Request) (api.Caller, bool) {
	if h.opts.Auth == nil {
		return api.Caller{}, false
	}
	return h.opts.Auth(r)
}

// pageData reads the source for the first render.
func (h *handler) pageData(ctx context.Context, caller api.Caller) pageData {
	data := pageData{Title: h.opts.Title, Caller: caller, API: api.Prefix}
	sets, err := h.src.Sets(ctx)
	if err != nil {
		h.log.Error("dashboard: reading the sets", "err", err)
		data.Problems = append(data.Problems, "The sets could not be read: "+err.Error())
	}
	events, err := h.src.History(ctx, h.opts.HistoryLimit)
	if err != nil {
		h.log.Error("dashboard: reading the history", "err", err)
		data.Problems = append(data.Problems, "The history could not be read: "+err.Error())
	}
	data.fill(sets, events)
	return data
}

func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	h.message(w, r, http.StatusMethodNotAllowed, "Method not allowed",
		"The dashboard only answers GET.")
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.message(w, r, http.StatusNotFound, "Not found",
		"There is nothing at "+r.URL.Path+".")
}

// messageData fills the small page of an error answer.
type messageData struct {
	Title, Heading, Text string
}

func (h *handler) message(w http.ResponseWriter, r *http.Request, status int, heading, text string) {
	h.render(w, r, status, "message", messageData{Title: h.opts.Title, Heading: heading, Text: text})
}

// render executes a template into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.log.Error("dashboard: rendering", "template", name, "path", r.URL.Path, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	setPageHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // a failed write means the browser went away
}

// contentSecurityPolicy allows the page's own origin and nothing else.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func setPageHeaders(hd http.Header) {
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
}
