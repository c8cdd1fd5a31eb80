package wsman

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// fakeEventing records what the handler asks and answers from fixed
// values.
type fakeEventing struct {
	mu     sync.Mutex
	sub    *SubscribeRequest
	id     string
	exp    Expires
	pull   PullRequest
	user   string
	err    error
	events []Event
}

func (f *fakeEventing) note(ctx context.Context) {
	p, _ := cimom.PrincipalFrom(ctx)
	f.user = p.User
}

func (f *fakeEventing) Subscribe(ctx context.Context, r SubscribeRequest) (SubscribeAnswer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(ctx)
	f.sub = &r
	a := SubscribeAnswer{ID: "uuid:sub-1", Expires: Grant{At: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Duration: 10 * time.Minute}}
	if r.Mode == DeliverPull {
		a.Context = EventContext(a.ID)
	}
	return a, f.err
}

func (f *fakeEventing) Renew(ctx context.Context, id string, e Expires) (Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(ctx)
	f.id, f.exp = id, e
	return Grant{Duration: 15 * time.Minute}, f.err
}

func (f *fakeEventing) Status(ctx context.Context, id string) (Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(ctx)
	f.id = id
	return Grant{Duration: 5 * time.Minute}, f.err
}

func (f *fakeEventing) Unsubscribe(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(ctx)
	f.id = id
	return f.err
}

func (f *fakeEventing) Pull(ctx context.Context, r PullRequest) (PullAnswer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.note(ctx)
	f.pull = r
	if f.err != nil {
		return PullAnswer{}, f.err
	}
	return PullAnswer{Events: f.events, Dropped: 2, Bookmark: "42"}, nil
}

func eventingFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "eventing", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// answerOf reads the action and the first body element of an answer.
func answerOf(t *testing.T, body []byte) (action, bodyElem string) {
	t.Helper()
	root, err := parseTree(body)
	if err != nil {
		t.Fatalf("answer is not XML: %v\n%s", err, body)
	}
	action, _ = root.child(nsSOAP, "Header").childText(nsWSA, "Action")
	if b := root.child(nsSOAP, "Body"); b != nil && len(b.kids) > 0 {
		bodyElem = b.kids[0].name.Local
	}
	return action, bodyElem
}

