package server

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/protocol/wsman"
)

// directHub stands in for the indication Hub: it keeps subscriptions and
// hands each published indication, at once and in order, to the sender
// of every subscription whose filter's class it is.
type directHub struct {
	mu      sync.Mutex
	subs    map[string]indication.Subscription
	senders map[string]indication.Sender
}

func (h *directHub) Put(s indication.Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s.ID] = s
}

func (h *directHub) Remove(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, id)
}

func (h *directHub) has(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.subs[id]
	return ok
}

func (h *directHub) publish(t *testing.T, ind indication.Indication) {
	t.Helper()
	h.mu.Lock()
	var subs []indication.Subscription
	for _, s := range h.subs {
		if strings.EqualFold(s.Filter.Query.ClassName(), ind.Instance.ClassName) {
			subs = append(subs, s)
		}
	}
	h.mu.Unlock()
	for _, s := range subs {
		d := indication.Delivery{Indication: ind, FilterName: s.Filter.Name, Subscription: s.ID}
		if err := h.senders[s.Destination.Protocol].Send(context.Background(), s.Destination, []indication.Delivery{d}); err != nil {
			t.Errorf("delivery to %s: %v", s.ID, err)
		}
	}
}

// eventSink is an event sink on loopback: it records what it is sent and
// acknowledges what asks for it.
type eventSink struct {
	srv  *httptest.Server
	msgs chan string
}

var relatesRE = regexp.MustCompile(`<wsa:MessageID>([^<]+)</wsa:MessageID>`)

