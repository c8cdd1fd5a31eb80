package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"
)

// target is a set the reads name, with its requests built once.
type target struct {
	id      string
	apiPath string
	cimGet  string
	wsGet   string
}

// pair is one of the tool's own sets: two members, one in service, failed
// over back and forth. A pair is used by one client at a time (it is
// taken from runner.free), so its fields need no lock.
type pair struct {
	id        string
	members   [2]string
	active    int       // the index of the member in service
	cimObject string    // the CIMObject header of its Failover
	cim       [2]string // CIM-XML Failover bodies from members[i] to the other
	ws        [2]string // WS-Man Invoke bodies from members[i] to the other
}

// setList is the part of GET /api/v1/sets (and of one set) the tool reads.
type setList struct {
	Sets []setInfo `json:"sets"`
}

type setInfo struct {
	InstanceID string `json:"instanceID"`
	Members    []struct {
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"members"`
}

// apiJSON sends one JSON API request with a JSON body (or none) and decodes
// a 2xx answer into out (when not nil).
func (c *conn) apiJSON(ctx context.Context, method, path string, in, out any) error {
	body := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = string(b)
	}
	var buf bytes.Buffer
	a, err := c.do(ctx, method, path, body, &buf, "Content-Type", "application/json", "Accept", "application/json")
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if a.status < 200 || a.status > 299 {
		return fmt.Errorf("%s %s: %w", method, path, httpError(a))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(a.body, out); err != nil {
		return fmt.Errorf("%s %s: malformed answer: %w", method, path, err)
	}
	return nil
}

func setPath(id string) string { return "/api/v1/sets/" + url.PathEscape(id) }

func memberPath(name string) string { return "/api/v1/members/" + url.PathEscape(name) }

// runTag is a random tag that keeps the names of one run's sets and
// members apart from every other's.
func runTag() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// createPairs creates the tool's sets: each a Sparing set whose two
// heartbeat members are reported OK, the first in service and the second a
// hot spare. Automatic failover is off, so only the clients move them.
func (r *runner) createPairs(ctx context.Context) error {
	tag := runTag()
	r.pairs = make([]*pair, r.cfg.sets)
	errs := make([]error, r.cfg.sets)
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.cfg.setupParallel)
	for i := range r.cfg.sets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			local := fmt.Sprintf("load-%s-%d", tag, i)
			r.pairs[i], errs[i] = r.createPair(ctx, local)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *runner) createPair(ctx context.Context, local string) (*pair, error) {
	p := &pair{members: [2]string{local + "-a", local + "-b"}}
	probe := map[string]any{"type": "heartbeat", "ttl": r.cfg.heartbeat.String()}
	for _, m := range p.members {
		if err := r.conn.apiJSON(ctx, "POST", "/api/v1/members", map[string]any{"name": m, "probe": probe}, nil); err != nil {
			return nil, err
		}
		r.track(m, "")
		if err := r.beat(ctx, m); err != nil {
			return nil, err
		}
	}
	spec := map[string]any{
		"instanceID": local, "elementName": "redset-load " + local, "typeOfSet": []int{4}, "minNumberNeeded": 1,
		"policy": map[string]any{"disableAutoFailover": true},
	}
	var created setInfo
	if err := r.conn.apiJSON(ctx, "POST", "/api/v1/sets", spec, &created); err != nil {
		return nil, err
	}
	p.id = created.InstanceID
	r.track("", p.id)
	roles := []map[string]any{{"role": "inService"}, {"role": "spare", "spareStatus": 2, "failoverSupported": 4}}
	for i, m := range p.members {
		if err := r.conn.apiJSON(ctx, "PUT", setPath(p.id)+"/members/"+url.PathEscape(m), roles[i], nil); err != nil {
			return nil, err
		}
	}
	r.buildPair(p)
	return p, nil
}

// buildPair writes a pair's Failover requests, both ways.
func (r *runner) buildPair(p *pair) {
	p.cimObject = cimFailoverObject(p.id)
	for from := range 2 {
		a, b := p.members[from], p.members[1-from]
		p.cim[from] = cimFailoverBody(r.host, p.id, a, b)
		p.ws[from] = wsmanFailoverBody(r.wsmanTo, p.id, a, b)
	}
}

// track records what the tool created, so that it is deleted at the end
// even when the setup failed half-way.
func (r *runner) track(member, set string) {
	r.createdMu.Lock()
	defer r.createdMu.Unlock()
	if member != "" {
		r.createdMembers = append(r.createdMembers, member)
	}
	if set != "" {
		r.createdSets = append(r.createdSets, set)
	}
}

// beat sends one heartbeat: the member is OK for the probe's time to live.
func (r *runner) beat(ctx context.Context, member string) error {
	rep := map[string]any{"state": "OK", "source": "redset-load"}
	return r.conn.apiJSON(ctx, "POST", memberPath(member)+"/health", rep, nil)
}

// heartbeats keeps the tool's members healthy until ctx ends, sending a
// heartbeat to each a few times per time to live.
func (r *runner) heartbeats(ctx context.Context, t *opStats) {
	tick := time.NewTicker(r.cfg.heartbeat / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, p := range r.pairs {
			for _, m := range p.members {
				start := time.Now()
				err := r.beat(ctx, m)
				if ctx.Err() != nil {
					return
				}
				t.lat.add(time.Since(start))
				if err != nil {
					t.errors++
					r.errs.add(apiHeartbeat, err)
					continue
				}
				t.ok++
			}
		}
	}
}

// activeMember reads which member of a pair's set is in service.
func (r *runner) activeMember(ctx context.Context, p *pair) (int, error) {
	var s setInfo
	if err := r.conn.apiJSON(ctx, "GET", setPath(p.id), nil, &s); err != nil {
		return 0, err
	}
	for _, m := range s.Members {
		if m.Role != "inService" {
			continue
		}
		for i, name := range p.members {
			if m.Name == name {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("set %s has none of %s and %s in service", p.id, p.members[0], p.members[1])
}

// loadTargets reads every set of the server: the reads name them in turn.
func (r *runner) loadTargets(ctx context.Context) error {
	var list setList
	if err := r.conn.apiJSON(ctx, "GET", "/api/v1/sets", nil, &list); err != nil {
		return err
	}
	if len(list.Sets) == 0 {
		return errors.New("the server has no sets to read: start it with --demo or give -sets N")
	}
	for _, s := range list.Sets {
		r.targets = append(r.targets, &target{
			id:      s.InstanceID,
			apiPath: setPath(s.InstanceID),
			cimGet:  cimGetBody(s.InstanceID),
			wsGet:   wsmanGetBody(r.wsmanTo, s.InstanceID),
		})
	}
	return nil
}

// cleanup deletes what the tool created: its sets, then their members. It
// runs with its own deadline, after the run's context may have ended.
func (r *runner) cleanup() []string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second+time.Duration(len(r.createdSets))*100*time.Millisecond)
	defer cancel()
	var problems []string
	for _, id := range r.createdSets {
		if err := r.remove(ctx, setPath(id)); err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, m := range r.createdMembers {
		if err := r.remove(ctx, memberPath(m)); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}

// remove deletes one set or member. A Failover the run left under way
// (its client gave up when the run ended, the server goes on) makes the
// server answer 409 Busy for a moment: the delete is tried again until ctx
// ends. Gone already (404) is done.
func (r *runner) remove(ctx context.Context, path string) error {
	var buf bytes.Buffer
	for {
		a, err := r.conn.do(ctx, "DELETE", path, "", &buf, "Accept", "application/json")
		switch {
		case err == nil && (a.status == 204 || a.status == 200 || a.status == 404):
			return nil
		case err == nil && a.status != 409 && a.status != 503:
			return fmt.Errorf("DELETE %s: %w", path, httpError(a))
		case err == nil:
			err = httpError(a)
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("DELETE %s: %w (still, when the cleanup's time ran out)", path, err)
		case <-t.C:
		}
	}
}
