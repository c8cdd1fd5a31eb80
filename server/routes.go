package server

import (
	"encoding/json"
	"net/http"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/protocol/cimxml"
	"github.com/redset/redset/protocol/wsman"
	"github.com/redset/redset/schema"
)

// routes mounts every path on one handler; every listener serves them all.
// Every protocol's path is behind the one door (auth.Door, see door.go):
// it establishes the caller before the handler reads anything. On a
// follower, the writes of /cimom, /wsman and /api/v1 that its door let in
// go to the leader (see forwarder), whose door checks the credentials they
// carry again; a forwarded request's signature is checked in front of the
// door, so that the leader's door sees the client's address.
// A write a browser sends from a page of another origin is refused on
// every path (refuseCrossOrigin). In front of all of this (see
// buildHandlers), a request from a trusted proxy gets the client's address
// its X-Forwarded-For names (forwardedClient), and then the one body cap.
// Before any of this, below net/http, a read waits for a place and a
// change does not (see admission).
//
//	/cimom     CIM-XML (POST, M-POST)
//	/wsman     WS-Management
//	/api/v1/   the operator JSON API (and /api/v1/demo/ with --demo)
//	/metrics   Prometheus metrics (a reader, unless metrics.public)
//	/healthz   the process is up
//	/readyz    the server is serving, its first round of probes done
//	/          the dashboard
func (s *Server) routes(cim cimom.Handler) http.Handler {
	mux := http.NewServeMux()
	m, fw := s.metrics, newForwarder(s)
	door := auth.NewDoor(s.authn, s.log.With("part", "auth"))
	guarded := func(protocol string, g auth.Gate, writes func(*http.Request, int64) bool, h http.Handler) http.Handler {
		return fw.admitting(protocol, door.Guard(g, fw.forwarding(protocol, writes, h)))
	}
	mux.Handle("/cimom", m.instrument("cimxml", guarded(engine.ProtocolCIMXML, cimxmlGate, cimxmlWrites, cimxml.NewHandler(cim, cimxml.Options{
		Logger: s.log.With("part", "cimxml"),
	}))))
	mux.Handle("/wsman", m.instrument("wsman", guarded(engine.ProtocolWSMan, wsmanGate, wsmanWrites, wsman.NewHandler(cim, wsman.Options{
		DefaultNamespace: schema.Namespace, ProductVersion: Version, Logger: s.log.With("part", "wsman"),
		Eventing: s.wsmanEventing(),
	}))))
	mux.Handle("/api/v1/", m.instrument("api", s.ops.apiMiddleware(guarded(engine.ProtocolAPI, apiGate, apiWrites, api.NewHandler(s.eng, api.Options{
		Users: s.users, Logger: s.log.With("part", "api"), Version: Version, Reload: s.reloadFunc,
		Cluster: s.apiCluster, Traffic: statusFunc(s.frontendStatus), Subscriptions: s.apiSubscriptions(),
	})))))
	if s.demo != nil {
		mux.Handle("/api/v1/demo/", m.instrument("api", door.Guard(demoGate, s.demo.handler())))
	}
	mux.Handle("GET /metrics", door.Guard(s.metricsGate(), m.handler()))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writePlain(w, http.StatusOK, "ok") })
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("/", m.instrument("web", door.Guard(webGate, s.dashboard())))
	return refuseCrossOrigin(mux)
}

// readyz tells a load balancer whether to send this server requests: 200
// once it serves (started, first round of probes done) and, in a cluster,
// its state is in sync with the store; else 503 with the reason.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	reason := ""
	switch {
	case !s.Ready():
		reason = "not serving yet (starting, or stopping)"
	case !s.clusterInfo().InSync:
		reason = "not in sync with the cluster's store yet"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]any{"ready": false, "reason": reason})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": true})
}

func writePlain(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(text + "\n"))
}