func newEventSink(t *testing.T) *eventSink {
	s := &eventSink{msgs: make(chan string, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		msg := string(b)
		s.msgs <- r.URL.Path + " " + msg
		if !strings.Contains(msg, "AckRequested") {
			return
		}
		id := relatesRE.FindStringSubmatch(msg)[1]
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		_, _ = io.WriteString(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>`+
			`<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/Ack</a:Action><a:RelatesTo>`+id+`</a:RelatesTo><a:MessageID>uuid:ack</a:MessageID></s:Header><s:Body/></s:Envelope>`)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *eventSink) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("nothing reached the event sink")
		return ""
	}
}

type testUsers struct{}

func (testUsers) Authenticate(_ context.Context, user, password string) (auth.Identity, error) {
	roles := map[string]auth.Role{"admin": auth.Admin, "reader": auth.Reader}
	if r, ok := roles[user]; ok && password == "pass" {
		return auth.Identity{User: user, Role: r}, nil
	}
	return auth.Identity{}, auth.ErrUnauthorized
}

type wsConversation struct {
	t     *testing.T
	url   string
	pass  string // every user's password
	hub   *directHub
	e     *wsEventing
	clock *testClock
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newWSConversation serves /wsman on loopback with the WS-Eventing side
// wired as the server wires it, on the direct Hub.
func newWSConversation(t *testing.T) *wsConversation {
	c := &wsConversation{t: t, hub: &directHub{subs: map[string]indication.Subscription{}}, clock: &testClock{now: time.Now()}}
	c.e = newWSEventing(c.config())
	c.hub.senders = c.e.senders()
	none := cimom.HandlerFunc(func(context.Context, *cimom.Request) (*cimom.Response, error) {
		return nil, cim.Errorf(cim.StatusNotSupported, "no object manager here")
	})
	h := wsman.NewHandler(none, wsman.Options{Eventing: c.e.eventing()})
	srv := httptest.NewServer(auth.NewDoor(testUsers{}, nil).Guard(wsmanGate, h))
	t.Cleanup(srv.Close)
	c.url, c.pass = srv.URL+"/wsman", "pass"
	return c
}

// config is the WS-Eventing side's configuration on the direct Hub, with
// a history of records 1 to 3.
func (c *wsConversation) config() wsEventingConfig {
	return wsEventingConfig{Hub: c.hub, Clock: c.clock.Now,
		History: func(after uint64) []event.Record {
			var rs []event.Record
			for seq := after + 1; seq <= 3; seq++ {
				rs = append(rs, event.Record{Seq: seq})
			}
			return rs
		},
		Source: func(_ context.Context, r event.Record) []indication.Indication {
			return []indication.Indication{failoverIndication(r.Seq)}
		},
		Matches: func(f indication.Filter, ind indication.Indication) bool {
			return f.Query.ClassName() == ind.Instance.ClassName
		},
	}
}

func failoverIndication(seq uint64) indication.Indication {
	ft, _ := cim.NewUint(cim.Uint16, 2)
	rs := cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{{Name: "InstanceID", Value: cim.NewString("redset:web")}}}
	return indication.Indication{Seq: seq, Namespace: "root/hypervcluster/v2",
		Instance: cim.Instance{ClassName: "Msvm_FailoverIndication", Properties: []cim.PropertyValue{{Name: "FailoverType", Value: ft}}},
		Embedded: []indication.Embedded{{Property: "SourceInstance", Instance: rs}}}
}

const (
	nsE         = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	failoverURI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/Msvm_FailoverIndication"
)

// call posts one envelope as user and returns the status and answer.
func (c *wsConversation) call(user, action, headers, body string) (int, string) {
	c.t.Helper()
	env := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
		`xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:e="` + nsE + `" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header>` +
		`<a:To>` + c.url + `</a:To><w:ResourceURI s:mustUnderstand="true">` + failoverURI + `</w:ResourceURI>` +
		`<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
		`<a:Action s:mustUnderstand="true">` + action + `</a:Action><a:MessageID>uuid:` + strings.Repeat("1", 8) + `</a:MessageID>` +
		headers + `</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(env))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	req.SetBasicAuth(user, c.pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *wsConversation) ok(user, action, headers, body string) string {
	c.t.Helper()
	status, answer := c.call(user, action, headers, body)
	if status != http.StatusOK {
		c.t.Fatalf("%s: status %d:\n%s", action, status, answer)
	}
	return answer
}

var identifierRE = regexp.MustCompile(`<wse:Identifier>([^<]+)</wse:Identifier>`)

func identifierOf(t *testing.T, answer string) string {
	t.Helper()
	m := identifierRE.FindStringSubmatch(answer)
	if m == nil {
		t.Fatalf("no identifier in\n%s", answer)
	}
	return m[1]
}

func idHeader(id string) string { return `<e:Identifier>` + id + `</e:Identifier>` }

func subscription(mode, delivery, rest string) string {
	return `<e:Subscribe><e:Delivery Mode="` + mode + `">` + delivery + `</e:Delivery>` + rest + `</e:Subscribe>`
}

// TestWSEventingConversation subscribes over HTTP in each mode and checks
// that events reach a loopback sink (or a Pull), and that Renew, GetStatus,
// Unsubscribe and expiry act.
func TestWSEventingConversation(t *testing.T) {
	c := newWSConversation(t)
	s := newEventSink(t)
	notify := `<e:NotifyTo><a:Address>` + s.srv.URL + `/events</a:Address><a:ReferenceParameters><q:Sink xmlns:q="urn:example">sink-7</q:Sink></a:ReferenceParameters></e:NotifyTo>`
	endTo := `<e:EndTo><a:Address>` + s.srv.URL + `/end</a:Address></e:EndTo>`

	// Push: an event reaches the sink with the reference parameters and a bookmark.
	answer := c.ok("admin", nsE+"/Subscribe", "", subscription(nsE+"/DeliveryModes/Push", notify, endTo+`<e:Expires>PT600S</e:Expires><w:SendBookmarks/>`))
	push := identifierOf(t, answer)
	c.hub.publish(t, failoverIndication(7))
	msg := s.next(t)
	for _, want := range []string{"/events ", "<wsa:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/Event</wsa:Action>",
		`<n0:Sink xmlns:n0="urn:example">sink-7</n0:Sink>`, "<wsman:Bookmark>7</wsman:Bookmark>", "<p:FailoverType>2</p:FailoverType>",
		"<p:SourceInstance><p:Msvm_RedundancySet"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the pushed event lacks %s:\n%s", want, msg)
		}
	}
	checkXML(t, msg[strings.IndexByte(msg, ' ')+1:])

	// Renew, GetStatus; a reader may not end the admin's subscription.
	if a := c.ok("admin", nsE+"/Renew", idHeader(push), `<e:Renew><e:Expires>PT1200S</e:Expires></e:Renew>`); !strings.Contains(a, "<wse:Expires>PT1200S</wse:Expires>") {
		t.Errorf("renew answer:\n%s", a)
	}
	c.clock.add(200 * time.Second)
	if a := c.ok("admin", nsE+"/GetStatus", idHeader(push), `<e:GetStatus/>`); !strings.Contains(a, "<wse:Expires>PT1000S</wse:Expires>") {
		t.Errorf("status answer:\n%s", a)
	}
	if status, a := c.call("reader", nsE+"/Unsubscribe", idHeader(push), `<e:Unsubscribe/>`); status != http.StatusInternalServerError || !strings.Contains(a, "wsman:AccessDenied") {
		t.Errorf("a reader ended the admin's subscription: %d\n%s", status, a)
	}
	c.ok("admin", nsE+"/Unsubscribe", idHeader(push), `<e:Unsubscribe/>`)
	if c.hub.has(push) {
		t.Error("the Hub still delivers an ended subscription")
	}
	if status, a := c.call("admin", nsE+"/Renew", idHeader(push), `<e:Renew/>`); status != http.StatusInternalServerError || !strings.Contains(a, "wse:UnableToRenew") {
		t.Errorf("renewing an ended subscription: %d\n%s", status, a)
	}

	// PushWithAck, by a reader: delivered once acknowledged; expiry sends SubscriptionEnd.
	answer = c.ok("reader", nsE+"/Subscribe", "", subscription("http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck", notify, endTo+`<e:Expires>PT5S</e:Expires>`))
	acked := identifierOf(t, answer)
	c.hub.publish(t, failoverIndication(8))
	if msg := s.next(t); !strings.Contains(msg, "<wsman:AckRequested/>") {
		t.Errorf("no AckRequested:\n%s", msg)
	}
	c.clock.add(6 * time.Second)
	c.e.mgr.Tick(context.Background())
	msg = s.next(t)
	if !strings.HasPrefix(msg, "/end ") || !strings.Contains(msg, nsE+"/SourceCancelling") || !strings.Contains(msg, acked) {
		t.Errorf("SubscriptionEnd at expiry:\n%s", msg)
	}

	// Pull: the event waits in the queue; an empty queue answers TimedOut.
	answer = c.ok("admin", nsE+"/Subscribe", "", subscription("http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull", "", ""))
	pull := identifierOf(t, answer)
	if !strings.Contains(answer, pull+"#Events") {
		t.Fatalf("no enumeration context:\n%s", answer)
	}
	c.hub.publish(t, failoverIndication(9))
	pullBody := `<n:Pull><n:EnumerationContext>` + pull + `#Events</n:EnumerationContext><n:MaxTime>PT0.2S</n:MaxTime><n:MaxElements>10</n:MaxElements></n:Pull>`
	if a := c.ok("admin", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", "", pullBody); !strings.Contains(a, "<p:FailoverType>2</p:FailoverType>") {
		t.Errorf("the Pull did not get the event:\n%s", a)
	}
	if status, a := c.call("admin", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", "", pullBody); status != http.StatusInternalServerError || !strings.Contains(a, "wsman:TimedOut") {
		t.Errorf("an empty Pull: %d\n%s", status, a)
	}

	// A bookmark resumes: a new pull subscription after record 1 gets 2 and 3.
	answer = c.ok("admin", nsE+"/Subscribe", "", subscription("http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull", "", `<w:SendBookmarks/><w:Bookmark>1</w:Bookmark>`))
	resumed := identifierOf(t, answer)
	a := c.ok("admin", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", "", strings.ReplaceAll(pullBody, pull, resumed))
	if n := strings.Count(a, "<p:Msvm_FailoverIndication "); n != 2 || !strings.Contains(a, "<wsman:Bookmark>3</wsman:Bookmark>") {
		t.Errorf("resuming after bookmark 1 gave %d events:\n%s", n, a)
	}
}

// TestWSPullWithinEnvelope checks that a Pull answers with the events that
// fit in MaxEnvelopeSize and leaves the others, in order, for the next.
func TestWSPullWithinEnvelope(t *testing.T) {
	c := newWSConversation(t)
	id := identifierOf(t, c.ok("admin", nsE+"/Subscribe", "", subscription("http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull", "", "<w:SendBookmarks/>")))
	for seq := uint64(1); seq <= 40; seq++ {
		c.hub.publish(t, bigIndication(seq))
	}
	pull := `<n:Pull><n:EnumerationContext>` + id + `#Events</n:EnumerationContext><n:MaxTime>PT0.1S</n:MaxTime><n:MaxElements>40</n:MaxElements></n:Pull>`
	size := `<w:MaxEnvelopeSize s:mustUnderstand="true">8192</w:MaxEnvelopeSize>`
	var got []string
	for answers := 0; len(got) < 40; answers++ {
		if answers > 40 {
			t.Fatalf("40 events took more than 40 answers: %v", got)
		}
		a := c.ok("admin", "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", size, pull)
		if len(a) > 8192 {
			t.Fatalf("an answer of %d octets past MaxEnvelopeSize 8192", len(a))
		}
		seqs := seqRE.FindAllStringSubmatch(a, -1)
		if len(seqs) == 0 || len(seqs) == 40 {
			t.Fatalf("%d events in one answer of 8192 octets", len(seqs))
		}
		for _, m := range seqs {
			got = append(got, m[1])
		}
		if last := got[len(got)-1]; !strings.Contains(a, "<wsman:Bookmark>"+last+"</wsman:Bookmark>") {
			t.Errorf("the bookmark is not the last event's (%s)", last)
		}
	}
	for i, s := range got {
		if s != strconv.Itoa(i+1) {
			t.Fatalf("events out of order: %v", got)
		}
	}
}

var seqRE = regexp.MustCompile(`<p:Seq>(\d+)</p:Seq>`)

// bigIndication is an indication of about 600 octets that names its
// sequence number.
func bigIndication(seq uint64) indication.Indication {
	ind := failoverIndication(seq)
	n, _ := cim.NewUint(cim.Uint64, seq)
	ind.Instance.Properties = append(ind.Instance.Properties, cim.PropertyValue{Name: "Seq", Value: n},
		cim.PropertyValue{Name: "Description", Value: cim.NewString(strings.Repeat("x", 500))})
	return ind
}

// TestWSPushBatchesAndHeartbeats checks the Events mode (batches of
// MaxElements, each acknowledged) and a heartbeat, at a loopback sink.
func TestWSPushBatchesAndHeartbeats(t *testing.T) {
	s := newEventSink(t)
	e := newWSEventing(wsEventingConfig{Hub: &directHub{subs: map[string]indication.Subscription{}}})
	dest := indication.Destination{ID: "d", Protocol: indication.ProtocolWSManPush, Address: s.srv.URL + "/events", Ack: true,
		Extra: map[string]string{"mode": "events", "maxElements": "2", "bookmarks": "true", "resourceURI": failoverURI}}
	var ds []indication.Delivery
	for seq := uint64(1); seq <= 5; seq++ {
		ds = append(ds, indication.Delivery{Indication: failoverIndication(seq)})
	}
	if err := (wsPush{e}).Send(context.Background(), dest, ds); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{2, 2, 1} {
		msg := s.next(t)
		if n := strings.Count(msg, "<wsman:Event "); n != want || !strings.Contains(msg, "<wsman:AckRequested/>") {
			t.Errorf("batch %d: %d events, want %d:\n%s", i, n, want, msg)
		}
	}
	if err := e.heartbeat(context.Background(), dest); err != nil {
		t.Fatal(err)
	}
	if msg := s.next(t); !strings.Contains(msg, "<wsa:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/Heartbeat</wsa:Action>") {
		t.Errorf("heartbeat:\n%s", msg)
	}
}

// TestWSPushFailures checks the push sender's judgement of a sink: an
// error status, a missing acknowledgement, a redirect.
func TestWSPushFailures(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
		case "/redirect":
			http.Redirect(w, r, "http://127.0.0.1:1/", http.StatusTemporaryRedirect)
		}
	}))
	defer bad.Close()
	e := newWSEventing(wsEventingConfig{Hub: &directHub{subs: map[string]indication.Subscription{}}})
	ds := []indication.Delivery{{Indication: failoverIndication(1)}}
	for path, mode := range map[string]string{"/500": "push", "/redirect": "push", "/noack": "pushwithack"} {
		dest := indication.Destination{ID: "d", Protocol: indication.ProtocolWSManPush, Address: bad.URL + path, Extra: map[string]string{"mode": mode}}
		if err := (wsPush{e}).Send(context.Background(), dest, ds); err == nil {
			t.Errorf("%s: delivery taken as done", path)
		}
	}
	ok := indication.Destination{ID: "d", Protocol: indication.ProtocolWSManPush, Address: bad.URL + "/fine", Extra: map[string]string{"mode": "push"}}
	if err := (wsPush{e}).Send(context.Background(), ok, ds); err != nil {
		t.Errorf("a 200 answer: %v", err)
	}
}

