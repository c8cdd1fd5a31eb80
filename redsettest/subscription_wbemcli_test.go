package redsettest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

const interopNamespace = "root/interop"

// wbemSubscription names the three objects of one CIM-XML subscription as
// wbemcli writes them: every key in the path (wbemcli demands them) and
// again among the properties (wbemcli sends only those).
type wbemSubscription struct {
	filter, handler string // object paths without the namespace
	refs            string // Filter=...,Handler=... (references written unquoted, as wbemcli reads them)
}

func newWbemSubscription(name string) wbemSubscription {
	keys := func(class string) string {
		return `SystemCreationClassName="CIM_ComputerSystem",SystemName="redsettest",CreationClassName="` + class + `",Name="` + name + `"`
	}
	s := wbemSubscription{
		filter:  "CIM_IndicationFilter." + keys("CIM_IndicationFilter"),
		handler: "CIM_ListenerDestinationCIMXML." + keys("CIM_ListenerDestinationCIMXML"),
	}
	s.refs = "Filter=" + s.filter + ",Handler=" + s.handler
	return s
}

// create makes the filter (selecting query), a destination posting to
// listener, and the subscription joining them, with wbemcli ci.
func (s wbemSubscription) create(t *testing.T, w *wbemcli, query, listener string) {
	t.Helper()
	_, filterKeys, _ := strings.Cut(s.filter, ".")
	_, handlerKeys, _ := strings.Cut(s.handler, ".")
	w.ok(t, "ci", w.path(s.filter), filterKeys+`,Query="`+query+`",QueryLanguage="WQL"`)
	w.ok(t, "ci", w.path(s.handler), handlerKeys+`,Destination="`+listener+`",PersistenceType=2`)
	w.ok(t, "ci", w.path("CIM_IndicationSubscription."+s.refs), "SubscriptionDuration=3600,OnFatalErrorPolicy=2,"+s.refs)
}

// deleteSubscription removes the subscription alone.
func (s wbemSubscription) deleteSubscription(t *testing.T, w *wbemcli) {
	t.Helper()
	w.ok(t, "di", w.path("CIM_IndicationSubscription."+s.refs))
}

// delete removes the subscription, then the filter and the destination.
func (s wbemSubscription) delete(t *testing.T, w *wbemcli) {
	t.Helper()
	s.deleteSubscription(t, w)
	w.ok(t, "di", w.path(s.filter))
	w.ok(t, "di", w.path(s.handler))
}

// interopWbemcli is wbemcli on srv's root/interop as user (password pw).
func interopWbemcli(t *testing.T, srv *redsettest.Server, user, pw string) *wbemcli {
	bin := redsettest.RequireTool(t, "wbemcli", "apt-get install -y sblim-wbemcli")
	host := strings.TrimPrefix(srv.URL, "http://")
	return &wbemcli{bin: bin, base: "http://" + user + ":" + pw + "@" + host + "/" + interopNamespace}
}