// TestEventingFixtures runs the eventing requests as clients send them
// through the handler and checks what reaches the subscription manager and
// what the answer says.
func TestEventingFixtures(t *testing.T) {
	id := "uuid:AAAAAAAA-0000-4000-8000-000000000001"
	tests := []struct {
		file, action, body string
		check              func(t *testing.T, f *fakeEventing, answer string)
	}{
		{"subscribe-push.xml", actionSubscribe, "SubscribeResponse", func(t *testing.T, f *fakeEventing, answer string) {
			want := SubscribeRequest{ResourceURI: uriFailoverInd, Namespace: testNS, ClassName: "Msvm_FailoverIndication",
				Manager: "http://127.0.0.1:5985/wsman", Mode: DeliverPush,
				NotifyTo: EndpointRef{Address: "http://127.0.0.1:9/events", Parameters: `<n0:Sink xmlns:n0="urn:example:sink" n0:kind="push">sink-1</n0:Sink>`},
				EndTo:    &EndpointRef{Address: "http://127.0.0.1:9/end", Parameters: `<n0:Sink xmlns:n0="urn:example:sink">end-1</n0:Sink>`},
				Expires:  Expires{Duration: 10 * time.Minute}, Dialect: "WQL",
				Query:      "SELECT * FROM Msvm_FailoverIndication WHERE FailoverType = 2",
				Heartbeats: 30 * time.Second, SendBookmarks: true, RetryCount: 3, RetryInterval: 10 * time.Second}
			if d := cmp.Diff(want, *f.sub); d != "" {
				t.Errorf("request (-want +got):\n%s", d)
			}
			for _, s := range []string{"<wse:Identifier>uuid:sub-1</wse:Identifier>", "<wse:Expires>PT600S</wse:Expires>",
				"<wsa:Address>http://127.0.0.1:5985/wsman</wsa:Address>"} {
				if !strings.Contains(answer, s) {
					t.Errorf("answer lacks %s:\n%s", s, answer)
				}
			}
			if f.user != "admin" {
				t.Errorf("caller %q, want admin", f.user)
			}
		}},
		{"subscribe-pushwithack.xml", actionSubscribe, "SubscribeResponse", func(t *testing.T, f *fakeEventing, answer string) {
			if f.sub.Mode != DeliverPushWithAck || !f.sub.Expires.At.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) ||
				f.sub.Query != "SELECT * FROM Msvm_FailoverIndication" || f.sub.NotifyTo.Address != "https://127.0.0.1:9/events" {
				t.Errorf("request %+v", f.sub)
			}
			if !strings.Contains(answer, "<wse:Expires>2030-01-01T00:00:00.000Z</wse:Expires>") {
				t.Errorf("an expiry asked as a time must be answered as one:\n%s", answer)
			}
		}},
		{"subscribe-events.xml", actionSubscribe, "SubscribeResponse", func(t *testing.T, f *fakeEventing, _ string) {
			if f.sub.Mode != DeliverEvents || f.sub.MaxElements != 5 || f.sub.ClassName != "" || !strings.Contains(f.sub.Query, "ISA Msvm_RedundancySet") {
				t.Errorf("request %+v", f.sub)
			}
		}},
		{"subscribe-pull.xml", actionSubscribe, "SubscribeResponse", func(t *testing.T, f *fakeEventing, answer string) {
			if f.sub.Mode != DeliverPull || f.sub.Bookmark != "41" || !f.sub.SendBookmarks || f.sub.Heartbeats != time.Minute {
				t.Errorf("request %+v", f.sub)
			}
			if !strings.Contains(answer, "<wsen:EnumerationContext>uuid:sub-1#Events</wsen:EnumerationContext>") {
				t.Errorf("a pull subscription's answer needs its context:\n%s", answer)
			}
		}},
		{"subscribe-dmtf-cql-earliest.xml", actionSubscribe, "SubscribeResponse", func(t *testing.T, f *fakeEventing, _ string) {
			if f.sub.Dialect != "DMTF:CQL" || f.sub.Bookmark != BookmarkEarliest || f.sub.ClassName != "CIM_InstModification" ||
				!strings.Contains(f.sub.Query, "SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus") {
				t.Errorf("request %+v", f.sub)
			}
		}},
		{"renew.xml", actionRenew, "RenewResponse", func(t *testing.T, f *fakeEventing, answer string) {
			if f.id != id || f.exp.Duration != 15*time.Minute {
				t.Errorf("renew of %q for %v", f.id, f.exp)
			}
			if !strings.Contains(answer, "<wse:Expires>PT900S</wse:Expires>") {
				t.Errorf("answer:\n%s", answer)
			}
		}},
		{"getstatus.xml", actionGetStatus, "GetStatusResponse", func(t *testing.T, f *fakeEventing, answer string) {
			if f.id != id || !strings.Contains(answer, "<wse:Expires>PT300S</wse:Expires>") {
				t.Errorf("status of %q:\n%s", f.id, answer)
			}
		}},
		{"unsubscribe.xml", actionUnsubscribe, "", func(t *testing.T, f *fakeEventing, _ string) {
			if f.id != id {
				t.Errorf("unsubscribed %q", f.id)
			}
		}},
		{"pull.xml", actionPull, "PullResponse", func(t *testing.T, f *fakeEventing, answer string) {
			if f.pull.ID != id || f.pull.MaxElements != 20 || f.pull.MaxTime != time.Second || f.pull.Fits == nil {
				t.Errorf("pull %+v", f.pull)
			}
			for _, s := range []string{"<wsman:Bookmark>42</wsman:Bookmark>", `<wsman:DroppedEvents Action="` + actionEvent + `">2</wsman:DroppedEvents>`,
				"<p:FailoverType>2</p:FailoverType>", "<p:SourceInstance><p:Msvm_RedundancySet xmlns:p=", id + "#Events"} {
				if !strings.Contains(answer, s) {
					t.Errorf("answer lacks %s:\n%s", s, answer)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := &fakeEventing{events: []Event{testEvent()}}
			rec := serve(newTestHandler(newFake(1), Options{Eventing: f}), soapRequest("admin", eventingFixture(t, tt.file)))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d:\n%s", rec.Code, rec.Body)
			}
			action, body := answerOf(t, rec.Body.Bytes())
			if action != tt.action+responseSuffix || body != tt.body {
				t.Errorf("answer %s with body %q, want %s with %q", action, body, tt.action+responseSuffix, tt.body)
			}
			tt.check(t, f, rec.Body.String())
		})
	}
}

