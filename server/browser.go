package server

import (
	"net/http"

	"github.com/redset/redset/api"
)

// refuseCrossOrigin refuses the writes a browser sends on behalf of a
// page of another origin (net/http.CrossOriginProtection: a
// Sec-Fetch-Site other than same-origin or none, else an Origin whose host
// is not the request's Host) with a 403 problem, on every path: the
// dashboard's own requests and every client that is not a browser pass.
// Reads (GET, HEAD, OPTIONS) always pass.
//
// A write forwarded by another server of the cluster was checked by that
// server, whose Host the browser's Origin named; it carries the forwarding
// headers, which no page can make a browser send to another origin
// without a CORS preflight that redset never grants, and passes.
func refuseCrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.WriteProblem(w, r, &api.Problem{Type: api.ProblemForbidden, Title: "Cross-origin request refused",
			Status: http.StatusForbidden, Detail: "a page of another site may not change anything here"})
	}))
	guarded := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if carriesForwarding(r.Header) {
			next.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}
