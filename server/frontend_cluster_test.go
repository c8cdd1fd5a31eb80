package server

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// frontendHistory is the set's FrontendChanged events in s's history, as
// the JSON API gives them, as "server state" strings, oldest first.
func frontendHistory(t *testing.T, s *Server) ([]string, []api.Event) {
	t.Helper()
	c := apiClient(t, s, "admin", testPassword)
	evs, err := c.History(context.Background(), api.HistoryQuery{SetID: "redset:pair", Kinds: []string{"FrontendChanged"}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Frontend.Server+" "+e.Frontend.State)
	}
	return out, evs
}

// awaitFrontendHistory waits until s's history of the set's frontends is
// exactly want.
func awaitFrontendHistory(t *testing.T, s *Server, want ...string) []api.Event {
	t.Helper()
	var got []string
	var evs []api.Event
	deadline := time.Now().Add(15 * time.Second)
	for got, evs = frontendHistory(t, s); !slices.Equal(got, want); got, evs = frontendHistory(t, s) {
		if time.Now().After(deadline) {
			t.Fatalf("frontend records %q, want %q", got, want)
		}
		time.Sleep(50 * time.Millisecond) // polling the leader's recording
	}
	return evs
}

// TestClusterFrontendFailsOnTheFollowerOnly: two servers of a cluster on
// one machine run the same frontend. The first leads and listens; the
// second cannot (the first holds the port), and the leader's history says
// so, naming the second. When the first stops, the port is free: the
// second, now leading, listens and records it once, and nothing the
// history already said is recorded again by the new leader. The first,
// started again, follows and cannot listen: the new leader records that.
func TestClusterFrontendFailsOnTheFollowerOnly(t *testing.T) {
	cluster := etcdtest.Start(t, 1, etcdtest.Options{})
	url := "etcd://" + strings.Join(cluster.Endpoints(), ",") + "/frontends-test"
	port := closedPort(t)
	text := strings.Replace(heartbeatPair, "    minNumberNeeded: 1\n",
		"    minNumberNeeded: 1\n    frontend: {listen: \""+port+"\"}\n", 1)
	named := func(name string) func(*Config) {
		return func(c *Config) {
			c.Store, c.Cluster.Secret, c.Cluster.Name, c.Cluster.LeaseTTL = StoreCfg{URL: url}, "s", name, Dur(time.Second)
		}
	}
	first := startServer(t, text, named("one"))
	if !first.node.IsLeader() {
		t.Fatal("the first server of the cluster does not lead")
	}
	awaitFrontendHistory(t, first, "one listening")
	second := startServer(t, text, named("two"))
	evs := awaitFrontendHistory(t, first, "one listening", "two failed")
	failed := evs[1]
	if failed.Frontend.Listen != port || failed.Frontend.Error == "" || !strings.HasPrefix(failed.Text, "two: cannot listen on "+port) {
		t.Errorf("the follower's failure is told as %+v, text %q", *failed.Frontend, failed.Text)
	}
	if st, ok := first.Frontends()["redset:pair"]; !ok || st.Address != port {
		t.Errorf("the leader's frontend: %+v, want it listening", st)
	}

	first.Close()
	eventually(t, 10*time.Second, "the second server leads", second.node.IsLeader)
	evs = awaitFrontendHistory(t, second, "one listening", "two failed", "two listening")
	if evs[2].Frontend.Address != port || evs[2].Text != "two: listening on "+port {
		t.Errorf("the follower's frontend listening is told as %+v, text %q", *evs[2].Frontend, evs[2].Text)
	}

	// The first comes back as a follower: now its frontend cannot listen.
	startServer(t, text, named("one"))
	awaitFrontendHistory(t, second, "one listening", "two failed", "two listening", "one failed")
}