// TestSubscriptionWbemcli subscribes with Debian's wbemcli as an operator
// would: ci of a filter, a CIM-XML listener destination and a
// subscription; ei and ain show them; the per-user view and the refusals
// hold; di deletes them. (Delivery to a listener is tested where the
// sender is.)
func TestSubscriptionWbemcli(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{Edit: func(c *server.Config) {
		c.Users = append(c.Users, server.User{Name: "operator", Role: "operator", PasswordHash: doorHash},
			server.User{Name: "reader", Role: "reader", PasswordHash: doorHash})
	}})
	w := interopWbemcli(t, srv, "admin", redsettest.AdminPassword)
	op := interopWbemcli(t, srv, "operator", doorPassword)
	s := newWbemSubscription("failovers")
	s.create(t, op, "SELECT * FROM Msvm_FailoverIndication", "http://127.0.0.1:5990/cimlistener")

	subs := parseInstances(t, op.ok(t, "ei", op.path("CIM_IndicationSubscription")))
	if len(subs) != 1 || subs[0].props["SubscriptionState"] != "2" || subs[0].props["SubscriptionDuration"] != "3600" ||
		subs[0].props["OnFatalErrorPolicy"] != "2" {
		t.Fatalf("ei of the subscriptions: %+v", subs)
	}
	filters := parseInstances(t, op.ok(t, "ei", op.path("CIM_IndicationFilter")))
	if len(filters) != 1 || filters[0].props["Query"] != "SELECT * FROM Msvm_FailoverIndication" {
		t.Fatalf("ei of the filters: %+v", filters)
	}
	if out := op.ok(t, "ain", "-ac", "CIM_IndicationSubscription", op.path(s.filter)); !strings.Contains(out, `CIM_ListenerDestinationCIMXML`) ||
		!strings.Contains(out, `Name="failovers"`) {
		t.Errorf("ain of the filter: %q, want its destination", out)
	}
	if out := w.ok(t, "ei", w.path("CIM_IndicationSubscription")); !strings.Contains(out, `Name="failovers"`) {
		t.Errorf("the admin does not see the operator's subscription: %q", out)
	}
	if res := w.run(t, "ei", w.path("CIM_IndicationService")); !strings.Contains(res.out, "DeliveryRetryAttempts=3") {
		t.Errorf("ei of the indication service: %q %q", res.out, res.errOut)
	}

	subPath := op.path("CIM_IndicationSubscription." + s.refs)
	op.ok(t, "mi", subPath, "SubscriptionState=4")
	if subs := parseInstances(t, op.ok(t, "ei", op.path("CIM_IndicationSubscription"))); len(subs) != 1 || subs[0].props["SubscriptionState"] != "4" {
		t.Errorf("after mi SubscriptionState=4: %+v", subs)
	}
	op.refused(t, "CIM_ERR_INVALID_PARAMETER", "mi", subPath, "SubscriptionState=3")
	op.ok(t, "mi", subPath, "SubscriptionState=2")

	opAPI, err := api.NewClient(srv.URL, "operator", doorPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := opAPI.ListSubscriptions(t.Context()); err != nil || len(list) != 1 || list[0].Filter != "failovers" ||
		list[0].Owner != "operator" || list[0].DeliveryMode != "ExportIndication" || list[0].Expires == nil {
		t.Errorf("the API lists %+v (%v), want the operator's subscription", list, err)
	}
	rdAPI, _ := api.NewClient(srv.URL, "reader", doorPassword, nil)
	if list, err := rdAPI.ListSubscriptions(t.Context()); err != nil || len(list) != 0 {
		t.Errorf("the reader's API list: %+v (%v), want none", list, err)
	}

	rd := interopWbemcli(t, srv, "reader", doorPassword)
	if out := rd.ok(t, "ei", rd.path("CIM_IndicationSubscription")); strings.TrimSpace(out) != "" {
		t.Errorf("a reader sees another user's subscriptions: %q", out)
	}
	other := newWbemSubscription("reader")
	_, keys, _ := strings.Cut(other.filter, ".")
	rd.refused(t, "CIM_ERR_ACCESS_DENIED", "ci", rd.path(other.filter), keys+`,Query="SELECT * FROM Msvm_FailoverIndication",QueryLanguage="WQL"`)
	op.refused(t, "CIM_ERR_FAILED", "di", op.path(s.filter)) // still used by the subscription
	op.refused(t, "CIM_ERR_INVALID_QUERY", "ci", op.path(other.filter), keys+`,Query="SELECT * FROM Msvm_RedundancySet",QueryLanguage="WQL"`)
	_, hkeys, _ := strings.Cut(other.handler, ".")
	op.refused(t, "CIM_ERR_INVALID_PARAMETER", "ci", op.path(other.handler), hkeys+`,Destination="file:///etc/passwd"`)

	s.delete(t, op)
	for _, class := range []string{"CIM_IndicationSubscription", "CIM_IndicationFilter", "CIM_ListenerDestinationCIMXML"} {
		if out := w.ok(t, "ein", w.path(class)); strings.TrimSpace(out) != "" {
			t.Errorf("%s after di: %q", class, out)
		}
	}
}