func checkXML(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
	}
}

// TestWSEventingOnServer runs eventing through a running server's /wsman
// (door, forwarding, turns, the real Hub and the provider's indications):
// a push subscription gets the indication of a real failover, and it is
// stored: the server started again on the same data delivers to it.
func TestWSEventingOnServer(t *testing.T) {
	cfg := func(dir string) func(*Config) { return func(c *Config) { c.Data = dir } }
	dir := t.TempDir()
	srv := startPair(t, cfg(dir))
	c := &wsConversation{t: t, url: "http://" + srv.Addrs()[0] + "/wsman", pass: testPassword}
	s := newEventSink(t)
	sub := subscription(nsE+"/DeliveryModes/Push", `<e:NotifyTo><a:Address>`+s.srv.URL+`/events</a:Address></e:NotifyTo>`, `<e:Expires>PT600S</e:Expires>`)
	id := identifierOf(t, c.ok("admin", nsE+"/Subscribe", "", sub))
	failover(t, srv, "a", "b")
	msg := s.next(t)
	for _, want := range []string{"<p:Msvm_FailoverIndication ", "<p:FailoverType>1</p:FailoverType>", "<p:OtherFailoverType>Planned</p:OtherFailoverType>"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the sink got no %s in\n%s", want, msg)
		}
	}
	srv.Close()

	again := startPair(t, cfg(dir))
	failover(t, again, "b", "a")
	if msg := s.next(t); !strings.Contains(msg, "<p:Msvm_FailoverIndication ") {
		t.Errorf("after the restart the sink got\n%s", msg)
	}
	ctx := context.Background()
	if !again.wsEventingEnded(ctx, id, true) {
		t.Error("the Hub's end of a WS-Eventing subscription was not taken")
	}
	eventually(t, 10*time.Second, "the ended subscription leaves the Hub", func() bool { return !hubHas(again, id) })
	if again.wsEventingEnded(ctx, "uuid:other", true) {
		t.Error("a subscription of the registry was taken for a WS-Eventing one")
	}
}