const uriFailoverInd = prefixWMI + "root/hypervcluster/v2/Msvm_FailoverIndication"

func testEvent() Event {
	rs := cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString("redset:web")}, {Name: "RedundancyStatus", Value: u16(2)}}}
	return Event{Namespace: testNS, Instance: cim.Instance{ClassName: "Msvm_FailoverIndication", Properties: []cim.PropertyValue{
		{Name: "FailoverType", Value: u16(2)}, {Name: "SourceInstance", Value: cim.Null(cim.String, false)}}},
		Embedded: []EmbeddedInstance{{Property: "SourceInstance", Instance: rs}}}
}

// subscribeBody builds a Subscribe body from its parts.
func subscribeBody(delivery, rest string) string {
	return `<e:Subscribe xmlns:e="` + nsWSE + `">` + delivery + rest + `</e:Subscribe>`
}

const pushDelivery = `<e:Delivery Mode="` + nsWSE + `/DeliveryModes/Push"><e:NotifyTo><a:Address>http://127.0.0.1:9/e</a:Address></e:NotifyTo></e:Delivery>`

// TestEventingFaults checks each eventing fault DSP0226 names, from the
// decoder and from the subscription manager.
func TestEventingFaults(t *testing.T) {
	ident := `<e:Identifier xmlns:e="` + nsWSE + `">uuid:x</e:Identifier>`
	tests := []struct {
		name, action, uri, headers, body string
		managerErr                       error
		subcode, detail                  string
	}{
		{"unknown mode", actionSubscribe, uriFailoverInd, "", subscribeBody(`<e:Delivery Mode="urn:trap"/>`, ""), nil, "wse:DeliveryModeRequestedUnavailable", ""},
		{"no delivery", actionSubscribe, uriFailoverInd, "", subscribeBody("", ""), nil, "wse:InvalidMessage", ""},
		{"push without NotifyTo", actionSubscribe, uriFailoverInd, "", subscribeBody(`<e:Delivery/>`, ""), nil, "wse:InvalidMessage", ""},
		{"NotifyTo not http", actionSubscribe, uriFailoverInd, "", subscribeBody(`<e:Delivery><e:NotifyTo><a:Address>file:///etc/passwd</a:Address></e:NotifyTo></e:Delivery>`, ""), nil, "wse:InvalidMessage", ""},
		{"negative expiry", actionSubscribe, uriFailoverInd, "", subscribeBody(pushDelivery, `<e:Expires>-PT5S</e:Expires>`), nil, "wse:InvalidExpirationTime", ""},
		{"garbage expiry", actionSubscribe, uriFailoverInd, "", subscribeBody(pushDelivery, `<e:Expires>tomorrow</e:Expires>`), nil, "wse:InvalidExpirationTime", ""},
		{"XPath dialect", actionSubscribe, uriFailoverInd, "", subscribeBody(pushDelivery, `<w:Filter Dialect="http://www.w3.org/TR/1999/REC-xpath-19991116">/a</w:Filter>`), nil, "wse:FilteringRequestedUnavailable", ""},
		{"empty query", actionSubscribe, uriFailoverInd, "", subscribeBody(pushDelivery, `<w:Filter Dialect="`+dialectWQL+`"> </w:Filter>`), nil, "wsman:CannotProcessFilter", ""},
		{"huge query", actionSubscribe, uriFailoverInd, "", subscribeBody(pushDelivery, `<w:Filter Dialect="`+dialectWQL+`">SELECT * FROM X WHERE A = '`+strings.Repeat("x", 100000)+`'</w:Filter>`), nil, "wsman:CannotProcessFilter", ""},
		{"all classes without filter", actionSubscribe, prefixWMI + "root/hypervcluster/v2/*", "", subscribeBody(pushDelivery, ""), nil, "wsman:CannotProcessFilter", DetailFilteringRequired},
		{"bookmark with markup", actionSubscribe, uriFailoverInd, "", subscribeBody(pushDelivery, `<w:Bookmark><x/></w:Bookmark>`), nil, "wsman:InvalidBookmark", ""},
		{"heartbeats too short", actionSubscribe, uriFailoverInd, "", subscribeBody(`<e:Delivery><e:NotifyTo><a:Address>http://127.0.0.1:9/e</a:Address></e:NotifyTo><w:Heartbeats>PT0.001S</w:Heartbeats></e:Delivery>`, ""), nil, "wse:InvalidMessage", ""},
		{"delivery with credentials", actionSubscribe, uriFailoverInd, "", subscribeBody(`<e:Delivery><e:NotifyTo><a:Address>http://127.0.0.1:9/e</a:Address></e:NotifyTo><w:Auth Profile="`+profileHTTPBasic+`"/></e:Delivery>`, ""), nil, "wsman:UnsupportedFeature", DetailAuthorizationMode},
		{"selectors", actionSubscribe, uriFailoverInd, selRS1, subscribeBody(pushDelivery, ""), nil, "wsman:InvalidSelectors", DetailUnexpectedSelectors},
		{"no body", actionSubscribe, uriFailoverInd, "", "", nil, "wse:InvalidMessage", ""},
		{"renew without identifier", actionRenew, "", "", `<e:Renew xmlns:e="` + nsWSE + `"/>`, nil, "wse:InvalidMessage", ""},
		{"renew refused", actionRenew, "", ident, `<e:Renew xmlns:e="` + nsWSE + `"/>`, &Fault{Kind: FaultUnableToRenew}, "wse:UnableToRenew", ""},
		{"renew with bad expiry", actionRenew, "", ident, `<e:Renew xmlns:e="` + nsWSE + `"><e:Expires>PT0S</e:Expires></e:Renew>`, nil, "wse:InvalidExpirationTime", ""},
		{"status with wrong body", actionGetStatus, "", ident, `<e:Renew xmlns:e="` + nsWSE + `"/>`, nil, "wse:InvalidMessage", ""},
		{"manager cannot process", actionSubscribe, uriFailoverInd, "", subscribeBody(pushDelivery, ""), &Fault{Kind: FaultEventSourceUnableToProcess}, "wse:EventSourceUnableToProcess", ""},
		{"pull timed out", actionPull, uriFailoverInd, "", `<n:Pull><n:EnumerationContext>uuid:x#Events</n:EnumerationContext></n:Pull>`, &Fault{Kind: FaultTimedOut}, "wsman:TimedOut", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeEventing{err: tt.managerErr}
			rec := serve(newTestHandler(newFake(1), Options{Eventing: f}), adminRequest(tt.action, tt.uri, tt.headers, tt.body))
			pf := readFault(t, rec)
			if pf.subcode != tt.subcode || pf.detail != tt.detail {
				t.Errorf("fault %s (detail %q), want %s (detail %q)", pf.subcode, pf.detail, tt.subcode, tt.detail)
			}
			if strings.HasPrefix(tt.subcode, "wse:") && pf.action != actionFaultWSE {
				t.Errorf("fault action %s, want %s", pf.action, actionFaultWSE)
			}
		})
	}
}

