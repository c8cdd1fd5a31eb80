package redsettest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/protocol/cimxml"
	"github.com/redset/redset/redsettest"
)

// exportListener is a CIM-XML indication listener on loopback (the
// protocol package's, as `redset listen` runs it), keeping what it gets.
type exportListener struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []cimxml.ExportedIndication
}

func newExportListener(t *testing.T) *exportListener {
	l := &exportListener{}
	l.srv = httptest.NewServer(cimxml.Listener(func(x cimxml.ExportedIndication) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.got = append(l.got, x)
	}))
	t.Cleanup(l.srv.Close)
	return l
}

func (l *exportListener) received() []cimxml.ExportedIndication {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]cimxml.ExportedIndication(nil), l.got...)
}

// waitFor waits until the listener has n indications and returns them.
func (l *exportListener) waitFor(t *testing.T, n int) []cimxml.ExportedIndication {
	t.Helper()
	waitUntil(t, 15*time.Second, "the indications at the listener", func() (bool, string) {
		got := l.received()
		return len(got) >= n, fmt.Sprintf("got %d, want %d: %v", len(got), n, summaries(got))
	})
	return l.received()
}

func propText(in cim.Instance, name string) string {
	v, ok := in.Get(name)
	if !ok || v.IsNull() {
		return ""
	}
	return v.String()
}

func summaries(xs []cimxml.ExportedIndication) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.Instance.ClassName + "/" + propText(x.Instance, "IndicationFilterName") + "#" + propText(x.Instance, "SequenceNumber")
	}
	return out
}

// TestSubscriptionDeliversDemoFailovers is the whole path of a CIM-XML
// subscription: wbemcli creates the filter, the listener destination and
// the subscription; a failover of the demo, asked for through the API,
// reaches the listener as an Msvm_FailoverIndication naming the set and
// both members, with the filter's name and the subscription's sequence;
// a second filter, on the set's RedundancyStatus, sees it change when a
// demo service is stopped, with both instances embedded (and not the
// member's own modification); after the first subscription is deleted,
// later failovers reach the listener only through the second.
func TestSubscriptionDeliversDemoFailovers(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{Demo: true})
	w := interopWbemcli(t, srv, "admin", redsettest.AdminPassword)
	l := newExportListener(t)
	fo := newWbemSubscription("failovers")
	fo.create(t, w, "SELECT * FROM Msvm_FailoverIndication", l.srv.URL+"/cimlistener")
	c, err := api.NewClient(srv.URL, "admin", redsettest.AdminPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	failoverDemo(t, c, "web-a", "web-b")
	x := l.waitFor(t, 1)[0]
	if x.Instance.ClassName != "Msvm_FailoverIndication" {
		t.Fatalf("got a %s", x.Instance.ClassName)
	}
	for name, want := range map[string]string{
		"IndicationFilterName": "failovers", "SequenceNumber": "0", "FailoverType": "1", "OtherFailoverType": "Planned",
	} {
		if got := propText(x.Instance, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{"HostedElement": "redset:demo-web", "HostingSystem": "web-b", "PreviousHostingSystem": "web-a"} {
		if got := propText(x.Instance, name); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want the path of %s", name, got, want)
		}
	}
	if propText(x.Instance, "SequenceContext") == "" {
		t.Error("no SequenceContext")
	}

	// The same destination gets a second subscription, for status changes
	// (written with != : wbemcli sends a value's "<" unescaped, which
	// makes its request malformed XML).
	st := newWbemSubscription("status")
	_, filterKeys, _ := strings.Cut(st.filter, ".")
	w.ok(t, "ci", w.path(st.filter), filterKeys+`,Query="SELECT * FROM CIM_InstModification WHERE SourceInstance ISA Msvm_RedundancySet AND SourceInstance.RedundancyStatus != PreviousInstance.RedundancyStatus",QueryLanguage="WQL"`)
	st.handler = fo.handler
	st.refs = "Filter=" + st.filter + ",Handler=" + st.handler
	w.ok(t, "ci", w.path("CIM_IndicationSubscription."+st.refs), st.refs)
	fo.deleteSubscription(t, w)

	failoverDemo(t, c, "web-b", "web-a")
	failoverDemo(t, c, "web-a", "web-b")
	demoFail(t, srv, "db-2")
	got := l.waitFor(t, 2)
	mod := got[len(got)-1]
	if mod.Instance.ClassName != "CIM_InstModification" || propText(mod.Instance, "IndicationFilterName") != "status" {
		t.Fatalf("after the deletion the listener got %v", summaries(got))
	}
	src, _ := mod.EmbeddedInstance("SourceInstance")
	prev, _ := mod.EmbeddedInstance("PreviousInstance")
	if src.ClassName != "Msvm_RedundancySet" || propText(src, "InstanceID") != "redset:demo-db" ||
		propText(src, "RedundancyStatus") == propText(prev, "RedundancyStatus") {
		t.Errorf("the modification embeds %v and %v", src, prev)
	}
	for _, x := range got[1:] {
		if propText(x.Instance, "IndicationFilterName") == "failovers" {
			t.Errorf("a failover reached the listener after its subscription was deleted: %v", summaries(got))
		}
	}
}

func failoverDemo(t *testing.T, c *api.Client, from, to string) {
	t.Helper()
	res, err := c.Failover(t.Context(), "redset:demo-web", from, to)
	if err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover %s -> %s: %+v, %v", from, to, res, err)
	}
}

// demoFail stops the demo service of a member, as the dashboard's demo
// buttons do; its probes then find it failed.
func demoFail(t *testing.T, srv *redsettest.Server, member string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/demo/members/"+member+"/fail", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", redsettest.AdminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stopping the demo service of %s: %s", member, resp.Status)
	}
}
