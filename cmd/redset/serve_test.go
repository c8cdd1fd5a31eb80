package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/api"
)

// The banner lists every path on every listener, one column each.
func TestCLIServeWelcomeListsEveryListener(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "pw")
	out, _ := serveCLI(t, "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0")
	serving := regexp.MustCompile(`serving on (127\.0\.0\.1:\d+) and (127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if serving == nil || serving[1] == serving[2] {
		t.Fatalf("the banner does not name two listeners:\n%s", out.String())
	}
	for _, row := range welcomePaths {
		line := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(row[0]) + `\s.*$`).FindString(out.String())
		for _, addr := range serving[1:] {
			if want := "http://" + addr + row[1]; !strings.Contains(line, want+" ") && !strings.HasSuffix(line, want) {
				t.Errorf("the %s row lacks %s:\n%s", row[0], want, line)
			}
		}
	}
}

func TestListenerURLs(t *testing.T) {
	got := listenerURLs([]string{"127.0.0.1:5988", "0.0.0.0:5985", "[::]:1", "[::1]:2", "10.0.0.1:3"}, false)
	want := []string{"http://127.0.0.1:5988", "http://127.0.0.1:5985", "http://[::1]:1", "http://[::1]:2", "http://10.0.0.1:3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listenerURLs (-want +got):\n%s", diff)
	}
	if got := listenerURLs([]string{"127.0.0.1:1"}, true); got[0] != "https://127.0.0.1:1" {
		t.Errorf("with TLS: %s", got[0])
	}
}

// With JSON logs, standard output stays empty and every line of standard
// error is one JSON record, the banner and the generated password too.
func TestCLIServeJSONLogs(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "redset.yaml")
	writeText(t, cfg, "log: {format: json}\n")
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- execCLI(ctx, out, errOut, "serve", "--config", cfg, "--data", dir, "--listen", "127.0.0.1:0")
	}()
	poll(t, 20*time.Second, "the serving record", func() bool { return strings.Contains(errOut.String(), "redset is serving") })
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d", code)
	}
	if out.String() != "" {
		t.Errorf("standard output is not empty:\n%s", out.String())
	}
	var serving, password bool
	for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON record: %q", line)
			continue
		}
		urls, _ := rec["urls"].([]any)
		serving = serving || rec["msg"] == "redset is serving" && len(urls) == 1
		pw, _ := rec["password"].(string)
		password = password || len(pw) > 16
	}
	if !serving || !password {
		t.Errorf("records with the URLs: %v, with the generated password: %v\n%s", serving, password, errOut.String())
	}
}

// Under systemd (STATE_DIRECTORY set) the data goes there by default.
func TestCLIServeStateDirectory(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "pw")
	state := t.TempDir()
	t.Setenv("STATE_DIRECTORY", state+":"+t.TempDir())
	serveCLI(t, "--listen", "127.0.0.1:0")
	if _, err := os.Stat(filepath.Join(state, "redset.db")); err != nil {
		t.Errorf("no store in $STATE_DIRECTORY: %v", err)
	}
	f := &serveFlags{data: "/elsewhere"}
	if cfg, _ := loadServeConfig(f); cfg.Data != "/elsewhere" {
		t.Errorf("--data %q lost to STATE_DIRECTORY", cfg.Data)
	}
}

// Under systemd with Type=notify, the server says READY=1 once serving and
// STOPPING=1 at the end.
func TestCLIServeNotifiesSystemd(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "pw")
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	_, stop := serveCLI(t, "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	read := func() string {
		buf := make([]byte, 256)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	if got := read(); got != "READY=1" {
		t.Errorf("first notification %q, want READY=1", got)
	}
	stop()
	if got := read(); got != "STOPPING=1" {
		t.Errorf("notification at the end %q, want STOPPING=1", got)
	}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCLIConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	writeText(t, good, "members:\n  - {name: a, probe: {type: tcp, address: \"127.0.0.1:1\"}}\nsets:\n  - {id: s, typeOfSet: [2], members: [{name: a}]}\n")
	bad := filepath.Join(dir, "bad.yaml")
	writeText(t, bad, "listen: [\"127.0.0.1:5988\", \"127.0.0.1:5988\"]\nsets:\n  - id: s\n    caption: "+strings.Repeat("c", 65)+"\n")
	tls := filepath.Join(dir, "tls.yaml")
	writeText(t, tls, "tls: {cert: "+filepath.Join(dir, "absent.pem")+", key: "+filepath.Join(dir, "absent.key")+"}\n")
	t.Run("good", func(t *testing.T) {
		wantRun(t, runCLI(context.Background(), "config", "check", good), 0, good+": ok")
	})
	t.Run("every problem on its own line", func(t *testing.T) {
		r := runCLI(context.Background(), "config", "check", good, bad)
		want := []string{bad + ":1: listen[1]: 127.0.0.1:5988 is listed twice (also listen[0])", bad + ":4: sets[0].caption: "}
		lines := strings.Split(strings.TrimSpace(r.err), "\n")
		if r.code != 1 || len(lines) != 2 || !strings.HasPrefix(lines[0], want[0]) || !strings.HasPrefix(lines[1], want[1]) {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and the lines\n%s", r.code, r.err, strings.Join(want, "\n"))
		}
		if !strings.Contains(r.out, good+": ok") {
			t.Errorf("the good file is not reported ok:\n%s", r.out)
		}
	})
	t.Run("TLS files must load", func(t *testing.T) {
		r := runCLI(context.Background(), "config", "check", tls)
		if r.code != 1 || !strings.HasPrefix(r.err, tls+":1: tls.cert: ") || !strings.Contains(r.err, "no such file") {
			t.Errorf("exit %d, stderr %q; want 1 naming tls.cert and the missing file", r.code, r.err)
		}
	})
	t.Run("nothing created", func(t *testing.T) {
		entries, _ := os.ReadDir(dir)
		if len(entries) != 3 {
			t.Errorf("config check left files behind: %v", entries)
		}
	})
}

func TestCLIConfigReload(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "pw")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "redset.yaml")
	text := "members:\n  - {name: a, probe: {type: heartbeat, ttl: 1h}}\nsets:\n  - {id: s, caption: before, typeOfSet: [2], members: [{name: a}]}\n"
	writeText(t, cfg, text)
	out, _ := serveCLI(t, "--config", cfg, "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0")
	base := regexp.MustCompile(`dashboard\s+(http://\S+)/`).FindStringSubmatch(out.String())[1]
	flags := []string{"--server", base, "--password", "pw"}

	writeText(t, cfg, strings.Replace(text, "before", "after", 1))
	r := runCLI(context.Background(), append([]string{"config", "reload"}, flags...)...)
	wantRun(t, r, 0, "Changed:", "yes", "Updated:", "set redset:s")
	r = runCLI(context.Background(), append([]string{"config", "reload", "-o", "json"}, flags...)...)
	var res api.ConfigReload
	if err := json.Unmarshal([]byte(r.out), &res); err != nil || res.Changed || res.Summary != "nothing changed" {
		t.Errorf("second reload as JSON = %+v (%v) from %q, want nothing changed", res, err, r.out)
	}

	writeText(t, cfg, strings.Replace(text, "caption: before", "caption: "+strings.Repeat("x", 65), 1))
	r = runCLI(context.Background(), append([]string{"config", "reload"}, flags...)...)
	if want := fmt.Sprintf("%s:4: sets[0].caption: ", cfg); r.code != 1 || !strings.Contains(r.err, want) || !strings.Contains(r.err, "changed nothing") {
		t.Errorf("reload of an invalid file: exit %d, stderr %q; want 1 with %q", r.code, r.err, want)
	}
	r = runCLI(context.Background(), "set", "get", "redset:s", "--server", base, "--password", "pw")
	wantRun(t, r, 0, "Caption:", "after")
}

// The secrets taken from the environment at start are still there when
// the configuration is loaded again for a reload, though the environment
// no longer has them.
func TestServeSecretsSurviveReload(t *testing.T) {
	t.Setenv("REDSET_CLUSTER_SECRET", "cs")
	t.Setenv("REDSET_ADMIN_PASSWORD", "ap")
	f := &serveFlags{data: t.TempDir()}
	for _, when := range []string{"start", "reload"} {
		cfg, err := loadServeConfig(f)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Cluster.Secret != "cs" || cfg.AdminPassword != "ap" {
			t.Errorf("at %s: cluster secret %q, admin password %q; want cs, ap", when, cfg.Cluster.Secret, cfg.AdminPassword)
		}
		if os.Getenv("REDSET_CLUSTER_SECRET") != "" || os.Getenv("REDSET_ADMIN_PASSWORD") != "" {
			t.Errorf("at %s: the secrets are still in the environment", when)
		}
	}
}

// The banner lists the sets' frontends and where each listens; without
// frontends it has no such row.
func TestCLIServeWelcomeListsFrontends(t *testing.T) {
	t.Setenv("REDSET_ADMIN_PASSWORD", "pw")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "redset.yaml")
	writeText(t, cfg, "demoFrontends: {web: \"127.0.0.1:0\", lb: \"127.0.0.1:0\"}\n")
	out, _ := serveCLI(t, "--demo", "--config", cfg, "--data", dir, "--listen", "127.0.0.1:0")
	for _, set := range []string{"redset:demo-lb", "redset:demo-web"} {
		if !regexp.MustCompile(`(?m)^    ` + regexp.QuoteMeta(set) + `\s+127\.0\.0\.1:[1-9]\d*$`).MatchString(out.String()) {
			t.Errorf("the banner does not say where %s's frontend listens:\n%s", set, out.String())
		}
	}
	plain, _ := serveCLI(t, "--data", t.TempDir(), "--listen", "127.0.0.1:0")
	if strings.Contains(plain.String(), "frontends") {
		t.Errorf("a server without frontends lists them:\n%s", plain.String())
	}
}