// TestSubscriptionsSurviveRestart closes a server on bbolt and opens a new
// one on the same data: the objects are there, with the same
// SequenceContext.
func TestSubscriptionsSurviveRestart(t *testing.T) {
	data := t.TempDir()
	edit := func(c *server.Config) { c.Data = data }
	srv := redsettest.Start(t, redsettest.Options{Edit: edit})
	w := interopWbemcli(t, srv, "admin", redsettest.AdminPassword)
	s := newWbemSubscription("kept")
	s.create(t, w, "SELECT * FROM CIM_InstModification", "http://127.0.0.1:5990/")
	before := srv.Registry().Subscriptions(indicationAdmin)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	again := redsettest.Start(t, redsettest.Options{Edit: edit})
	after := again.Registry().Subscriptions(indicationAdmin)
	if len(before) != 1 || len(after) != 1 || after[0].SequenceContext != before[0].SequenceContext || after[0].ID != before[0].ID {
		t.Fatalf("before the restart %+v, after %+v", before, after)
	}
	w = interopWbemcli(t, again, "admin", redsettest.AdminPassword)
	if out := w.ok(t, "ain", "-ac", "CIM_IndicationSubscription", w.path(s.handler)); !strings.Contains(out, `Name="kept"`) {
		t.Errorf("ain after the restart: %q", out)
	}
	cl, err := api.NewClient(again.URL, "admin", redsettest.AdminPassword, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.DeleteSubscription(t.Context(), after[0].ID); err != nil {
		t.Fatalf("deleting through the API: %v", err)
	}
	if left := again.Registry().Subscriptions(indicationAdmin); len(left) != 0 {
		t.Errorf("after the API's delete: %+v", left)
	}
	w.ok(t, "di", w.path(s.filter))
	w.ok(t, "di", w.path(s.handler))
}

// indicationAdmin sees every user's subscription objects.
var indicationAdmin = indication.Caller{Admin: true}

// TestClusterSubscriptions makes the subscription objects with wbemcli
// through a follower (which forwards the writes to the leader), sees them
// on every server, and deletes them through another follower.
func TestClusterSubscriptions(t *testing.T) {
	bin := redsettest.RequireTool(t, "wbemcli", "apt-get install -y sblim-wbemcli")
	c := startCluster(t, ctOptions{Cluster: true})
	leader := c.waitLeader(t, 10*time.Second)
	fs := c.followers(leader)
	on := func(s *ctServer) *wbemcli {
		return &wbemcli{bin: bin, base: "http://admin:" + ctPassword + "@" + strings.TrimPrefix(s.base, "http://") + "/" + interopNamespace}
	}
	sub := newWbemSubscription("cluster")
	sub.create(t, on(fs[0]), "SELECT * FROM Msvm_FailoverIndication", "http://127.0.0.1:5990/")
	for _, s := range c.servers {
		w := on(s)
		waitUntil(t, 5*time.Second, "the subscription is known on "+s.name, func() (bool, string) {
			res, err := w.exec("ein", w.path("CIM_IndicationSubscription"))
			return err == nil && strings.Contains(res.out, `Name="cluster"`), res.out + res.errOut
		})
	}
	sub.delete(t, on(fs[1]))
	for _, s := range c.servers {
		w := on(s)
		waitUntil(t, 5*time.Second, "the subscription is gone on "+s.name, func() (bool, string) {
			res, err := w.exec("ein", w.path("CIM_IndicationSubscription"))
			return err == nil && strings.TrimSpace(res.out) == "" && res.exit == 0, res.out + res.errOut
		})
	}
}
