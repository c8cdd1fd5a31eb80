package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

func printed(s api.Set) string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	printSet(tw, s)
	_ = tw.Flush()
	return b.String()
}

func TestPrintSetFrontend(t *testing.T) {
	drain := engine.Duration(30 * time.Second)
	s := api.Set{InstanceID: "redset:pg", TypeOfSet: []uint16{4},
		Frontend: &api.Frontend{Listen: "127.0.0.1:0", Drain: &drain, ProxyProtocol: "v2", PassiveFailures: 3},
		FrontendStatus: &api.FrontendStatus{Listen: "127.0.0.1:0", Address: "127.0.0.1:41234", Open: 4, Refused: 2,
			Members: []api.MemberTraffic{{Name: "pg-a", Address: "127.0.0.1:7001", Open: 3, Total: 17, DialErrors: 1, Draining: 3},
				{Name: "pg-b", Address: "127.0.0.1:7002", Open: 1, Total: 2}}},
		Members: []api.SetMember{{Name: "pg-a", Role: "spare"}, {Name: "pg-b", Role: "inService"}, {Name: "pg-c", Role: "drained"}}}
	out := printed(s)
	for _, want := range []string{
		`Frontend:\s+127.0.0.1:0 \(tcp, drain 30s, PROXY v2, at most 10000 connections, dial timeout 2s, Failed after 3 failed dials in a row\)`,
		`FrontendListening:\s+on 127.0.0.1:41234\n`,
		`FrontendConnections:\s+4 open, 2 refused\n`,
		`MEMBER\s+ROLE\s+HEALTH\s+SPARE STATUS\s+FAILOVER\s+PRIORITY\s+OPEN\s+TOTAL\s+DIAL ERRORS\n`,
		`pg-a\s+spare\s+.*\s+3 \(3 draining\)\s+17\s+1\n`,
		`pg-b\s+inService\s+.*\s+1\s+2\s+0\n`,
		`pg-c\s+drained\s+.*\s+-\s+-\s+-\n`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("set get lacks %s:\n%s", want, out)
		}
	}

	s.FrontendStatus.Address, s.FrontendStatus.Error = "", "listen tcp 127.0.0.1:80: bind: permission denied"
	if out = printed(s); !regexp.MustCompile(`FrontendListening:\s+NOT LISTENING: listen tcp 127.0.0.1:80: bind: permission denied\n`).MatchString(out) {
		t.Errorf("a frontend that cannot bind:\n%s", out)
	}
	s.Frontend.Drain, s.FrontendStatus = nil, nil
	out = printed(s)
	if !strings.Contains(out, "connections to a member that left service stay open") || strings.Contains(out, "OPEN") || strings.Contains(out, "FrontendListening") {
		t.Errorf("without a drain and without a status:\n%s", out)
	}
	s.Frontend = nil
	if out = printed(s); !regexp.MustCompile(`Frontend:\s+none\n`).MatchString(out) {
		t.Errorf("without a frontend:\n%s", out)
	}
}

