package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/redset/redset/api"
)

func TestPrintCluster(t *testing.T) {
	info := api.ClusterInfo{Mode: "etcd", Name: "node-a", URL: "http://127.0.0.1:17001",
		Leader: &api.ClusterPeer{Name: "node-b", URL: "http://127.0.0.1:17002"}, LeaseTTLSeconds: 3, LeaderChanges: 2,
		InSync: false, WatchLagSeconds: 0.25,
		Servers: []api.ClusterServer{
			{Name: "node-a", URL: "http://127.0.0.1:17001", LastHeardSecondsAgo: 0.4},
			{Name: "node-b", URL: "http://127.0.0.1:17002", Leader: true, LastHeardSecondsAgo: 1.25},
		}}
	var b bytes.Buffer
	printCluster(&b, info)
	for _, want := range []string{
		`cluster mode etcd, seen from node-a: leader node-b; NOT in sync \(lag 250ms\); 2 leader changes; lease 3s`,
		`node-a\s+http://127.0.0.1:17001\s+follower \(this server\)\s+400ms ago`,
		`node-b\s+http://127.0.0.1:17002\s+leader\s+1.3s ago`,
	} {
		if !regexp.MustCompile(want).MatchString(b.String()) {
			t.Errorf("output lacks %s:\n%s", want, b.String())
		}
	}
	info.Leader = nil
	b.Reset()
	printCluster(&b, info)
	if !bytes.Contains(b.Bytes(), []byte("leader none known")) {
		t.Errorf("without a leader:\n%s", b.String())
	}
}