// startPair starts a server with the set redset:pair of members a and b,
// both healthy.
func startPair(t *testing.T, edit func(*Config)) *Server {
	t.Helper()
	s := startServer(t, heartbeatPair, edit)
	for _, m := range []string{"a", "b"} {
		if err := s.eng.ReportHealth(m, engine.Report{State: engine.HealthOK, Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// hubHas reports whether the server's Hub holds the subscription id.
func hubHas(s *Server, id string) bool {
	return slices.ContainsFunc(s.indications.hub.Status(), func(st indication.SubscriptionStatus) bool { return st.ID == id })
}

// TestWSSubscriptionsForTheAPI checks the JSON API's view of WS-Eventing
// subscriptions: each user sees their own, an admin all; deleting another's
// is "no such subscription".
func TestWSSubscriptionsForTheAPI(t *testing.T) {
	c := newWSConversation(t)
	s := newEventSink(t)
	notify := `<e:NotifyTo><a:Address>` + s.srv.URL + `/events</a:Address></e:NotifyTo>`
	id := identifierOf(t, c.ok("reader", nsE+"/Subscribe", "", subscription("http://schemas.dmtf.org/wbem/wsman/1/wsman/PushWithAck", notify, `<e:EndTo><a:Address>`+s.srv.URL+`/end</a:Address></e:EndTo>`)))
	c.ok("admin", nsE+"/Subscribe", "", subscription("http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull", "", ""))
	reader, admin := auth.Identity{User: "reader", Role: auth.Reader}, auth.Identity{User: "admin", Role: auth.Admin}
	l := c.e.apiSubscriptions(reader)
	if len(l) != 1 || l[0].ID != id || l[0].DeliveryMode != "PushWithAck" || l[0].Destination != s.srv.URL+"/events" ||
		l[0].Protocol != "wsman" || l[0].Query != "SELECT * FROM Msvm_FailoverIndication" {
		t.Errorf("the reader sees %+v", l)
	}
	all := c.e.apiSubscriptions(admin)
	if len(all) != 2 {
		t.Fatalf("the admin sees %d", len(all))
	}
	other := all[0].ID
	if other == id {
		other = all[1].ID
	}
	if err := c.e.apiDelete(context.Background(), reader, other); !errors.Is(err, api.ErrNoSubscription) {
		t.Errorf("the reader deleting the admin's: %v", err)
	}
	if err := c.e.apiDelete(context.Background(), reader, id); err != nil {
		t.Fatal(err)
	}
	if msg := s.next(t); !strings.HasPrefix(msg, "/end ") || !strings.Contains(msg, "SourceCancelling") {
		t.Errorf("no SubscriptionEnd after an operator's delete:\n%s", msg)
	}
}

// BenchmarkWSPushLoopback measures one PushWithAck delivery to a loopback
// sink that acknowledges it: encoding, the HTTP round trip and the check
// of the acknowledgement. It reports the p50 and p99 of one delivery.
func BenchmarkWSPushLoopback(b *testing.B) {
	ack := func(w http.ResponseWriter, r *http.Request) {
		msg, _ := io.ReadAll(r.Body)
		id := relatesRE.FindSubmatch(msg)[1]
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		_, _ = io.WriteString(w, `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header>`+
			`<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/Ack</a:Action><a:RelatesTo>`+string(id)+`</a:RelatesTo></s:Header><s:Body/></s:Envelope>`)
	}
	srv := httptest.NewServer(http.HandlerFunc(ack))
	defer srv.Close()
	e := newWSEventing(wsEventingConfig{Hub: &directHub{subs: map[string]indication.Subscription{}}})
	dest := indication.Destination{ID: "d", Protocol: indication.ProtocolWSManPush, Address: srv.URL, Ack: true,
		Extra: map[string]string{"mode": "pushwithack", "resourceURI": failoverURI}}
	ds := []indication.Delivery{{Indication: failoverIndication(1)}}
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := (wsPush{e}).Send(context.Background(), dest, ds); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
}

// TestWSManWritesJudgesEventPulls checks how the forwarder judges WS-Man
// requests: eventing actions and Pulls of events go to the leader, a Pull
// of an enumeration stays; the body reaches the handler whole either way.
func TestWSManWritesJudgesEventPulls(t *testing.T) {
	envelope := func(action, body string) string {
		return `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
			`xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:e="` + nsE + `"><s:Header><a:Action>` + action +
			`</a:Action><a:MessageID>1</a:MessageID>` + strings.Repeat(`<x:Pad xmlns:x="urn:pad">padding past the first read</x:Pad>`, 200) +
			`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`
	}
	pull := "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	tests := []struct {
		name, body string
		writes     bool
	}{
		{"event pull", envelope(pull, `<n:Pull><n:EnumerationContext>uuid:1#Events</n:EnumerationContext></n:Pull>`), true},
		{"enumeration pull", envelope(pull, `<n:Pull><n:EnumerationContext>uuid:1</n:EnumerationContext></n:Pull>`), false},
		{"subscribe", envelope(nsE+"/Subscribe", `<e:Subscribe/>`), true},
		{"get status", envelope(nsE+"/GetStatus", `<e:GetStatus/>`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/wsman", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
			if got := wsmanWrites(r, 1<<20); got != tt.writes {
				t.Errorf("writes %v, want %v", got, tt.writes)
			}
			if b, _ := io.ReadAll(r.Body); string(b) != tt.body {
				t.Errorf("the body changed on its way: %d octets, want %d", len(b), len(tt.body))
			}
		})
	}
}

// TestWSHistoryAfter checks the history a bookmark replays: the records
// after a sequence number, oldest first.
func TestWSHistoryAfter(t *testing.T) {
	srv := startServer(t, "", func(c *Config) { c.Demo = true })
	var all []event.Record
	eventually(t, 30*time.Second, "two records in the demo's history", func() bool {
		all = srv.historyAfter(0)
		return len(all) >= 2
	})
	after := srv.historyAfter(all[0].Seq)
	if len(after) != len(all)-1 || after[0].Seq != all[1].Seq {
		t.Errorf("after %d: %d records from %d, want %d from %d", all[0].Seq, len(after), after[0].Seq, len(all)-1, all[1].Seq)
	}
	if n := len(srv.historyAfter(all[len(all)-1].Seq)); n != 0 {
		t.Errorf("after the last: %d records", n)
	}
}
