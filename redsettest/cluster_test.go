//go:build linux

package redsettest_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/api"
)

// TestClusterHarness checks the harness itself: three servers on one
// three-member etcd see the same sets and members; a server killed with
// SIGKILL and started again serves them too; one etcd member stopped and
// started again changes nothing a server shows; a stopped (SIGSTOP)
// server answers nothing until SIGCONT.
func TestClusterHarness(t *testing.T) {
	c := startCluster(t, ctOptions{})
	ctx := t.Context()
	want := c.view(t, c.servers[0])
	if !strings.Contains(want, "redset:ct-web") || !strings.Contains(want, "web-a=inService") {
		t.Fatalf("server n0 shows %q; want the sets created through its API", want)
	}
	for _, s := range c.servers[1:] {
		if got := c.view(t, s); got != want {
			t.Errorf("server %s shows\n%s\nserver n0 shows\n%s", s.name, got, want)
		}
	}
	if n := len(c.commits.after(0)); n == 0 {
		t.Error("the test's watch saw no history record in etcd")
	}

	s := c.servers[2]
	s.Kill(t)
	if s.running() {
		t.Fatal("server n2 still runs after SIGKILL")
	}
	s.start(t)
	if got := c.view(t, s); got != want {
		t.Errorf("server n2 after a restart shows\n%s\nwant\n%s", got, want)
	}

	s.Stop(t)
	if s.ready() {
		t.Error("a stopped server answered /readyz")
	}
	s.Cont(t)
	waitUntil(t, 5*time.Second, "n2 answering after SIGCONT", func() (bool, string) { return s.ready(), "" })

	m := c.etcd.Members[0]
	m.Stop()
	rev := c.commits.revision(t)
	for _, s := range c.servers {
		if _, err := s.api.GetSet(ctx, "redset:ct-web"); err != nil {
			t.Errorf("server %s with one etcd member down: %v", s.name, err)
		}
	}
	m.Restart(t)
	if rev2 := c.commits.revision(t); rev2 < rev {
		t.Errorf("etcd's revision went back from %d to %d", rev, rev2)
	}
}

// view is what a server shows of every set and member, in one string.
func (c *ctCluster) view(t *testing.T, s *ctServer) string {
	t.Helper()
	sets, err := s.api.ListSets(t.Context())
	if err != nil {
		t.Fatalf("listing sets on %s: %v", s.name, err)
	}
	var lines []string
	for _, set := range sets {
		var ms []string
		for _, m := range set.Members {
			ms = append(ms, m.Name+"="+m.Role)
		}
		slices.Sort(ms)
		lines = append(lines, set.InstanceID+": "+strings.Join(ms, " "))
	}
	members, err := s.api.ListMembers(t.Context())
	if err != nil {
		t.Fatalf("listing members on %s: %v", s.name, err)
	}
	for _, m := range members {
		lines = append(lines, "member "+m.Name+" "+m.Probe.Target())
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestClusterUsers: a user created through a follower (forwarded to the
// leader) logs in on every server; after its deletion through another
// server, no server lets it in.
func TestClusterUsers(t *testing.T) {
	c := startCluster(t, ctOptions{Cluster: true})
	leader := c.waitLeader(t, 10*time.Second)
	fs := c.followers(leader)
	ctx := t.Context()
	if _, err := fs[0].api.CreateUser(ctx, "bob", "operator", "bob-password"); err != nil {
		t.Fatalf("creating bob through follower %s: %v", fs[0].name, err)
	}
	for _, s := range c.servers {
		cl, err := api.NewClient(s.base, "bob", "bob-password", &http.Client{Timeout: ctRequestWithin})
		if err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 5*time.Second, "bob logs in on "+s.name, func() (bool, string) {
			_, err := cl.ListSets(ctx)
			return err == nil, fmt.Sprint(err)
		})
	}
	if err := fs[1].api.DeleteUser(ctx, "bob"); err != nil {
		t.Fatalf("deleting bob through %s: %v", fs[1].name, err)
	}
	for _, s := range c.servers {
		cl, _ := api.NewClient(s.base, "bob", "bob-password", &http.Client{Timeout: ctRequestWithin})
		waitUntil(t, 5*time.Second, "the deleted bob is refused on "+s.name, func() (bool, string) {
			_, err := cl.ListSets(ctx)
			var p *api.Problem
			return errors.As(err, &p) && p.Status == http.StatusUnauthorized, fmt.Sprint(err)
		})
	}
}
