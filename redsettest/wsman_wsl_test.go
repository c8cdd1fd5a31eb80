//go:build unix

package redsettest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// wslClient runs Dell's wsl (Debian package wsl) against a test server.
// wsl reads ~/.wsl-config, so HOME is a folder of the test's; each run
// works in a new folder holding the .wslrun file with the endpoint and
// credentials, where wsl leaves request-N.xml and response-N.xml.
type wslClient struct {
	wsl, home, endpoint string
}

const wslInstall = "apt-get install -y wsl uuid-runtime libxml2-utils curl"

func newWSLClient(t *testing.T, srv *redsettest.Server) *wslClient {
	t.Helper()
	path := redsettest.RequireTool(t, "wsl", wslInstall)
	for _, tool := range []string{"uuidgen", "xmllint", "curl"} {
		redsettest.RequireTool(t, tool, wslInstall)
	}
	home := t.TempDir()
	config := "WSNOSSL=true\nIPINTERACTIVE=0\n"
	if err := os.WriteFile(filepath.Join(home, ".wsl-config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return &wslClient{wsl: path, home: home, endpoint: strings.TrimPrefix(srv.URL, "http://")}
}

// wslRun is one finished wsl command: its folder and its exchanges.
type wslRun struct {
	dir       string
	requests  []*wsmanNode
	responses []*wsmanNode
}

// last returns the Body of the last answer.
func (r *wslRun) last() *wsmanNode {
	return r.responses[len(r.responses)-1].find(wsmanNSSOAP, "Body")
}

// run runs wsl with args in a new folder holding files (name -> content);
// localConfig, when not empty, is a ./.wsl-config overriding the user's.
// wsl's exit status is not checked (wsl put reports failure even when the
// Put succeeded); the answers are.
func (c *wslClient) run(t *testing.T, localConfig string, files map[string]string, args ...string) *wslRun {
	t.Helper()
	dir := t.TempDir()
	files[".wslrun"] = fmt.Sprintf("export WSENDPOINT=%q\nexport WSUSER=%q\nexport WSPASS=%q\n", c.endpoint, wsmanUser, wsmanPassword)
	if localConfig != "" {
		files[".wsl-config"] = localConfig
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := c.command(ctx, dir, args).CombinedOutput()
	run := &wslRun{dir: dir}
	for i := 1; ; i++ {
		resp, rerr := os.ReadFile(filepath.Join(dir, fmt.Sprintf("response-%d.xml", i)))
		if rerr != nil {
			break
		}
		req, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("request-%d.xml", i)))
		run.requests = append(run.requests, wslParse(t, req))
		run.responses = append(run.responses, wslParse(t, resp))
	}
	if len(run.responses) == 0 {
		t.Fatalf("wsl %s wrote no response (%v):\n%s", strings.Join(args, " "), err, out)
	}
	return run
}

// command prepares a wsl run. wsl asks on the terminal for whatever the
// .wslrun file does not give, and loops when stdin is empty, so the run
// has a deadline that ends wsl's whole process group (wsl runs its
// subcommands as child shells).
func (c *wslClient) command(ctx context.Context, dir string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.wsl, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+c.home, "OUTLEVEL=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// wslParse reads a file wsl wrote; an empty or malformed one fails.
func wslParse(t *testing.T, data []byte) *wsmanNode {
	t.Helper()
	n, err := wsmanParseBytes(data)
	if err != nil {
		t.Fatalf("wsl file is not XML (%v):\n%s", err, data)
	}
	return n
}

// items returns the enumeration items of every answer, and how many
// answers carried items.
func (r *wslRun) items() ([]*wsmanNode, int) {
	var all []*wsmanNode
	carrying := 0
	for _, resp := range r.responses {
		var items []*wsmanNode
		for _, name := range []string{"EnumerateResponse", "PullResponse"} {
			items = append(items, wsmanItems(resp.find(wsmanNSWSEN, name))...)
		}
		if len(items) > 0 {
			carrying++
		}
		all = append(all, items...)
	}
	return all, carrying
}

var wslDemoSets = []string{"redset:demo-db", "redset:demo-lb", "redset:demo-web"}

// TestWSLIdentifyEnumerateGet drives a running demo server with wsl:
// Identify, enumerations (optimized as wsl does by default, and plain with
// one Pull per item) in each enumeration mode and with a CQL filter, and
// Get. Every answer file is parsed and checked.
func TestWSLIdentifyEnumerateGet(t *testing.T) {
	t.Parallel()
	srv := wsmanStartDemoServer(t)
	wsl := newWSLClient(t, srv)
	t.Run("identify", func(t *testing.T) {
		id := wsl.run(t, "", map[string]string{}, "id", "check").last().find(wsmanNSWSMID, "IdentifyResponse")
		if got := id.childText("ProductVendor"); got != "redset" {
			t.Errorf("ProductVendor %q, want redset: %s", got, id)
		}
	})
	plain := "WSENUMOPTIMIZE=\n"
	tests := []struct {
		name, config string
		args         []string
		want         []string
		answers      int // answers carrying items
		itemName     string
	}{
		{"optimized", "", nil, wslDemoSets, 1, "Msvm_RedundancySet"},
		{"plain", plain, nil, wslDemoSets, 3, "Msvm_RedundancySet"},
		{"EPR mode", "", []string{"-mode", "epr"}, wslDemoSets, 1, "EndpointReference"},
		{"plain EPR mode", plain, []string{"-mode", "epr"}, wslDemoSets, 3, "EndpointReference"},
		{"object and EPR", "", []string{"-mode", "objepr"}, wslDemoSets, 1, "Item"},
		{"CQL filter", "", []string{"-filter", "SELECT * FROM Msvm_RedundancySet WHERE MinNumberNeeded = 2"},
			[]string{"redset:demo-db", "redset:demo-lb"}, 1, "Msvm_RedundancySet"},
	}
	for _, tt := range tests {
		t.Run("enumerate "+tt.name, func(t *testing.T) {
			items, carrying := wsl.run(t, tt.config, map[string]string{}, append([]string{"enum", wsmanSetURI}, tt.args...)...).items()
			if diff := cmp.Diff(tt.want, wsmanInstanceIDs(items)); diff != "" {
				t.Errorf("InstanceIDs (-want +got):\n%s", diff)
			}
			if carrying != tt.answers {
				t.Errorf("%d answers carried items, want %d", carrying, tt.answers)
			}
			for _, it := range items {
				if it.Name.Local != tt.itemName {
					t.Errorf("item %s, want %s", it.Name.Local, tt.itemName)
				}
			}
		})
	}
	t.Run("get", func(t *testing.T) {
		inst := wsl.run(t, "", map[string]string{}, "get", wsmanSetURI, "InstanceID=redset:demo-db").last().find(wsmanSetURI, "Msvm_RedundancySet")
		got := wsmanProps(inst)
		for prop, want := range map[string]string{"InstanceID": "redset:demo-db", "TypeOfSet": "2", "MinNumberNeeded": "2", "LoadBalanceAlgorithm": "2"} {
			if v := got[prop]; len(v) != 1 || v[0] != want {
				t.Errorf("%s = %v, want %s", prop, v, want)
			}
		}
	})
}

// TestWSLPutInvoke changes a set with wsl put and fails over with wsl
// invoke. wsl put enumerates the instance (EnumerateObjectAndEPR), echoes
// it whole with the one property changed, and Puts it to the endpoint
// reference it read; wsl invoke takes the target from an enumeration and
// the Failover arguments from files holding endpoint references, here
// answers of wsl's own enumerations of Msvm_ComputerSystem.
func TestWSLPutInvoke(t *testing.T) {
	t.Parallel()
	srv := wsmanStartDemoServer(t)
	wsl := newWSLClient(t, srv)
	eng := srv.Engine()
	// RedundancyStatus is read-only and wsl echoes it: it must not change
	// between wsl's read and its Put, so the members' health settles first.
	waitAllOK(t, eng, wslDemoSets...)
	t.Run("put", func(t *testing.T) {
		run := wsl.run(t, "", map[string]string{}, "put", wsmanSetURI, "LoadBalanceAlgorithm=5",
			"-filter", "SELECT * FROM Msvm_RedundancySet WHERE InstanceID = 'redset:demo-lb'")
		echoed := wsmanProps(run.requests[len(run.requests)-1].find("", "Msvm_RedundancySet"))
		if len(echoed["RedundancyStatus"]) != 1 || len(echoed["TypeOfSet"]) != 1 {
			t.Errorf("wsl did not echo the whole instance: %v", echoed)
		}
		inst := run.last().find(wsmanSetURI, "Msvm_RedundancySet")
		if got := inst.childText("LoadBalanceAlgorithm"); got != "5" {
			t.Errorf("answer: LoadBalanceAlgorithm %q, want 5: %s", got, run.last())
		}
		if got := wsmanLoadBalance(t, eng, "redset:demo-lb"); got != engine.LBLeastIO {
			t.Errorf("engine: LoadBalanceAlgorithm %d, want 5", got)
		}
	})
	from, to := wsl.memberEPR(t, "web-a"), wsl.memberEPR(t, "web-b")
	t.Run("invoke Failover", func(t *testing.T) {
		if got := wsl.failover(t, from, to); got != "0" {
			t.Errorf("ReturnValue %s, want 0", got)
		}
		got := []engine.RoleKind{wsmanRole(t, eng, "redset:demo-web", "web-a"), wsmanRole(t, eng, "redset:demo-web", "web-b")}
		if want := []engine.RoleKind{engine.RoleSpare, engine.RoleInService}; !cmp.Equal(got, want) {
			t.Errorf("engine: roles of web-a, web-b %v, want %v", got, want)
		}
	})
	t.Run("invoke Failover to an unknown member", func(t *testing.T) {
		unknown := strings.ReplaceAll(to, ">web-b<", ">no-such-member<")
		if got := wsl.failover(t, to, unknown); got != "4" {
			t.Errorf("ReturnValue %s, want 4", got)
		}
		if got := wsmanRole(t, eng, "redset:demo-web", "web-b"); got != engine.RoleInService {
			t.Errorf("engine: web-b is %v, want still in service", got)
		}
	})
}

// memberEPR returns wsl's answer to an EPR enumeration of one member: a
// file wsl invoke can take an endpoint reference from.
func (c *wslClient) memberEPR(t *testing.T, name string) string {
	t.Helper()
	run := c.run(t, "", map[string]string{}, "enum", wsmanSystemURI, "-mode", "epr",
		"-filter", "SELECT * FROM Msvm_ComputerSystem WHERE Name = '"+name+"'")
	data, err := os.ReadFile(filepath.Join(run.dir, "response.xml"))
	if err != nil || !strings.Contains(string(data), ">"+name+"<") {
		t.Fatalf("no endpoint reference of %s (%v):\n%s", name, err, data)
	}
	return string(data)
}

// failover invokes Failover on redset:demo-web and returns ReturnValue.
func (c *wslClient) failover(t *testing.T, from, to string) string {
	t.Helper()
	run := c.run(t, "", map[string]string{"from.xml": from, "to.xml": to}, "invoke", wsmanSetURI, "Failover",
		"-filter", "SELECT * FROM Msvm_RedundancySet WHERE InstanceID = 'redset:demo-web'",
		"FailoverFrom=FILE:from.xml", "FailoverTo=FILE:to.xml")
	out := run.last().find(wsmanSetURI, "Failover_OUTPUT")
	if out == nil {
		t.Fatalf("no Failover_OUTPUT: %s", run.last())
	}
	return out.childText("ReturnValue")
}