// eventFault is a fault answer as read back, the subcode prefix resolved
// to redset's.
type eventFault struct{ subcode, detail, action string }

func readFault(t *testing.T, rec interface {
	Result() *http.Response
}) eventFault {
	t.Helper()
	resp := rec.Result()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want a fault:\n%s", resp.StatusCode, b.String())
	}
	root, err := parseTree(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var f eventFault
	f.action, _ = root.child(nsSOAP, "Header").childText(nsWSA, "Action")
	fault := root.child(nsSOAP, "Body").child(nsSOAP, "Fault")
	value := fault.child(nsSOAP, "Code").child(nsSOAP, "Subcode").child(nsSOAP, "Value")
	if value == nil {
		t.Fatalf("no subcode:\n%s", b.String())
	}
	f.subcode = value.value()
	if strings.HasPrefix(f.subcode, "wse:") {
		if ns, ok := value.attr("xmlns", "wse"); !ok || ns != nsWSE {
			t.Errorf("the wse prefix of %s is not declared", f.subcode)
		}
	}
	f.detail, _ = fault.child(nsSOAP, "Detail").childText(nsWSMan, "FaultDetail")
	return f
}

// TestEventingNotServed checks that without a subscription manager the
// eventing actions are not supported, and that Pull of an enumeration
// still reaches the object manager.
func TestEventingNotServed(t *testing.T) {
	rec := serve(newTestHandler(newFake(1), Options{}), soapRequest("admin", eventingFixture(t, "subscribe-push.xml")))
	if f := readFault(t, rec); f.subcode != "wsa:ActionNotSupported" {
		t.Errorf("fault %s, want wsa:ActionNotSupported", f.subcode)
	}
	rec = serve(newTestHandler(newFake(1), Options{Eventing: &fakeEventing{}}), adminRequest(actionPull, uriRS, "",
		`<n:Pull><n:EnumerationContext>nosuch</n:EnumerationContext></n:Pull>`))
	if f := readFault(t, rec); f.subcode != "wsen:InvalidEnumerationContext" {
		t.Errorf("an enumeration Pull gave %s, want wsen:InvalidEnumerationContext from the object manager", f.subcode)
	}
}

