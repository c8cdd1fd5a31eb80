package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
	"github.com/redset/redset/engine"
)

// fileServer runs a server from the configuration file path, as
// `redset serve --config path` does: the data directory and listener are
// overrides that a reload applies again.
func fileServer(t *testing.T, path string, log ...func(*Config)) *Server {
	t.Helper()
	data := t.TempDir()
	load := func() (Config, error) {
		cfg, err := LoadConfig(path)
		cfg.Data, cfg.Listen, cfg.AdminPassword = data, []string{"127.0.0.1:0"}, testPassword
		for _, f := range log {
			f(&cfg)
		}
		return cfg, err
	}
	cfg, err := load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	s.SetLoader(load)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// reloadBase is the file a reload test starts from: two pushed-health
// members in a Sparing set.
const reloadBase = `health: {rise: 1, fall: 1}
members:
  - {name: a, probe: {type: heartbeat, ttl: 1h}}
  - {name: b, probe: {type: heartbeat, ttl: 1h}}
sets:
  - id: pair
    caption: before
    typeOfSet: [4]
    minNumberNeeded: 1
    members:
      - {name: a}
      - {name: b, role: spare, failoverSupported: both}
`

// reloadChanged changes the set's caption, adds member c to it and to a
// new set, and adds a reader and a vetoing pre-failover hook.
func reloadChanged(hash string) string {
	return strings.Replace(reloadBase, "caption: before", "caption: after", 1) +
		"  - id: solo\n    typeOfSet: [2]\n    members: [{name: c}]\n" +
		"users:\n  - {name: viewer, role: reader, passwordHash: \"" + hash + "\"}\n" +
		"hooks:\n  - {name: freeze, pre: true, exec: [/bin/sh, -c, \"echo change freeze; exit 1\"]}\n"
}

func TestReloadThroughTheAPI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reload.yaml")
	writeFile(t, path, reloadBase)
	s := fileServer(t, path)
	ctx := context.Background()
	admin := apiClient(t, s, "admin", testPassword)
	reportOK(t, admin, "a", "b")
	if res, err := admin.Failover(ctx, "redset:pair", "a", "b"); err != nil || res.ReturnValue != 0 {
		t.Fatalf("Failover a -> b = %+v, %v", res, err)
	}
	records := configRecords(t, s.Engine())

	text := reloadChanged(testHash())
	text = strings.Replace(text, "  - {name: b, probe", "  - {name: c, probe: {type: heartbeat, ttl: 1h}}\n  - {name: b, probe", 1)
	text = strings.Replace(text, "      - {name: b, role: spare, failoverSupported: both}\n", "      - {name: b, role: spare, failoverSupported: both}\n      - {name: c, role: spare}\n", 1)
	writeFile(t, path, text)
	got, err := admin.ReloadConfig(ctx)
	if err != nil {
		t.Fatalf("ReloadConfig: %v", err)
	}
	t.Run("answer", func(t *testing.T) {
		want := api.ConfigReload{Changed: true,
			Summary: "created member c, set redset:solo; updated set redset:pair; added c to set redset:pair, c to set redset:solo; users replaced; hooks replaced",
			Created: []string{"member c", "set redset:solo"}, Updated: []string{"set redset:pair"},
			Added: []string{"c to set redset:pair", "c to set redset:solo"}, WouldDelete: []string{}, RestartNeeded: []string{}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("reload answer (-want +got):\n%s", diff)
		}
	})
	t.Run("sets and roles", func(t *testing.T) {
		v, err := s.Engine().GetSet("redset:pair")
		if err != nil || v.Caption != "after" {
			t.Errorf("caption %q (%v), want after", v.Caption, err)
		}
		want := map[string]engine.RoleKind{"a": engine.RoleSpare, "b": engine.RoleInService, "c": engine.RoleSpare}
		if diff := cmp.Diff(want, roles(t, s.Engine(), "redset:pair")); diff != "" {
			t.Errorf("roles (-want +got): the failover's must be kept\n%s", diff)
		}
	})
	t.Run("users", func(t *testing.T) {
		if _, err := apiClient(t, s, "viewer", "reader-password").ListSets(ctx); err != nil {
			t.Errorf("the user added by the reload cannot read: %v", err)
		}
	})
	t.Run("hooks", func(t *testing.T) {
		res, err := admin.Failover(ctx, "redset:pair", "b", "a")
		if err != nil || res.ReturnValue != 2 || !strings.Contains(res.Reason, "change freeze") {
			t.Errorf("Failover after adding a vetoing hook = %+v, %v; want 2 with the hook's output", res, err)
		}
	})
	t.Run("one record with the summary", func(t *testing.T) {
		hist, err := admin.History(ctx, api.HistoryQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var reloads []string
		for _, e := range hist {
			if e.Config != nil && e.Config.Action == "configuration reloaded" {
				reloads = append(reloads, e.Config.Detail)
			}
		}
		if len(reloads) != 1 || reloads[0] != got.Summary {
			t.Errorf("reload records %q, want one with the summary %q", reloads, got.Summary)
		}
	})
	records = configRecords(t, s.Engine())
	revisions := storedRevisions(t, s.Engine())

	t.Run("unchanged file", func(t *testing.T) {
		again, err := admin.ReloadConfig(ctx)
		if err != nil || again.Changed || again.Summary != "nothing changed" {
			t.Errorf("second reload = %+v, %v; want nothing changed", again, err)
		}
		if diff := cmp.Diff(records, configRecords(t, s.Engine())); diff != "" {
			t.Errorf("an unchanged reload recorded something (-before +after):\n%s", diff)
		}
	})
	t.Run("invalid file", func(t *testing.T) {
		bad := strings.Replace(text, "caption: after", "caption: "+strings.Repeat("x", 65), 1)
		bad = strings.Replace(bad, "  - {name: a, probe", "  - {name: new, probe: {type: heartbeat, ttl: 1h}}\n  - {name: a, probe", 1)
		bad = strings.Replace(bad, "hooks:\n", "  - {name: viewer2, role: reader, passwordHash: \""+testHash()+"\"}\nhooks:\n", 1)
		writeFile(t, path, bad)
		_, err := admin.ReloadConfig(ctx)
		var p *api.Problem
		want := fmt.Sprintf("%s:%d: sets[0].caption: ", path, lineOf(bad, "caption: xxx"))
		if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, want) {
			t.Fatalf("reload of an invalid file = %v, want 422 with %q", err, want)
		}
		if diff := cmp.Diff(revisions, storedRevisions(t, s.Engine())); diff != "" {
			t.Errorf("the refused reload changed the store (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(records, configRecords(t, s.Engine())); diff != "" {
			t.Errorf("the refused reload recorded something (-before +after):\n%s", diff)
		}
		if _, err := apiClient(t, s, "viewer2", "reader-password").ListSets(ctx); err == nil {
			t.Errorf("a user of the refused file can log in")
		}
	})
	t.Run("unreadable file", func(t *testing.T) {
		os.Remove(path)
		_, err := admin.ReloadConfig(ctx)
		var p *api.Problem
		if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, "no such file") {
			t.Errorf("reload of a missing file = %v, want 422 naming the missing file", err)
		}
	})
	t.Run("admin only", func(t *testing.T) {
		_, err := apiClient(t, s, "viewer", "reader-password").ReloadConfig(ctx)
		var p *api.Problem
		if !errors.As(err, &p) || p.Status != http.StatusForbidden {
			t.Errorf("a reader's reload = %v, want 403", err)
		}
	})
}

