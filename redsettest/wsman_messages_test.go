package redsettest_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// wsmanMessagesDir holds the node script that builds envelopes with
// @device-management-toolkit/wsman-messages (package.json pins the version
// the fixtures were recorded with; node_modules is installed on demand).
const wsmanMessagesDir = "testdata/wsman-messages"

// wsmanMessages builds envelopes with the npm package.
type wsmanMessages struct{ node string }

func newWSManMessages(t *testing.T) *wsmanMessages {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		wsmanRequireInterop(t, "node is not installed (apt-get install -y nodejs npm)")
	}
	pkg := filepath.Join(wsmanMessagesDir, "node_modules", "@device-management-toolkit", "wsman-messages", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		wsmanNPMInstall(t)
	}
	return &wsmanMessages{node: node}
}

// wsmanNPMInstall installs the locked package into testdata/wsman-messages.
func wsmanNPMInstall(t *testing.T) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		wsmanRequireInterop(t, "npm is not installed (apt-get install -y npm)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = wsmanMessagesDir
	if out, err := cmd.CombinedOutput(); err != nil {
		wsmanRequireInterop(t, "npm ci in %s failed: %v\n%s", wsmanMessagesDir, err, out)
	}
}

// wsmanMessageRequest asks envelopes.js for one envelope.
type wsmanMessageRequest struct {
	Op      string         `json:"op"`
	ID      string         `json:"id,omitempty"`
	Context string         `json:"context,omitempty"`
	DMTF    bool           `json:"dmtf,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
	From    string         `json:"from,omitempty"`
	To      string         `json:"to,omitempty"`
}

// build returns the envelope the package writes for each request.
func (m *wsmanMessages) build(t *testing.T, reqs ...wsmanMessageRequest) []string {
	t.Helper()
	arg, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.node, "envelopes.js", string(arg))
	cmd.Dir = wsmanMessagesDir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node envelopes.js: %v\n%s", err, out)
	}
	var envs []string
	if err := json.Unmarshal(out, &envs); err != nil || len(envs) != len(reqs) {
		t.Fatalf("node envelopes.js printed %d envelopes for %d requests (%v)", len(envs), len(reqs), err)
	}
	return envs
}

// TestWSManMessagesEnvelopes posts envelopes built by
// @device-management-toolkit/wsman-messages to a running server holding
// the fixtures' model and checks each answer and the engine: Enumerate and
// Pull in both resource URI styles, Get, Put (accepted, and refused for a
// read-only property), Failover with endpoint reference parameters, and
// Create and Delete, which redset does not offer over WS-Management.
func TestWSManMessagesEnvelopes(t *testing.T) {
	t.Parallel()
	msgs := newWSManMessages(t)
	srv := wsmanStartFixtureServer(t)
	c := newWSManClient(srv, wsmanUser, wsmanPassword)
	for _, dmtf := range []bool{false, true} {
		name, uri := "enumerate and pull", wsmanSetURI
		if dmtf {
			name, uri = "enumerate and pull, DMTF resource URI", wsmanDMTFSet
		}
		t.Run(name, func(t *testing.T) {
			open := c.call(t, msgs.build(t, wsmanMessageRequest{Op: "Enumerate", DMTF: dmtf})[0])
			ctx := open.find(wsmanNSWSEN, "EnumerateResponse").childText("EnumerationContext")
			pull := c.call(t, msgs.build(t, wsmanMessageRequest{Op: "Pull", DMTF: dmtf, Context: ctx})[0]).find(wsmanNSWSEN, "PullResponse")
			items := wsmanItems(pull)
			if diff := cmp.Diff([]string{wsmanRS1, wsmanRS2}, wsmanInstanceIDs(items)); diff != "" || pull.find(wsmanNSWSEN, "EndOfSequence") == nil {
				t.Errorf("Pull of MaxElements 999 did not end with both sets (-want +got):\n%s", diff)
			}
			for _, it := range items {
				if it.Name.Space != uri {
					t.Errorf("instance in namespace %s, want %s", it.Name.Space, uri)
				}
			}
		})
	}
	t.Run("get", func(t *testing.T) {
		wsmanResetModel(t, srv.Engine())
		wsmanCheckRS1(t, c.call(t, msgs.build(t, wsmanMessageRequest{Op: "Get", ID: wsmanRS1})[0]), wsmanSetURI, engine.LBNone)
	})
	wsmanMessagesPut(t, srv, c, msgs)
	wsmanMessagesFailover(t, srv, c, msgs)
	t.Run("create and delete", func(t *testing.T) {
		envs := msgs.build(t, wsmanMessageRequest{Op: "Create", Data: map[string]any{"InstanceID": "Microsoft:RS-3", "ElementName": "new set"}},
			wsmanMessageRequest{Op: "Delete", ID: wsmanRS1})
		for _, env := range envs {
			if f := c.fault(t, env); wsmanLocal(f.Subcode) != "ActionNotSupported" {
				t.Errorf("%s, want wsa:ActionNotSupported", f)
			}
		}
		if _, err := srv.Engine().GetSet(wsmanRS1); err != nil {
			t.Errorf("engine: %s after Delete: %v", wsmanRS1, err)
		}
	})
}

func wsmanMessagesPut(t *testing.T, srv *redsettest.Server, c *wsmanClient, msgs *wsmanMessages) {
	tests := []struct {
		name    string
		data    map[string]any
		fault   string
		lb      uint16
		otherLB string
	}{
		{"put", map[string]any{"InstanceID": wsmanRS1, "LoadBalanceAlgorithm": 4}, "", engine.LBLeastBlocks, ""},
		{"put Other with its description", map[string]any{"InstanceID": wsmanRS1, "LoadBalanceAlgorithm": 1, "OtherLoadBalanceAlgorithm": "weighted"},
			"", engine.LBOther, "weighted"},
		{"put of a read-only property", map[string]any{"InstanceID": wsmanRS1, "ElementName": "renamed"}, "InvalidRepresentation", engine.LBNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wsmanResetModel(t, srv.Engine())
			env := msgs.build(t, wsmanMessageRequest{Op: "Put", Data: tt.data})[0]
			if tt.fault != "" {
				if f := c.fault(t, env); wsmanLocal(f.Subcode) != tt.fault {
					t.Errorf("%s, want %s", f, tt.fault)
				}
			} else {
				c.call(t, env)
			}
			v, err := srv.Engine().GetSet(wsmanRS1)
			if err != nil {
				t.Fatal(err)
			}
			got := []any{v.LoadBalanceAlgorithm, v.OtherLoadBalanceAlgorithm, v.ElementName}
			if want := []any{tt.lb, tt.otherLB, "Redundancy set " + wsmanRS1}; !cmp.Equal(got, want) {
				t.Errorf("engine: LoadBalanceAlgorithm, Other, ElementName %v, want %v", got, want)
			}
		})
	}
}

func wsmanMessagesFailover(t *testing.T, srv *redsettest.Server, c *wsmanClient, msgs *wsmanMessages) {
	t.Run("failover", func(t *testing.T) {
		wsmanResetModel(t, srv.Engine())
		envs := msgs.build(t,
			wsmanMessageRequest{Op: "Failover", ID: wsmanRS1, From: "vm-a", To: "vm-zzz"},
			wsmanMessageRequest{Op: "Failover", ID: wsmanRS1, From: "vm-a", To: "vm-b"},
			wsmanMessageRequest{Op: "Failover", ID: wsmanRS1, From: "vm-a", To: "vm-b"})
		var got []string
		for _, env := range envs {
			got = append(got, c.call(t, env).find(wsmanSetURI, "Failover_OUTPUT").childText("ReturnValue"))
		}
		if want := []string{"4", "0", "4"}; !slices.Equal(got, want) {
			t.Errorf("ReturnValues %v, want %v (unknown member, done, vm-a no longer in service)", got, want)
		}
		roles := []engine.RoleKind{wsmanRole(t, srv.Engine(), wsmanRS1, "vm-a"), wsmanRole(t, srv.Engine(), wsmanRS1, "vm-b")}
		if want := []engine.RoleKind{engine.RoleSpare, engine.RoleInService}; !slices.Equal(roles, want) {
			t.Errorf("engine: roles of vm-a, vm-b %v, want %v", roles, want)
		}
	})
}