func TestCLIFrontendAndAddress(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{})
	eng := srv.Engine()
	flags := []string{"--server", srv.URL, "--user", "admin", "--password", redsettest.AdminPassword}
	run := func(stdin string, args ...string) cliResult {
		return runCLIIn(context.Background(), strings.NewReader(stdin), append(args, flags...)...)
	}
	frontend := func(id string) *engine.Frontend {
		t.Helper()
		v, err := eng.GetSet(id)
		if err != nil {
			t.Fatal(err)
		}
		return v.Frontend
	}
	d30, d0 := engine.Duration(30*time.Second), engine.Duration(0)

	t.Run("member add with a traffic address", func(t *testing.T) {
		wantRun(t, run("", "member", "add", "pg-a", "--type", "tcp", "--address", "127.0.0.1:8008", "--traffic-address", "127.0.0.1:5432"), 0, "added member pg-a")
		wantRun(t, run("- name: pg-b\n  address: \"127.0.0.1:5433\"\n- name: pg-c\n  probe: {type: tcp, address: \"127.0.0.1:5434\"}\n", "member", "add", "-f", "-"), 0, "added member pg-b", "added member pg-c")
		for name, want := range map[string]string{"pg-a": "127.0.0.1:5432", "pg-b": "127.0.0.1:5433", "pg-c": ""} {
			if m, err := eng.GetMember(name); err != nil || m.Address != want {
				t.Errorf("member %s: address %q (%v), want %q", name, m.Address, err, want)
			}
		}
		wantRun(t, run("", "member", "get", "pg-a"), 0, "TrafficAddress:", "127.0.0.1:5432")
		wantRun(t, run("", "member", "get", "pg-c"), 0, "127.0.0.1:5434 (the probe's)")
		wantFail(t, run("", "member", "add", "pg-d", "--traffic-address", "nowhere"), "flags:", "members[0].address")
	})
	t.Run("set create with frontend flags", func(t *testing.T) {
		wantRun(t, run("", "set", "create", "pg", "--type", "sparing", "--min", "1", "--member", "pg-a", "--member", "pg-b:spare",
			"--frontend-listen", "127.0.0.1:0", "--frontend-drain", "30s", "--frontend-proxy-protocol", "v2",
			"--frontend-max-connections", "50", "--frontend-dial-timeout", "1s", "--frontend-passive-failures", "3"),
			0, "Frontend:", "127.0.0.1:0 (tcp, drain 30s, PROXY v2, at most 50 connections, dial timeout 1s, Failed after 3 failed dials in a row)")
		want := &engine.Frontend{Listen: "127.0.0.1:0", Drain: &d30, ProxyProtocol: "v2", MaxConnections: 50,
			DialTimeout: engine.Duration(time.Second), PassiveFailures: 3}
		if diff := cmp.Diff(want, frontend("redset:pg")); diff != "" {
			t.Errorf("stored frontend (-want +got):\n%s", diff)
		}
	})
	t.Run("set edit changes, opens and removes", func(t *testing.T) {
		wantRun(t, run("", "set", "edit", "pg", "--frontend-drain", "0s", "--frontend-listen", "127.0.0.1:15499"), 0, "drain 0s")
		if f := frontend("redset:pg"); f.Listen != "127.0.0.1:15499" || f.Drain == nil || *f.Drain != d0 || f.ProxyProtocol != "v2" {
			t.Errorf("after the edit: %+v", f)
		}
		wantRun(t, run("", "set", "edit", "pg", "--frontend-drain", "open"), 0, "stay open")
		if f := frontend("redset:pg"); f.Drain != nil || f.Listen != "127.0.0.1:15499" {
			t.Errorf("after --frontend-drain open: %+v", f)
		}
		wantFail(t, run("", "set", "edit", "pg", "--frontend-proxy-protocol", "v1"), "frontend.proxyProtocol")
		wantFail(t, run("", "set", "edit", "pg", "--frontend-drain", "soon"), `--frontend-drain "soon"`)
		wantFail(t, run("", "set", "edit", "pg", "--no-frontend", "--frontend-listen", "127.0.0.1:1"), "give no --frontend-* flag")
		wantRun(t, run("", "set", "edit", "pg", "--no-frontend"), 0, "Frontend:", "none")
		if f := frontend("redset:pg"); f != nil {
			t.Errorf("after --no-frontend: %+v", f)
		}
	})
	t.Run("set create from a configuration entry", func(t *testing.T) {
		yaml := "id: pg2\ntypeOfSet: [4]\nminNumberNeeded: 1\nfrontend: {listen: \"127.0.0.1:15499\", drain: 0s}\nmembers:\n  - {name: pg-c}\n"
		wantRun(t, run(yaml, "set", "create", "-f", "-"), 0, "redset:pg2", "drain 0s")
		if f := frontend("redset:pg2"); f == nil || f.Listen != "127.0.0.1:15499" || f.Drain == nil || *f.Drain != d0 {
			t.Errorf("created from the entry: %+v", f)
		}
		bad := "id: pg3\ntypeOfSet: [4]\nminNumberNeeded: 1\nfrontend:\n  listen: \"127.0.0.1:1\"\n  mode: udp\n"
		wantFail(t, run(bad, "set", "create", "-f", "-"), "standard input:6: sets[0].frontend.mode")
		wantFail(t, run("", "set", "create", "pg4", "--frontend-listen", "127.0.0.1:15499"), "409", "127.0.0.1:15499")
	})
}
