package redsettest_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
)

// wsmanPython is Debian's interpreter, where python3-winrm is installed.
const wsmanPython = "/usr/bin/python3"

// wsmanRequireWinRM skips (or fails, under REDSET_REQUIRE_INTEROP=1) when
// python3-winrm cannot be imported.
func wsmanRequireWinRM(t *testing.T) {
	t.Helper()
	if err := exec.Command(wsmanPython, "-c", "import winrm").Run(); err != nil {
		wsmanRequireInterop(t, "python3-winrm is not installed (apt-get install -y python3-winrm): %v", err)
	}
}

// winrmResult is what testdata/winrm/wsman_client.py prints.
type winrmResult struct {
	Identify struct {
		Vendor, Version string
	}
	Enumerate struct {
		IDs   []string
		Pulls int
	}
	Get           map[string]string
	Failover      string
	FailoverAgain string `json:"failover_again"`
	GetUnknown    string `json:"get_unknown"`
	WrongPassword string `json:"wrong_password"`
}

// TestWinRMClient drives a running demo server with python3-winrm's
// transport (Protocol.send_message with Basic authentication): Identify,
// Enumerate and Pulls of Msvm_RedundancySet by its Microsoft resource URI,
// Get by selector, Failover with endpoint references (0, then 4 since
// web-a is no longer in service), a fault pywinrm turns into an error, and
// wrong credentials. The script prints JSON, checked here together with
// the engine's roles.
func TestWinRMClient(t *testing.T) {
	t.Parallel()
	wsmanRequireWinRM(t)
	srv := wsmanStartDemoServer(t)
	waitAllOK(t, srv.Engine(), "redset:demo-web")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wsmanPython, "testdata/winrm/wsman_client.py", srv.URL+"/wsman", wsmanUser,
		wsmanPassword, "redset:demo-web", "web-a", "web-b")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("wsman_client.py: %v\n%s", err, out)
	}
	var got winrmResult
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("wsman_client.py printed no JSON (%v): %s", err, out)
	}
	if got.Identify.Vendor != "redset" || got.Identify.Version == "" {
		t.Errorf("Identify %+v, want vendor redset and a version", got.Identify)
	}
	if diff := cmp.Diff(wslDemoSets, got.Enumerate.IDs); diff != "" || got.Enumerate.Pulls != 2 {
		t.Errorf("enumeration in %d Pulls of 2, want 2 (-want +got):\n%s", got.Enumerate.Pulls, diff)
	}
	wantGet := map[string]string{"InstanceID": "redset:demo-web", "TypeOfSet": "4", "MinNumberNeeded": "1", "RedundancyStatus": "2"}
	for k, v := range wantGet {
		if got.Get[k] != v {
			t.Errorf("Get: %s = %q, want %q", k, got.Get[k], v)
		}
	}
	if got.Failover != "0" || got.FailoverAgain != "4" {
		t.Errorf("Failover returned %q then %q, want 0 then 4", got.Failover, got.FailoverAgain)
	}
	if !strings.Contains(got.GetUnknown, "DestinationUnreachable") {
		t.Errorf("Get of an unknown set: %q, want a wsa:DestinationUnreachable fault", got.GetUnknown)
	}
	if !strings.HasPrefix(got.WrongPassword, "credentials rejected") {
		t.Errorf("wrong password: %q, want the credentials rejected", got.WrongPassword)
	}
	if role := wsmanRole(t, srv.Engine(), "redset:demo-web", "web-b"); role != engine.RoleInService {
		t.Errorf("engine: web-b is %v, want in service", role)
	}
}
