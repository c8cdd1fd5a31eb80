package cimxml

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestWbemcliReadsAnswers runs the real sblim wbemcli against the handler
// (serving the fake model on loopback), when wbemcli is installed. It
// proves that wbemcli's hand-written parser accepts every kind of answer
// it asks for.
func TestWbemcliReadsAnswers(t *testing.T) {
	bin, err := exec.LookPath("wbemcli")
	if err != nil {
		t.Skip("wbemcli is not installed")
	}
	srv := httptest.NewServer(newTestHandler(Options{}))
	defer srv.Close()
	base := "http://user:pass@" + strings.TrimPrefix(srv.URL, "http://") + "/root/hypervcluster/v2"
	rs := base + `:Msvm_RedundancySet.InstanceID="Microsoft:RS-1"`
	vmA := `Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="vm-a"`
	vmB := `Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="vm-b"`
	tests := []struct {
		name     string
		args     []string
		wantExit int
		want     string // a substring of the output
	}{
		{"gi", []string{"gi", rs}, 0, `ElementName="Redundancy set Microsoft:RS-1"`},
		{"ei", []string{"ei", base + ":Msvm_RedundancySet"}, 0, `InstanceID="Microsoft:RS-2"`},
		{"ein", []string{"ein", base + ":Msvm_RedundancySet"}, 0, `Msvm_RedundancySet.InstanceID="Microsoft:RS-2"`},
		{"gc", []string{"gc", base + ":Msvm_RedundancySet"}, 0, "LoadBalanceAlgorithm"},
		{"ecn", []string{"ecn", base}, 0, "Msvm_RedundancySet"},
		{"cm", []string{"cm", rs, "Failover.FailoverFrom=" + vmA + ",FailoverTo=" + vmB}, 0, "Failover: 0"},
		{"mi", []string{"mi", rs, "LoadBalanceAlgorithm=3"}, 0, ""},
		{"ai", []string{"ai", "-ac", "Msvm_MemberOfCollection", rs}, 0, `Name="vm-b"`},
		{"ain", []string{"ain", "-ac", "Msvm_MemberOfCollection", rs}, 0, `Name="vm-a"`},
		{"ri", []string{"ri", "-arc", "Msvm_MemberOfCollection", rs}, 0, "Member="},
		{"rin", []string{"rin", "-arc", "Msvm_MemberOfCollection", rs}, 0, "Msvm_MemberOfCollection"},
		{"empty enumeration", []string{"ei", base + ":Msvm_Empty"}, 0, ""},
		{"empty name enumeration", []string{"ein", base + ":Msvm_Empty"}, 0, ""},
		{"bad class", []string{"ei", base + ":Msvm_NoSuchClass"}, 16, "CIM_ERR_INVALID_CLASS"},
		{"bad password", []string{"ei", strings.Replace(base, ":pass@", ":wrong@", 1) + ":Msvm_RedundancySet"}, 0, "Invalid username/password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			cmd.Env = withoutProxy(os.Environ())
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("running wbemcli: %v", err)
			}
			if tc.name == "bad password" {
				code = 0 // its exit code is not the point
			}
			if code != tc.wantExit || !strings.Contains(string(out), tc.want) {
				t.Errorf("wbemcli %s: exit %d, output:\n%s\nwant exit %d and %q", tc.name, code, out, tc.wantExit, tc.want)
			}
		})
	}
}

// withoutProxy drops proxy settings, so that libcurl talks to the loopback
// server directly.
func withoutProxy(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.Contains(strings.ToLower(name), "proxy") {
			out = append(out, kv)
		}
	}
	return out
}
