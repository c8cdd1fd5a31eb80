package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// errRefused marks a Failover refused with 3 (Busy) or 4 (Parameter
// Error): expected when another client or the server moved the set.
var errRefused = errors.New("refused")

// worker is one client: it repeats its cycle of operations until the run
// ends, counting into its own tally.
type worker struct {
	r     *runner
	t     tally
	buf   bytes.Buffer
	cycle []op
	next  int // the set the next read names
}

// timed runs one operation and counts its outcome, unless the run ended
// while it was under way (its answer is then not the server's doing).
func (w *worker) timed(ctx context.Context, o op, f func() error) error {
	start := time.Now()
	err := f()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s := &w.t[o]
	s.lat.add(time.Since(start))
	switch {
	case err == nil:
		s.ok++
	case errors.Is(err, errRefused):
		s.refused++
	default:
		s.errors++
		w.r.errs.add(o, err)
	}
	return err
}

// nextSet picks the set the next read names, in turn.
func (w *worker) nextSet() *target {
	t := w.r.targets[w.next%len(w.r.targets)]
	w.next++
	return t
}

func (w *worker) run(ctx context.Context, o op) {
	switch o {
	case cimEnumerate:
		_ = w.timed(ctx, o, func() error { return w.cimEnumerate(ctx) })
	case cimGet:
		t := w.nextSet()
		_ = w.timed(ctx, o, func() error { return w.cimGet(ctx, t) })
	case wsmanEnumerate:
		w.wsmanEnumerate(ctx)
	case wsmanGet:
		t := w.nextSet()
		_ = w.timed(ctx, o, func() error { return w.wsmanGet(ctx, t) })
	case apiSets:
		_ = w.timed(ctx, o, func() error { return w.getJSON(ctx, "/api/v1/sets", `"sets"`) })
	case apiSet:
		t := w.nextSet()
		_ = w.timed(ctx, o, func() error { return w.getJSON(ctx, t.apiPath, `"instanceID"`) })
	case apiHistory:
		_ = w.timed(ctx, o, func() error { return w.getJSON(ctx, w.r.historyPath, `"events"`) })
	}
}

func (w *worker) cimPost(ctx context.Context, method, object, body string) (answer, error) {
	a, err := w.r.conn.do(ctx, "POST", "/cimom", body, &w.buf,
		"Content-Type", `application/xml; charset="utf-8"`, "CIMProtocolVersion", "1.0",
		"CIMOperation", "MethodCall", "CIMMethod", method, "CIMObject", object)
	if err != nil {
		return a, err
	}
	if a.status != 200 {
		return a, httpError(a)
	}
	if msg, ok := between(a.body, "<ERROR ", ">"); ok {
		return a, fmt.Errorf("CIM error: %s", msg)
	}
	return a, nil
}

func (w *worker) cimEnumerate(ctx context.Context) error {
	a, err := w.cimPost(ctx, "EnumerateInstances", cimObjectNamespace, cimEnumerateBody)
	if err != nil {
		return err
	}
	if !bytes.Contains(a.body, []byte(`<IMETHODRESPONSE NAME="EnumerateInstances">`)) {
		return fmt.Errorf("malformed answer: no EnumerateInstances response: %s", snippet(a.body))
	}
	return nil
}

func (w *worker) cimGet(ctx context.Context, t *target) error {
	a, err := w.cimPost(ctx, "GetInstance", cimObjectNamespace, t.cimGet)
	if err != nil {
		return err
	}
	if !bytes.Contains(a.body, []byte(`<INSTANCE CLASSNAME="Msvm_RedundancySet"`)) {
		return fmt.Errorf("malformed answer: no instance of set %s: %s", t.id, snippet(a.body))
	}
	return nil
}

func (w *worker) wsmanPost(ctx context.Context, body string) (answer, error) {
	a, err := w.r.conn.do(ctx, "POST", "/wsman", body, &w.buf, "Content-Type", "application/soap+xml;charset=UTF-8")
	if err != nil {
		return a, err
	}
	if bytes.Contains(a.body, []byte(":Fault>")) {
		return a, soapFault(a)
	}
	if a.status != 200 {
		return a, httpError(a)
	}
	return a, nil
}

// soapFault describes a SOAP fault answer by its subcode and reason.
func soapFault(a answer) error {
	sub, _ := between(a.body, ":Subcode><s:Value>", "<")
	if sub == "" {
		sub, _ = between(a.body, ":Code><s:Value>", "<")
	}
	reason, _ := between(a.body, `<s:Text xml:lang="en-US">`, "<")
	return fmt.Errorf("SOAP fault (HTTP %d) %s: %s", a.status, sub, reason)
}

