package api

import (
	"context"
	"net/http"
)

// ClusterInfo is the cluster as the answering server sees it
// (GET /api/v1/cluster). In single mode the server is its own leader and
// the only server.
type ClusterInfo struct {
	Mode            string          `json:"mode"` // "single" or "etcd"
	Name            string          `json:"name"` // the answering server
	URL             string          `json:"url"`
	Leader          *ClusterPeer    `json:"leader"` // null while no leader is known
	IsLeader        bool            `json:"isLeader"`
	LeaseTTLSeconds float64         `json:"leaseTTLSeconds"`
	LeaderChanges   uint64          `json:"leaderChanges"`
	InSync          bool            `json:"inSync"`
	WatchLagSeconds float64         `json:"watchLagSeconds"`
	Servers         []ClusterServer `json:"servers"`
}

// ClusterPeer names a server and its URL.
type ClusterPeer struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// ClusterServer is one live server of the cluster.
type ClusterServer struct {
	Name                string  `json:"name"`
	URL                 string  `json:"url"`
	Leader              bool    `json:"leader"`
	LastHeardSecondsAgo float64 `json:"lastHeardSecondsAgo"`
}

// cluster: GET /api/v1/cluster.
func (h *handler) cluster(w http.ResponseWriter, _ *http.Request) error {
	if h.opts.Cluster == nil {
		return writeJSON(w, http.StatusOK, ClusterInfo{Mode: "single", Servers: []ClusterServer{}})
	}
	info := h.opts.Cluster()
	if info.Servers == nil {
		info.Servers = []ClusterServer{}
	}
	return writeJSON(w, http.StatusOK, info)
}

// Cluster reads GET /api/v1/cluster.
func (c *Client) Cluster(ctx context.Context) (ClusterInfo, error) {
	var out ClusterInfo
	err := c.do(ctx, http.MethodGet, "/cluster", nil, &out)
	return out, err
}