// lineOf is the 1-based line of text that contains s.
func lineOf(text, s string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// Fields that cannot change while running are reported, and the rest of
// the file is applied.
func TestReloadNamesWhatNeedsARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reload.yaml")
	writeFile(t, path, reloadBase)
	s := fileServer(t, path)
	writeFile(t, path, "orgID: other\nlog: {level: debug}\nhistory: 50\ncluster: {name: renamed}\n"+strings.Replace(reloadBase, "caption: before", "caption: after", 1))
	rep, err := s.Reload(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"orgID", "log", "history", "cluster"}, rep.Restart); diff != "" {
		t.Errorf("Restart (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"set redset:pair"}, rep.Updated); diff != "" {
		t.Errorf("Updated (-want +got): the set keeps the running orgID\n%s", diff)
	}
	if want := "updated set redset:pair; at the next start: orgID, log, history, cluster"; rep.Summary() != want {
		t.Errorf("Summary = %q, want %q", rep.Summary(), want)
	}
}

// A reload replaces the TLS certificate: new connections get the new one.
func TestReloadReplacesTheCertificate(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	path := filepath.Join(t.TempDir(), "tls.yaml")
	writeFile(t, path, fmt.Sprintf("tls: {cert: %q, key: %q}\n", certFile, keyFile))
	s := fileServer(t, path)
	served := func() []byte {
		conn, err := tls.Dial("tcp", s.Addrs()[0], &tls.Config{InsecureSkipVerify: true}) // the test compares the certificate itself
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Raw
	}
	old := served()
	newCert, newKey, _ := selfSigned(t)
	for from, to := range map[string]string{newCert: certFile, newKey: keyFile} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, to, string(data))
	}
	rep, err := s.Reload(context.Background())
	if err != nil || !rep.TLS {
		t.Fatalf("Reload = %+v, %v; want the certificate replaced", rep, err)
	}
	if now := served(); string(now) == string(old) {
		t.Errorf("the listener still serves the old certificate after the reload")
	}
	again, err := s.Reload(context.Background())
	if err != nil || again.Changed() {
		t.Errorf("a second reload = %+v, %v; want nothing changed", again, err)
	}
}

// Reloads may come from the API and from a signal at once; they run one
// after the other.
func TestConcurrentReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reload.yaml")
	writeFile(t, path, reloadBase)
	s := fileServer(t, path)
	writeFile(t, path, strings.Replace(reloadBase, "caption: before", "caption: after", 1))
	results := make(chan ReloadReport, 4)
	for range 4 {
		go func() {
			rep, err := s.Reload(context.Background())
			if err != nil {
				t.Error(err)
			}
			results <- rep
		}()
	}
	changed := 0
	for range 4 {
		select {
		case rep := <-results:
			if rep.Changed() {
				changed++
			}
		case <-time.After(20 * time.Second):
			t.Fatal("reloads did not finish")
		}
	}
	if changed != 1 {
		t.Errorf("%d of 4 concurrent reloads changed something, want exactly 1", changed)
	}
}

// A server made without a configuration file has nothing to reload.
func TestReloadWithoutAFile(t *testing.T) {
	s, err := New(context.Background(), Config{Data: t.TempDir(), Listen: []string{"127.0.0.1:0"}, AdminPassword: testPassword}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = apiClient(t, s, "admin", testPassword).ReloadConfig(context.Background())
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != http.StatusConflict || p.Type != api.ProblemNotSupported {
		t.Errorf("reload without a file = %v, want 409 not-supported", err)
	}
}
