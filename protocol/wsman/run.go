package wsman

import (
	"bytes"
	"context"
	"errors"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// run serves a call and returns the whole answer (UTF-8), or an error that
// becomes a fault. Answers are built in memory: a fault can still replace
// them, and their size is checked against MaxEnvelopeSize before anything
// is sent.
func (x *exchange) run(env *Envelope, c *Call) (*bytes.Buffer, error) {
	if c.Kind == KindIdentify {
		return x.identify(env, x.known), nil
	}
	ctx := x.ctx
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	switch c.Kind {
	case KindGet:
		return x.get(ctx, env, c)
	case KindPut:
		return x.put(ctx, env, c)
	case KindCreate:
		return x.create(ctx, env, c)
	case KindDelete, KindRelease:
		return x.empty(ctx, env, c)
	case KindInvoke:
		return x.invoke(ctx, env, c)
	case KindEnumerate:
		return x.enumerate(ctx, env, c)
	case KindPull:
		return x.pull(ctx, env, c)
	case KindSubscribe, KindRenew, KindGetStatus, KindUnsubscribe, KindEventPull:
		return x.serveEvent(ctx, env, c)
	}
	return nil, newFault(FaultActionNotSupported, "", "the action %q is not supported", env.Action)
}

// handle passes a request to the object manager. An error after the
// client's OperationTimeout has passed is w:TimedOut (the object manager
// reports an abandoned operation as CIM_ERR_FAILED); other errors that a
// selector problem may explain are looked at more closely (see
// diagnoseSelectors).
func (x *exchange) handle(ctx context.Context, c *Call, req *cimom.Request) (*cimom.Response, error) {
	resp, err := x.h.next.Handle(ctx, req)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, &Fault{Kind: FaultTimedOut, Reason: "the operation did not complete within the OperationTimeout of " + c.Timeout.String()}
	}
	if err != nil {
		return nil, x.explain(ctx, c, req, err)
	}
	if resp == nil {
		resp = &cimom.Response{}
	}
	return resp, nil
}

// limit is the largest answer allowed: the client's MaxEnvelopeSize, but
// never more than the server's.
func (x *exchange) limit(env *Envelope) int {
	max := x.h.opts.MaxEnvelopeSize
	if env.MaxEnvelopeSize > 0 && env.MaxEnvelopeSize < max {
		return env.MaxEnvelopeSize
	}
	return max
}

// answer writes an envelope whose body is written by body, and checks its
// size in the encoding it will be sent in.
func (x *exchange) answer(env *Envelope, c *Call, action string, body func(*writer)) (*bytes.Buffer, error) {
	out := bufPool.Get().(*bytes.Buffer)
	out.Reset()
	w := newWriter(out, c.Resource)
	w.envelopeStart(env.Encoding, header{action: action, messageID: x.h.newID(), relatesTo: env.MessageID})
	body(w)
	w.envelopeEnd()
	if size := encodedSize(env.Encoding, out.Len()); size > x.limit(env) {
		bufPool.Put(out)
		return nil, newFault(FaultEncodingLimit, DetailMaxEnvelopeSize,
			"the answer (%d octets) exceeds MaxEnvelopeSize (%d octets)", size, x.limit(env))
	}
	return out, nil
}

// encodedSize bounds the size of n UTF-8 bytes once encoded: UTF-16 takes
// at most two bytes per UTF-8 byte, plus the byte order mark.
func encodedSize(enc Encoding, n int) int {
	if enc == UTF8 {
		return n
	}
	return 2*n + 2
}

func (x *exchange) identify(env *Envelope, authenticated bool) *bytes.Buffer {
	out := bufPool.Get().(*bytes.Buffer)
	out.Reset()
	writeIdentify(newWriter(out, Resource{}), env.Encoding,
		identity{version: x.h.opts.ProductVersion, authenticated: authenticated, tls: x.tls})
	return out
}

// get serves WS-Transfer Get with GetInstance.
func (x *exchange) get(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	resp, err := x.handle(ctx, c, c.Request)
	if err != nil {
		return nil, err
	}
	if resp.Instance == nil || resp.Instance.Instance == nil {
		return nil, newFault(FaultInternalError, "", "the object manager returned no instance")
	}
	return x.answer(env, c, actionGet+responseSuffix, func(w *writer) {
		w.instance(resp.Instance.Instance, resp.Instance.Path)
	})
}

