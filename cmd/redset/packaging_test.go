package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// unitDirectives reads a systemd unit into directive -> values.
func unitDirectives(t *testing.T, path string) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && !strings.HasPrefix(line, "#") {
			out[k] = append(out[k], v)
		}
	}
	return out
}

// The systemd unit is hardened, reloads with SIGHUP, keeps its data in a
// state directory, and starts redset with flags redset has.
func TestSystemdUnit(t *testing.T) {
	unit := filepath.Join("..", "..", "packaging", "redset.service")
	d := unitDirectives(t, unit)
	want := map[string]string{
		"Type": "notify", "StateDirectory": "redset", "ConfigurationDirectory": "redset", "Restart": "on-failure",
		"ExecReload": "/bin/kill -HUP $MAINPID", "ProtectSystem": "strict", "ProtectHome": "yes",
		"NoNewPrivileges": "yes", "PrivateTmp": "yes", "DynamicUser": "yes", "CapabilityBoundingSet": "",
	}
	for k, v := range want {
		if len(d[k]) != 1 || d[k][0] != v {
			t.Errorf("%s = %q, want %q", k, d[k], v)
		}
	}
	start := strings.Fields(d["ExecStart"][0])
	if len(start) < 2 || filepath.Base(start[0]) != "redset" || start[1] != "serve" {
		t.Fatalf("ExecStart %q does not run redset serve", d["ExecStart"])
	}
	cmd, args, err := newRootCmd().Find(start[1:])
	if err == nil {
		err = cmd.ParseFlags(args)
	}
	if err != nil || cmd.Name() != "serve" {
		t.Errorf("ExecStart's arguments %q are not a valid redset serve command line: %v", start[1:], err)
	}
	t.Run("systemd-analyze verify", func(t *testing.T) {
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("systemd-analyze is not installed; the unit's directives are checked above")
		}
		bin := buildRedset(t)
		dir := t.TempDir()
		text, _ := os.ReadFile(unit)
		local := filepath.Join(dir, "redset.service")
		writeText(t, local, strings.ReplaceAll(string(text), "/usr/local/bin/redset", bin))
		wantRun(t, runCLI(context.Background(), "man", "--dir", filepath.Join(dir, "man", "man1")), 0)
		v := exec.Command(analyze, "verify", local)
		v.Env = append(os.Environ(), "MANPATH="+filepath.Join(dir, "man"))
		if out, err := v.CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	})
}

// The example configuration of the package passes `redset config check`.
func TestPackagedConfig(t *testing.T) {
	path := filepath.Join("..", "..", "packaging", "redset.yaml")
	wantRun(t, runCLI(context.Background(), "config", "check", path), 0, path+": ok")
	data, _ := os.ReadFile(path)
	if regexp.MustCompile(`(?m)^data:`).Match(data) {
		t.Errorf("the packaged configuration sets data; it should leave it to $STATE_DIRECTORY")
	}
}

// scripts/release.sh builds an archive per target with the version
// stamped, the manual pages, the unit and the license, and SHA256SUMS.
func TestReleaseScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds redset for release; skipped with -short")
	}
	for _, tool := range []string{"bash", "go", "tar", "gzip", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed; the release script needs it", tool)
		}
	}
	goos, _ := exec.Command("go", "env", "GOOS").Output()
	goarch, _ := exec.Command("go", "env", "GOARCH").Output()
	out := t.TempDir()
	script := exec.Command("bash", filepath.Join("..", "..", "scripts", "release.sh"))
	script.Env = append(os.Environ(), "VERSION=v9.8.7-test", "OUT="+out, "SOURCE_DATE_EPOCH=1700000000",
		"TARGETS="+strings.TrimSpace(string(goos))+"/"+strings.TrimSpace(string(goarch)))
	if log, err := script.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, log)
	}
	name := "redset-9.8.7-test-" + strings.TrimSpace(string(goos)) + "-" + strings.TrimSpace(string(goarch))
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = out
	if log, err := check.CombinedOutput(); err != nil || !strings.Contains(string(log), name+".tar.gz: OK") {
		t.Errorf("SHA256SUMS does not check: %v\n%s", err, log)
	}
	unpacked := t.TempDir()
	if log, err := exec.Command("tar", "-xzf", filepath.Join(out, name+".tar.gz"), "-C", unpacked).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, log)
	}
	for _, f := range []string{"redset", "LICENSE", "README.md", "redset.service", "redset.yaml", "man/redset.1", "man/redset-serve.1"} {
		if _, err := os.Stat(filepath.Join(unpacked, name, f)); err != nil {
			t.Errorf("the archive lacks %s", f)
		}
	}
	v, err := exec.Command(filepath.Join(unpacked, name, "redset"), "version").Output()
	if err != nil || !strings.Contains(string(v), "9.8.7-test") {
		t.Errorf("redset version of the release = %q (%v), want 9.8.7-test stamped", v, err)
	}
	page, _ := os.ReadFile(filepath.Join(unpacked, name, "man", "redset.1"))
	if !strings.Contains(string(page), `"2023-11-14" "redset 9.8.7-test"`) {
		t.Errorf("the manual page does not carry the release's date and version:\n%.200s", page)
	}
}