// wsmanEnumerate enumerates the sets: an Enumerate, then Pulls until the
// end of the sequence, each counted on its own.
func (w *worker) wsmanEnumerate(ctx context.Context) {
	var enumCtx string
	done := false
	err := w.timed(ctx, wsmanEnumerate, func() error {
		a, err := w.wsmanPost(ctx, w.r.wsEnumerate)
		if err != nil {
			return err
		}
		enumCtx, done, err = enumerationState(a, "EnumerateResponse")
		return err
	})
	for pulls := 0; err == nil && !done; pulls++ {
		if pulls > 10000 {
			w.t[wsmanPull].errors++
			w.r.errs.add(wsmanPull, errors.New("the enumeration did not end after 10000 pulls"))
			return
		}
		err = w.timed(ctx, wsmanPull, func() error {
			a, err := w.wsmanPost(ctx, w.r.wsPull.body(enumCtx))
			if err != nil {
				return err
			}
			enumCtx, done, err = enumerationState(a, "PullResponse")
			return err
		})
	}
}

// enumerationState reads an Enumerate or Pull answer: the context to pull
// with next, or that the sequence ended.
func enumerationState(a answer, response string) (string, bool, error) {
	if !bytes.Contains(a.body, []byte(response+">")) {
		return "", false, fmt.Errorf("malformed answer: no %s: %s", response, snippet(a.body))
	}
	if bytes.Contains(a.body, []byte("EndOfSequence")) {
		return "", true, nil
	}
	ctx, ok := between(a.body, "EnumerationContext>", "<")
	if !ok || strings.TrimSpace(ctx) == "" {
		return "", false, fmt.Errorf("malformed answer: %s without an enumeration context or EndOfSequence", response)
	}
	return ctx, false, nil
}

func (w *worker) wsmanGet(ctx context.Context, t *target) error {
	a, err := w.wsmanPost(ctx, t.wsGet)
	if err != nil {
		return err
	}
	if !bytes.Contains(a.body, []byte(":InstanceID>"+xmlText(t.id)+"<")) {
		return fmt.Errorf("malformed answer: no instance of set %s: %s", t.id, snippet(a.body))
	}
	return nil
}

// getJSON reads a JSON API path; the answer must be JSON holding want.
func (w *worker) getJSON(ctx context.Context, path, want string) error {
	a, err := w.r.conn.do(ctx, "GET", path, "", &w.buf, "Accept", "application/json")
	if err != nil {
		return err
	}
	if a.status != 200 {
		return httpError(a)
	}
	if !strings.Contains(a.header.Get("Content-Type"), "json") || !json.Valid(a.body) || !bytes.Contains(a.body, []byte(want)) {
		return fmt.Errorf("malformed answer to GET %s: %s", path, snippet(a.body))
	}
	return nil
}

// failover moves one of the tool's sets to its other member, over CIM-XML
// or WS-Man. It takes a set no other client is failing over; when every
// set is taken it does nothing and reports false.
func (w *worker) failover(ctx context.Context, o op, wait bool) bool {
	var p *pair
	select {
	case p = <-w.r.free:
	default:
		if !wait {
			return false
		}
		select {
		case p = <-w.r.free:
		case <-ctx.Done():
			return false
		}
	}
	defer func() { w.r.free <- p }()
	from := p.active
	err := w.timed(ctx, o, func() error { return w.failoverOnce(ctx, o, p, from) })
	switch {
	case err == nil:
		p.active = 1 - from
	case errors.Is(err, errRefused), ctx.Err() == nil:
		w.resync(ctx, p)
	}
	return true
}

func (w *worker) failoverOnce(ctx context.Context, o op, p *pair, from int) error {
	var rv string
	if o == cimFailover {
		a, err := w.cimPost(ctx, "Failover", p.cimObject, p.cim[from])
		if err != nil {
			return err
		}
		v, ok := between(a.body, `<RETURNVALUE PARAMTYPE="uint32"><VALUE>`, "<")
		if !ok || !bytes.Contains(a.body, []byte(`<METHODRESPONSE NAME="Failover">`)) {
			return fmt.Errorf("malformed answer: no Failover return value: %s", snippet(a.body))
		}
		rv = v
	} else {
		a, err := w.wsmanPost(ctx, p.ws[from])
		if err != nil {
			return err
		}
		v, ok := between(a.body, ":ReturnValue>", "<")
		if !ok || !bytes.Contains(a.body, []byte("Failover_OUTPUT>")) {
			return fmt.Errorf("malformed answer: no Failover_OUTPUT return value: %s", snippet(a.body))
		}
		rv = v
	}
	return failoverResult(rv, p, from)
}

// failoverResult judges a Failover's return value.
func failoverResult(rv string, p *pair, from int) error {
	n, err := strconv.Atoi(strings.TrimSpace(rv))
	switch {
	case err != nil:
		return fmt.Errorf("malformed answer: Failover returned %q", rv)
	case n == 0:
		return nil
	case n == 3 || n == 4:
		return errRefused
	}
	return fmt.Errorf("set %s: the Failover from %s to %s returned %d", p.id, p.members[from], p.members[1-from], n)
}

// resync learns which member of a set is in service after a refused or
// failed Failover.
func (w *worker) resync(ctx context.Context, p *pair) {
	active, err := w.r.activeMember(ctx, p)
	if err != nil {
		if ctx.Err() == nil {
			w.r.errs.add(apiSet, fmt.Errorf("reading set %s after a refused Failover: %w", p.id, err))
			w.t[apiSet].errors++
		}
		return
	}
	p.active = active
}
