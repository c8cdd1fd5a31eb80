package redsettest_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// TestEnumerationShowsChangesAtOnce enumerates the sets over CIM-XML and
// WS-Man, changes one set in each way an instance can show (its health
// moves RedundancyStatus, a client writes LoadBalanceAlgorithm, an
// operator edits a property) and checks that the very next enumeration of
// both protocols shows each change, while the sets are kept between
// enumerations (the answer of an unchanged set is reused).
func TestEnumerationShowsChangesAtOnce(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{})
	eng := srv.Engine()
	ctx := context.Background()
	for _, n := range []string{"fresh-a", "fresh-b", "other-a"} { // health counts at the first report
		if _, err := eng.PutMember(ctx, engine.Member{Name: n, Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	reportHealth(t, eng, engine.HealthOK, "fresh-a", "fresh-b", "other-a")
	createSet(t, eng, engine.Set{InstanceID: "redset:fresh", TypeOfSet: []uint16{engine.TypeLoadBalanced}, MinNumberNeeded: 1,
		LoadBalanceAlgorithm: engine.LBRoundRobin, Policy: engine.Policy{DisableAutoFailover: true}},
		map[string]engine.Role{"fresh-a": {Kind: engine.RoleInService}, "fresh-b": {Kind: engine.RoleInService}})
	createSet(t, eng, engine.Set{InstanceID: "redset:other", TypeOfSet: []uint16{engine.TypeLoadBalanced}, MinNumberNeeded: 1,
		Policy: engine.Policy{DisableAutoFailover: true}}, map[string]engine.Role{"other-a": {Kind: engine.RoleInService}})
	cim := newCIMClient(srv)
	ws := newWSManClient(srv, "admin", redsettest.AdminPassword)

	check := func(step, prop, want string) {
		t.Helper()
		for range 2 { // the second answer is written from what the first kept
			doc := cim.call(t, "EnumerateInstances", cimNamespace, enumerateInstancesBody(classSet))
			got := map[string]string{}
			for _, in := range doc.instances() {
				got[in["InstanceID"]] = in[prop]
			}
			if got["redset:fresh"] != want || got["redset:other"] == "" && prop == "RedundancyStatus" {
				t.Fatalf("%s: CIM-XML says %s = %q (other set %q), want %q", step, prop, got["redset:fresh"], got["redset:other"], want)
			}
			for _, item := range ws.enumerateAll(t, wsmanSetURI, "", 10) {
				if item.childText("InstanceID") == "redset:fresh" && item.childText(prop) != want {
					t.Fatalf("%s: WS-Man says %s = %q, want %q", step, prop, item.childText(prop), want)
				}
			}
		}
	}
	status := func() string {
		t.Helper()
		v, err := eng.GetSet("redset:fresh")
		if err != nil {
			t.Fatal(err)
		}
		return strconv.Itoa(int(v.RedundancyStatus))
	}
	before := status()
	check("at first", "RedundancyStatus", before)
	reportHealth(t, eng, engine.HealthFailed, "fresh-a", "fresh-b")
	if status() == before {
		t.Fatalf("the members' failure left RedundancyStatus at %s: the test checks nothing", before)
	}
	check("the members failed", "RedundancyStatus", status())
	reportHealth(t, eng, engine.HealthOK, "fresh-a", "fresh-b")
	check("the members recovered", "RedundancyStatus", before)
	if _, err := eng.SetLoadBalance(ctx, "redset:fresh", engine.LBLeastIO, ""); err != nil {
		t.Fatal(err)
	}
	check("load balancing written", "LoadBalanceAlgorithm", strconv.Itoa(int(engine.LBLeastIO)))
	if _, err := eng.UpdateSet(ctx, "redset:fresh", func(s *engine.Set) error { s.ElementName = "fresh & new"; return nil }); err != nil {
		t.Fatal(err)
	}
	check("property edited", "ElementName", "fresh & new")
}
