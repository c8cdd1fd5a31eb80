package server

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/cluster"
)

// seenCluster is a view of the cluster a test decides: which server leads
// and whether this one is in sync. The node's own election needs an etcd
// store; the HTTP edge only needs to know who leads.
type seenCluster struct {
	mu   sync.Mutex
	info cluster.Info
}

func (v *seenCluster) set(edit func(*cluster.Info)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	edit(&v.info)
}

func (v *seenCluster) Info() cluster.Info {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.info
}

func (v *seenCluster) IsLeader() bool { return v.Info().IsLeader }

func (v *seenCluster) Leader() (cluster.Peer, bool) {
	l := v.Info().Leader
	return l, l != cluster.Peer{}
}

func TestClusterSingleMode(t *testing.T) {
	s := startServer(t, "cluster: {name: solo}\n", nil)
	c := apiClient(t, s, "admin", testPassword)
	got, err := c.Cluster(context.Background())
	if err != nil {
		t.Fatalf("Cluster: %v", err)
	}
	url := "http://" + s.Addrs()[0]
	if got.Mode != "single" || got.Name != "solo" || got.URL != url || !got.IsLeader || !got.InSync ||
		got.Leader == nil || *got.Leader != (api.ClusterPeer{Name: "solo", URL: url}) ||
		len(got.Servers) != 1 || got.Servers[0].Name != "solo" || !got.Servers[0].Leader || got.LeaseTTLSeconds != 3 {
		t.Errorf("GET /api/v1/cluster = %+v", got)
	}
	body := pollMetrics(t, url, "redset_cluster_is_leader 1", "redset_cluster_leader_changes_total 0",
		"redset_store_commit_seconds_count")
	if strings.Contains(body, "redset_store_commit_seconds_count 0\n") {
		t.Errorf("no store commit was timed, though the start wrote the bootstrap admin:\n%s", body)
	}
}

func TestClusterDTO(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	info := cluster.Info{Mode: cluster.ModeEtcd, Name: "a", URL: "http://a", LeaseTTL: 2 * time.Second,
		LeaderChanges: 4, InSync: true, WatchLag: 5 * time.Millisecond,
		Servers: []cluster.Server{{Name: "a", URL: "http://a", LastHeard: now.Add(-400 * time.Millisecond)}}}
	data, err := json.Marshal(clusterDTO(info, now))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"mode":"etcd","name":"a","url":"http://a","leader":null,"isLeader":false,"leaseTTLSeconds":2,` +
		`"leaderChanges":4,"inSync":true,"watchLagSeconds":0.005,` +
		`"servers":[{"name":"a","url":"http://a","leader":false,"lastHeardSecondsAgo":0.4}]}`
	if string(data) != want {
		t.Errorf("JSON\n got %s\nwant %s", data, want)
	}
}

func TestReadyzWantsSync(t *testing.T) {
	s := startServer(t, "", nil)
	view := &seenCluster{info: cluster.Info{Mode: cluster.ModeEtcd, InSync: false}}
	s.setView(view)
	url := "http://" + s.Addrs()[0] + "/readyz"
	code, body := get(t, url)
	if code != 503 || !strings.Contains(body, `"reason":"not in sync`) {
		t.Errorf("/readyz out of sync = %d %s, want 503 with the reason", code, body)
	}
	view.set(func(i *cluster.Info) { i.InSync = true })
	if code, body := get(t, url); code != 200 || !strings.Contains(body, `"ready":true`) {
		t.Errorf("/readyz in sync = %d %s, want 200", code, body)
	}
}