// TestEventingPermissions checks that a reader may subscribe and that
// an unknown user may not.
func TestEventingPermissions(t *testing.T) {
	f := &fakeEventing{}
	h := newTestHandler(newFake(1), Options{Eventing: f})
	rec := serve(h, soapRequest("reader", eventingFixture(t, "subscribe-push.xml")))
	if rec.Code != http.StatusOK || f.user != "reader" {
		t.Errorf("a reader's Subscribe: status %d, caller %q", rec.Code, f.user)
	}
	rec = serve(h, soapRequest("mallory", eventingFixture(t, "subscribe-push.xml")))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("an unknown user's Subscribe: status %d, want 401", rec.Code)
	}
}

// TestEncodeEvents checks push messages: the sink's reference parameters
// as headers, AckRequested and the bookmark, the events in the body, and
// every message well-formed XML.
func TestEncodeEvents(t *testing.T) {
	to := EndpointRef{Address: "http://127.0.0.1:9/e", Parameters: `<n0:Sink xmlns:n0="urn:example:sink">sink-1</n0:Sink>`}
	for _, mode := range []DeliveryMode{DeliverPush, DeliverPushWithAck, DeliverEvents} {
		t.Run(mode.String(), func(t *testing.T) {
			p := Push{To: to, Mode: mode, ResourceURI: uriFailoverInd}
			msg := EncodeEvents(p, []Event{testEvent(), testEvent()}, 0, "7", "uuid:m1")
			root, err := parseTree(msg)
			if err != nil {
				t.Fatalf("%v\n%s", err, msg)
			}
			h := root.child(nsSOAP, "Header")
			if s, _ := h.childText("urn:example:sink", "Sink"); s != "sink-1" {
				t.Errorf("reference parameter %q, want sink-1", s)
			}
			if (h.child(nsWSMan, "AckRequested") != nil) != mode.Acked() {
				t.Errorf("AckRequested present: %v, want %v", !mode.Acked(), mode.Acked())
			}
			if b, _ := h.childText(nsWSMan, "Bookmark"); b != "7" {
				t.Errorf("bookmark %q", b)
			}
			body := root.child(nsSOAP, "Body")
			n := len(body.kids)
			if mode == DeliverEvents {
				n = len(body.child(nsWSMan, "Events").kids)
			}
			if n != 2 {
				t.Errorf("%d events in the body, want 2:\n%s", n, msg)
			}
		})
	}
	for name, msg := range map[string][]byte{
		"heartbeat": EncodeHeartbeat(Push{To: to, Mode: DeliverPush}, "uuid:h"),
		"end":       EncodeSubscriptionEnd(to, "http://127.0.0.1:5985/wsman", "uuid:s", EndSourceCancelling, "expired", "uuid:e"),
	} {
		if _, err := parseTree(msg); err != nil {
			t.Errorf("%s: %v\n%s", name, err, msg)
		}
	}
}