// put serves WS-Transfer Put with ModifyInstance, then answers with the
// instance as it now is (DSP0226 clause 7.4 lets the service return the
// updated representation). If reading it back fails the answer is empty.
func (x *exchange) put(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	if _, err := x.handle(ctx, c, c.Request); err != nil {
		return nil, err
	}
	get := &cimom.Request{Op: cimom.GetInstance, Namespace: c.Request.Namespace, ObjectName: c.Request.ObjectName}
	resp, err := x.h.next.Handle(ctx, get)
	return x.answer(env, c, actionPut+responseSuffix, func(w *writer) {
		if err == nil && resp != nil && resp.Instance != nil && resp.Instance.Instance != nil {
			w.instance(resp.Instance.Instance, resp.Instance.Path)
		}
	})
}

// create serves WS-Transfer Create with CreateInstance and answers with
// the new instance's endpoint reference in x:ResourceCreated (DSP0226
// clause 7.5).
func (x *exchange) create(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	resp, err := x.handle(ctx, c, c.Request)
	if err != nil {
		return nil, err
	}
	if resp.Instance == nil || resp.Instance.Path.ClassName == "" {
		return nil, newFault(FaultInternalError, "", "the object manager returned no path for the new instance")
	}
	return x.answer(env, c, actionCreate+responseSuffix, func(w *writer) {
		w.start(pfxWXF, "ResourceCreated")
		w.eprContent(resp.Instance.Path, c.Resource.Namespace)
		w.end()
	})
}

// empty serves Delete (DeleteInstance) and Release (CloseEnumeration),
// whose answers have an empty body. Releasing an enumeration that already
// ended needs no object manager.
func (x *exchange) empty(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	if !c.Ended {
		if _, err := x.handle(ctx, c, c.Request); err != nil {
			return nil, err
		}
	}
	return x.answer(env, c, env.Action+responseSuffix, func(*writer) {})
}

// invoke serves a custom action with InvokeMethod and answers with
// <Method_OUTPUT>: the OUT parameters, then ReturnValue (DSP0227 clause 11).
func (x *exchange) invoke(ctx context.Context, env *Envelope, c *Call) (*bytes.Buffer, error) {
	resp, err := x.handle(ctx, c, c.Request)
	if err != nil {
		return nil, err
	}
	return x.answer(env, c, env.Action+responseSuffix, func(w *writer) {
		w.start(pfxClass, c.Request.Method+"_OUTPUT")
		w.declareClass(c.Resource.URI)
		for _, p := range resp.Out {
			w.property(p.Name, p.Value, c.Resource.Namespace)
		}
		w.property("ReturnValue", resp.ReturnValue, c.Resource.Namespace)
		w.end()
	})
}

// explain turns an object manager error into a fault. For requests that
// address an instance by selectors, CIM_ERR_INVALID_PARAMETER and
// CIM_ERR_NOT_FOUND may mean the selectors do not fit the class's keys;
// then the answer is w:InvalidSelectors with the detail DSP0226 asks for.
// A parameter or type error about the body of Put or Create is the
// representation's fault (wxf:InvalidRepresentation, DSP0226 clause 7).
// Everything else goes through the status table of fault.go.
func (x *exchange) explain(ctx context.Context, c *Call, req *cimom.Request, err error) error {
	st := cim.StatusOf(err)
	bySelectors := c.Kind == KindGet || c.Kind == KindPut || c.Kind == KindDelete || c.Kind == KindInvoke
	if bySelectors && (st == cim.StatusInvalidParameter || st == cim.StatusNotFound) {
		if detail, bad := x.diagnoseSelectors(ctx, req); bad {
			return &Fault{Kind: FaultInvalidSelectors, Detail: detail, Reason: err.Error(), Status: st}
		}
	}
	badBody := st == cim.StatusInvalidParameter || st == cim.StatusTypeMismatch || st == cim.StatusNoSuchProperty
	if (c.Kind == KindPut || c.Kind == KindCreate) && badBody {
		return &Fault{Kind: FaultInvalidRepresentation, Reason: err.Error(), Status: st}
	}
	return err
}
