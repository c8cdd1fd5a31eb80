package server

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redset/redset/event"
)

// A reload by signal (no caller in the context) names the configuration
// file as the actor of what it changes; a reload through the API names the
// admin; a refused reload is in the audit file.
func TestReloadRecordsItsActor(t *testing.T) {
	dir := t.TempDir()
	path, auditFile := filepath.Join(dir, "reload.yaml"), filepath.Join(dir, "audit.jsonl")
	writeFile(t, path, reloadBase)
	s := fileServer(t, path, func(c *Config) { c.Audit.File = auditFile })
	ctx := context.Background()

	writeFile(t, path, strings.Replace(reloadBase, "caption: before", "caption: by signal", 1))
	if _, err := s.Reload(ctx); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	writeFile(t, path, strings.Replace(reloadBase, "caption: before", "caption: by the API", 1))
	if _, err := apiClient(t, s, "admin", testPassword).ReloadConfig(ctx); err != nil {
		t.Fatalf("ReloadConfig: %v", err)
	}
	writeFile(t, path, "sets: [{id: broken, typeOfSet: [9999]}]\n")
	if _, err := s.Reload(ctx); err == nil {
		t.Fatal("a broken file reloaded")
	}

	hist, err := s.Engine().History(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range hist {
		if r.Kind == event.KindConfigChanged && (r.Config.Action == "configuration reloaded" || r.Config.Action == "set updated") {
			got = append(got, r.Config.Action+" by "+r.Actor.Protocol+" "+r.Actor.User)
		}
	}
	want := []string{"set updated by config ", "configuration reloaded by config ", "set updated by api admin", "configuration reloaded by api admin"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records:\n got %q\nwant %q", got, want)
	}
	s.Close() // flush and close the audit file
	var refused []map[string]any
	f, err := os.Open(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %s: %v", sc.Bytes(), err)
		}
		if m["action"] == "configuration reloaded" && m["outcome"] == "refused" {
			refused = append(refused, m)
		}
	}
	if len(refused) != 1 || refused[0]["protocol"] != "config" || refused[0]["address"] != path {
		t.Errorf("refused reloads in the audit file: %v", refused)
	}
}