// TestCheckAck checks the acknowledgement of PushWithAck.
func TestCheckAck(t *testing.T) {
	ack := func(action, relates string) []byte {
		return []byte(`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsWSA + `"><s:Header><a:Action>` + action +
			`</a:Action><a:RelatesTo>` + relates + `</a:RelatesTo><a:MessageID>uuid:a</a:MessageID></s:Header><s:Body/></s:Envelope>`)
	}
	if err := CheckAck(ack(actionAck, "uuid:m1"), "", "uuid:m1"); err != nil {
		t.Errorf("a good ack: %v", err)
	}
	for name, body := range map[string][]byte{
		"other message": ack(actionAck, "uuid:m2"),
		"not an ack":    ack(actionEvent, "uuid:m1"),
		"not XML":       []byte("OK"),
	} {
		if err := CheckAck(body, "", "uuid:m1"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestReferenceParametersRoundTrip checks that reference parameters
// written back stand alone as XML with their namespaces.
func TestReferenceParametersRoundTrip(t *testing.T) {
	in := `<r xmlns:a="urn:a" xmlns:b="urn:b"><a:One b:attr="x&amp;y">1 &lt; 2<b:Two/></a:One><a:Three>3</a:Three></r>`
	root, err := parseTree([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out := writeElements(root.kids)
	var got struct {
		XMLName xml.Name
		Items   []struct {
			XMLName xml.Name
			Attr    []xml.Attr `xml:",any,attr"`
			Text    string     `xml:",chardata"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal([]byte("<w>"+out+"</w>"), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(got.Items) != 2 || got.Items[0].XMLName.Space != "urn:a" || got.Items[0].Text != "1 < 2" || got.Items[1].Text != "3" {
		t.Errorf("round trip gave %+v from\n%s", got.Items, out)
	}
}

func u16(n uint64) cim.Value {
	v, _ := cim.NewUint(cim.Uint16, n)
	return v
}

// TestEventingActionsWrite checks how the eventing actions are judged:
// served where the subscriptions are (changes), Pull a read.
func TestEventingActionsWrite(t *testing.T) {
	for _, a := range []string{actionSubscribe, actionRenew, actionGetStatus, actionUnsubscribe} {
		if !WritesAction(a) {
			t.Errorf("%s is judged a read", a)
		}
	}
	if WritesAction(actionPull) {
		t.Error("Pull is judged a change")
	}
}

// TestEventingUTF16 checks a Subscribe and a Pull of events sent in
// UTF-16, as Windows clients send them: answered in UTF-16.
func TestEventingUTF16(t *testing.T) {
	for _, file := range []string{"subscribe-pull.xml", "pull.xml"} {
		t.Run(file, func(t *testing.T) {
			body := fromUTF8(UTF16LE, []byte(strings.Replace(eventingFixture(t, file), `encoding="UTF-8"`, `encoding="UTF-16"`, 1)))
			r := soapRequest("admin", string(body))
			r.Header.Set("Content-Type", "application/soap+xml;charset=UTF-16")
			f := &fakeEventing{events: []Event{testEvent()}}
			rec := serve(newTestHandler(newFake(1), Options{Eventing: f}), r)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "UTF-16") {
				t.Fatalf("status %d, %s", rec.Code, rec.Header().Get("Content-Type"))
			}
			answer, err := toUTF8(UTF16LE, rec.Body.Bytes()[2:])
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"pull.xml": "PullResponse", "subscribe-pull.xml": "SubscribeResponse"}[file]
			if _, body := answerOf(t, answer); body != want {
				t.Errorf("answer body %q, want %q", body, want)
			}
		})
	}
}
