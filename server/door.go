package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/protocol/cimxml"
	"github.com/redset/redset/protocol/wsman"
	"github.com/redset/redset/web"
)

// The gates of the door (auth.Door): each protocol's name, how its
// requests name their operation, and how it writes a refusal. CIM-XML and
// WS-Man name their operations once the body is decoded: the object
// manager's authorization middleware (authorizeCIM) decides them.
var (
	cimxmlGate = auth.Gate{Protocol: engine.ProtocolCIMXML, Refuse: cimxml.Refuse}
	wsmanGate  = auth.Gate{Protocol: engine.ProtocolWSMan, Anonymous: wsman.Anonymous, Refuse: wsman.Refuse}
	apiGate    = auth.Gate{Protocol: engine.ProtocolAPI, Operation: api.Operation, Refuse: api.Refuse}
	demoGate   = auth.Gate{Protocol: engine.ProtocolAPI, Operation: demoOperation, Refuse: api.Refuse}
	webGate    = auth.Gate{Protocol: engine.ProtocolWeb, Operation: webOperation, Refuse: web.Refuse}
)

// metricsOperation is the operation of GET /metrics.
const metricsOperation auth.Operation = "metrics GET /metrics"

// metricsGate lets requests without credentials in while the
// configuration says metrics.public.
func (s *Server) metricsGate() auth.Gate {
	return auth.Gate{Protocol: "metrics",
		Operation: func(*http.Request) auth.Operation { return metricsOperation },
		Anonymous: func(*http.Request) bool { return s.metricsPublic.Load() },
	}
}

// webOperation names a dashboard request's operation: "web " and the
// dashboard's route; the pages every other path gets are "web other".
func webOperation(r *http.Request) auth.Operation {
	pattern := web.Pattern(r)
	if !strings.Contains(pattern, " ") {
		return "web other"
	}
	return auth.Operation("web " + pattern)
}

// demoOperation names a demo request's operation.
func demoOperation(r *http.Request) auth.Operation {
	_, pattern := demoRoutes.Handler(r)
	if pattern == "" {
		return "demo other"
	}
	return auth.Operation("demo " + pattern)
}

// authorizeCIM is the object manager's authorization middleware: it
// decides each CIM operation (by name; InvokeMethod by method; the
// subscription writes of root/interop by namespace too) with
// auth.Authorize for the caller the door established. A refusal is
// CIM_ERR_ACCESS_DENIED, which CIM-XML sends as is and WS-Man as
// wsman:AccessDenied.
func authorizeCIM(next cimom.Handler) cimom.Handler {
	return cimom.HandlerFunc(func(ctx context.Context, req *cimom.Request) (*cimom.Response, error) {
		if err := auth.Authorize(ctx, auth.CIMOperationIn(req.Namespace, req.Op.String(), req.Method)); err != nil {
			return nil, cim.Errorf(cim.StatusAccessDenied, "%v", err)
		}
		return next.Handle(ctx, req)
	})
}
