package redsettest_test

// The README check. Every ```sh block of README.md is run with bash
// against a fresh `redset serve --demo` (the binary built from
// ./cmd/redset, run as its own process on free loopback ports with its own
// data directory), so the commands a newcomer copies work as written.
//
// The rules a README writer follows:
//
//   - Only ```sh blocks run. Commands that start servers, install packages
//     or run `go test`, and sample output, go in ```text or ```console
//     blocks (or ```yaml for configuration); a ```bash or ```shell block is
//     an error, so that a runnable-looking block is never skipped unnoticed.
//   - Each block runs in one bash with `set -e`, in a new empty directory
//     holding `redset` (so `./redset` is the built binary), against its own
//     fresh demo server whose members are all healthy, with REDSET_SERVER,
//     REDSET_USER=admin and REDSET_PASSWORD=secret set (the password the
//     README's first command gives). The README's addresses 127.0.0.1:5988
//     and 127.0.0.1:5985 are rewritten to the server's ports, and the demo
//     frontends' 127.0.0.1:15080 and 127.0.0.1:15081 to theirs.
//   - A trailing comment may carry markers, each applying to its line:
//     `exits N` — the command must exit with status N (any other status,
//     0 included, fails); `prints "TEXT"` — its standard output must hold
//     TEXT; `runs until Ctrl-C` — the command is interrupted after
//     readmeRunFor and must still be running then. A marked command is one
//     line and, for `runs until Ctrl-C`, sees only exported variables.
//   - A block that calls an external client (wbemcli, wsl, curl) runs when
//     the client is installed; otherwise it is skipped with a message, or
//     fails with REDSET_REQUIRE_INTEROP=1.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	readmePassword = "secret"         // REDSET_ADMIN_PASSWORD in the README's first command
	readmeRunFor   = 5 * time.Second  // how long a `runs until Ctrl-C` command runs
	readmeBlockMax = 3 * time.Minute  // the bound of one block
	readmeSettle   = 30 * time.Second // how long the demo's members may take to be healthy
	readmeStart    = 20 * time.Second // how long the server may take to be ready
	readmeBuildMax = 5 * time.Minute  // the bound of building the binary
	readmeAPIWait  = 100 * time.Millisecond
)

// readmeClients are the external clients a block may call, with how to
// install them.
var readmeClients = map[string]string{
	"wbemcli": "apt-get install sblim-wbemcli",
	"wsl":     "apt-get install wsl",
	"curl":    "apt-get install curl",
}

// shBlock is one ```sh block: its text and the README line of its first
// command line.
type shBlock struct {
	line int
	text string
}

var fenceRE = regexp.MustCompile("^\\s*```+\\s*([A-Za-z0-9_+-]*)")

// shBlocks returns the ```sh blocks of a Markdown text, and an error for
// blocks in a shell language other than sh.
func shBlocks(md string) ([]shBlock, error) {
	var blocks []shBlock
	var cur *shBlock
	var body []string
	in := false
	for i, line := range strings.Split(md, "\n") {
		m := fenceRE.FindStringSubmatch(line)
		switch {
		case m != nil && !in:
			in = true
			switch lang := strings.ToLower(m[1]); lang {
			case "sh":
				cur, body = &shBlock{line: i + 2}, nil
			case "bash", "shell", "zsh":
				return nil, fmt.Errorf("README.md:%d: a ```%s block: use ```sh for commands the README test runs, ```console or ```text for the others", i+1, lang)
			}
		case m != nil && in:
			in = false
			if cur != nil {
				cur.text = strings.Join(body, "\n")
				blocks = append(blocks, *cur)
				cur = nil
			}
		case in && cur != nil:
			body = append(body, line)
		}
	}
	if in {
		return nil, errors.New("README.md: a code block is not closed")
	}
	return blocks, nil
}

// marks are the markers of one command's trailing comment.
type marks struct {
	exit    int    // the exit status wanted
	prints  string // text its output must hold, if any
	endless bool   // runs until Ctrl-C
}

var (
	exitsRE  = regexp.MustCompile(`\bexits (\d+)\b`)
	printsRE = regexp.MustCompile(`\bprints "([^"]*)"`)
)

// trailingComment splits a shell line at the first # that starts a word
// outside quotes: the command and the comment ("" when there is none).
func trailingComment(line string) (cmd, comment string) {
	var quote rune
	escaped := false
	for i, r := range line {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quote != '\'':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return strings.TrimRight(line[:i], " \t"), line[i+1:]
		}
	}
	return line, ""
}

func marksOf(comment string) (marks, bool) {
	var m marks
	found := false
	if s := exitsRE.FindStringSubmatch(comment); s != nil {
		m.exit, _ = strconv.Atoi(s[1])
		found = true
	}
	if s := printsRE.FindStringSubmatch(comment); s != nil {
		m.prints, found = s[1], true
	}
	if strings.Contains(comment, "runs until Ctrl-C") {
		m.endless, found = true, true
	}
	return m, found
}

// readmePrelude reports a failing plain command with its README line and
// checks the markers of marked ones.
const readmePrelude = `set -e
__line=0
trap 'echo "README.md:$__line: exit status $? (want 0)" >&2' ERR
__want() { # line, wanted status, status
  if [ "$3" != "$2" ]; then echo "README.md:$1: exit status $3, want $2" >&2; exit 97; fi
}
__holds() { # line, text, output
  case "$3" in *"$2"*) ;; *) echo "README.md:$1: the output lacks \"$2\"" >&2; exit 98;; esac
}
`

// readmeScript turns a block into a bash script that runs its commands in
// order, traces each with its README line and applies the markers.
func readmeScript(b shBlock) string {
	var out strings.Builder
	out.WriteString(readmePrelude)
	lines := strings.Split(b.text, "\n")
	for i := 0; i < len(lines); i++ {
		n, line := b.line+i, lines[i]
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) { // a continued command is one
			i++
			line += "\n" + lines[i]
		}
		cmd, comment := trailingComment(line)
		if strings.TrimSpace(cmd) == "" {
			continue
		}
		fmt.Fprintf(&out, "__line=%d; printf '%%s\\n' %s >&2\n", n, shellQuote("+ README.md:"+strconv.Itoa(n)+": "+cmd))
		m, marked := marksOf(comment)
		if !marked {
			out.WriteString(cmd + "\n")
			continue
		}
		out.WriteString(markedCommand(n, cmd, m))
	}
	return out.String()
}

// markedCommand is the script of one marked command.
func markedCommand(n int, cmd string, m marks) string {
	want := m.exit
	if m.endless {
		cmd = fmt.Sprintf("timeout -s INT %d bash -c %s", int(readmeRunFor.Seconds()), shellQuote(cmd))
		want = 124 // timeout's status when the command was still running
	}
	if m.prints == "" {
		return fmt.Sprintf("__rc=0; %s || __rc=$?; __want %d %d \"$__rc\"\n", cmd, n, want)
	}
	return fmt.Sprintf("__rc=0; __out=$(%s) || __rc=$?; printf '%%s\\n' \"$__out\"; __want %d %d \"$__rc\"; __holds %d %s \"$__out\"\n",
		cmd, n, want, n, shellQuote(m.prints))
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// buildRedset builds ./cmd/redset into a directory removed after the test.
// go test puts its own toolchain's go first on PATH.
func buildRedset(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "redset")
	ctx, cancel := context.WithTimeout(t.Context(), readmeBuildMax)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/redset")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/redset: %v\n%s", err, out)
	}
	return bin
}

// demoProcess is a `redset serve --demo` process.
type demoProcess struct {
	base, cimPort, wsPort string
	webPort, lbPort       string // the demo frontends'
	log                   *lockedLog
}

// lockedLog collects a process's output for the test log.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startDemoProcess runs `redset serve --demo` until the test ends and waits
// until it is ready and every demo member is healthy. A port taken between
// choosing and binding is retried with new ports.
func startDemoProcess(t *testing.T, bin string) *demoProcess {
	t.Helper()
	var last error
	for range 3 {
		p, err := tryDemoProcess(t, bin)
		if err == nil {
			return p
		}
		last = err
	}
	t.Fatalf("redset serve --demo did not start: %v", last)
	return nil
}

func tryDemoProcess(t *testing.T, bin string) (*demoProcess, error) {
	p := &demoProcess{cimPort: freePort(t), wsPort: freePort(t), webPort: freePort(t), lbPort: freePort(t), log: &lockedLog{}}
	p.base = "http://127.0.0.1:" + p.cimPort
	config := filepath.Join(t.TempDir(), "redset.yaml")
	frontends := fmt.Sprintf("demoFrontends: {web: \"127.0.0.1:%s\", lb: \"127.0.0.1:%s\"}\n", p.webPort, p.lbPort)
	if err := os.WriteFile(config, []byte(frontends), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--demo", "--data", t.TempDir(), "--config", config,
		"--listen", "127.0.0.1:"+p.cimPort, "--listen", "127.0.0.1:"+p.wsPort)
	cmd.Env = append(withoutRedsetEnv(os.Environ()), "REDSET_ADMIN_PASSWORD="+readmePassword)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	if err := p.waitHealthy(exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w\nserver output:\n%s", err, p.log.String())
	}
	t.Cleanup(stop)
	return p, nil
}

// waitHealthy polls until the server is ready and every demo member is
// OK, failing early when the process exits.
func (p *demoProcess) waitHealthy(exited <-chan error) error {
	deadline := time.Now().Add(readmeStart + readmeSettle)
	tick := time.NewTicker(readmeAPIWait)
	defer tick.Stop()
	for {
		ok, what := p.healthy()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("not healthy in time: " + what)
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the server exited: %v", err)
		case <-tick.C:
		}
	}
}

// healthy reports whether every member of the demo is OK, and what is not.
func (p *demoProcess) healthy() (bool, string) {
	req, err := http.NewRequest(http.MethodGet, p.base+"/api/v1/members", nil)
	if err != nil {
		return false, err.Error()
	}
	req.SetBasicAuth("admin", readmePassword)
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	var list struct {
		Members []struct {
			Name   string `json:"name"`
			Health struct {
				State string `json:"state"`
			} `json:"health"`
		} `json:"members"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("GET /api/v1/members: %d %v", resp.StatusCode, err)
	}
	for _, m := range list.Members {
		if m.Health.State != "OK" {
			return false, m.Name + " is " + m.Health.State
		}
	}
	return len(list.Members) > 0, "no members yet"
}

// withoutRedsetEnv drops REDSET_ variables, so the test's own environment
// decides nothing.
func withoutRedsetEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "REDSET_") {
			out = append(out, kv)
		}
	}
	return out
}

// rewriteAddrs points the README's addresses at the test server.
func (p *demoProcess) rewriteAddrs(text string) string {
	return strings.NewReplacer("127.0.0.1:5988", "127.0.0.1:"+p.cimPort, "127.0.0.1:5985", "127.0.0.1:"+p.wsPort,
		"127.0.0.1:15080", "127.0.0.1:"+p.webPort, "127.0.0.1:15081", "127.0.0.1:"+p.lbPort).Replace(text)
}

// runBlock runs one block against its own fresh demo server and returns
// bash's combined output and error.
func runBlock(t *testing.T, bin string, b shBlock) (string, error) {
	t.Helper()
	srv := startDemoProcess(t, bin)
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "redset")); err != nil {
		t.Fatal(err)
	}
	b.text = srv.rewriteAddrs(b.text)
	ctx, cancel := context.WithTimeout(t.Context(), readmeBlockMax)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", readmeScript(b))
	cmd.Dir = dir
	cmd.Env = append(withoutRedsetEnv(os.Environ()),
		"REDSET_SERVER="+srv.base, "REDSET_USER=admin", "REDSET_PASSWORD="+readmePassword)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("the block did not end within %v (the last traced line was running)", readmeBlockMax)
	}
	if err != nil {
		t.Logf("server output:\n%s", srv.log.String())
	}
	return string(out), err
}

// needsClients skips (or, with REDSET_REQUIRE_INTEROP=1, fails) a block
// whose external clients are not installed.
func needsClients(t *testing.T, text string) {
	t.Helper()
	for name, install := range readmeClients {
		if regexp.MustCompile(`(?m)(^|[;&|(]\s*)` + name + `\b`).MatchString(text) {
			requireTool(t, name, install)
		}
	}
}

func requireTool(t *testing.T, name, install string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	msg := fmt.Sprintf("%s is not installed (install it with %s), so this README block is not run", name, install)
	if os.Getenv("REDSET_REQUIRE_INTEROP") == "1" {
		t.Fatal(msg + "; REDSET_REQUIRE_INTEROP=1 makes that a failure")
	}
	t.Skip(msg + "; set REDSET_REQUIRE_INTEROP=1 to make this a failure")
}

func readmeBlocks(t *testing.T) []shBlock {
	t.Helper()
	md, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := shBlocks(string(md))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```sh block: nothing would be checked")
	}
	return blocks
}

// TestReadmeCommands runs every ```sh block of README.md (see the rules at
// the top of this file).
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds redset and runs the README against demo servers; skipped with -short")
	}
	blocks := readmeBlocks(t)
	bin := buildRedset(t)
	for _, b := range blocks {
		t.Run("line "+strconv.Itoa(b.line), func(t *testing.T) {
			needsClients(t, b.text)
			out, err := runBlock(t, bin, b)
			t.Logf("bash output:\n%s", out)
			if err != nil {
				t.Errorf("README.md's block at line %d failed: %v\n%s", b.line, err, lastLines(out, 6))
			}
		})
	}
}

// TestReadmeCatchesABrokenFailover runs the README's wbemcli block with the
// Failover call it used to have (from the spare web-b to web-a, which
// returns 4 on a fresh demo): the check must fail, naming the line.
func TestReadmeCatchesABrokenFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds redset and runs a README block against a demo server; skipped with -short")
	}
	var block shBlock
	for _, b := range readmeBlocks(t) {
		if strings.Contains(b.text, "wbemcli cm") {
			block = b
		}
	}
	if block.text == "" {
		t.Fatal("README.md has no wbemcli Failover call")
	}
	needsClients(t, block.text)
	broken := strings.NewReplacer(`FailoverFrom=$M,Name=\"web-a\",FailoverTo=$M,Name=\"web-b\"`,
		`FailoverFrom=$M,Name=\"web-b\",FailoverTo=$M,Name=\"web-a\"`).Replace(block.text)
	if broken == block.text {
		t.Fatal("the README's Failover call is not web-a -> web-b: update this test")
	}
	bin := buildRedset(t)
	out, err := runBlock(t, bin, shBlock{line: block.line, text: broken})
	if err == nil || !strings.Contains(out, `the output lacks "Failover: 0"`) {
		t.Errorf("the broken Failover call passed the check (%v):\n%s", err, out)
	}
}

// TestReadmeMarkers checks the script the blocks become, with bash alone:
// each marker decides success and failure as documented.
func TestReadmeMarkers(t *testing.T) {
	bash := requireBash(t)
	tests := []struct {
		name, block string
		ok          bool
		says        string
	}{
		{"plain success", "true\necho done", true, ""},
		{"plain failure", "true\nfalse\necho never", false, "README.md:11: exit status 1 (want 0)"},
		{"expected status", "false   # exits 1", true, ""},
		{"wrong status", "(exit 3)   # exits 1", false, "README.md:10: exit status 3, want 1"},
		{"success where a failure is expected", "true  # exits 2", false, "exit status 0, want 2"},
		{"printed", `echo "ReturnValue: 0 Completed"   # a failover: prints "0 Completed"`, true, ""},
		{"not printed", `echo "Failover: 4"   # prints "Failover: 0"`, false, `the output lacks "Failover: 0"`},
		{"printed with status", `echo oops; exit 1   # prints "oops"; exits 1`, true, ""},
		{"endless", "sleep 60   # runs until Ctrl-C", true, ""},
		{"ended too soon", "true   # runs until Ctrl-C", false, "exit status 0, want 124"},
		{"quoted hash is no comment", `x='a # exits 1'; test "$x" = 'a # exits 1'`, true, ""},
		{"variables carry over", "A=1\ntest \"$A\" = 1", true, ""},
		{"continued line", "echo a \\\n  b   # prints \"a b\"", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.block, "Ctrl-C") && testing.Short() {
				t.Skip("waits for the interrupt; skipped with -short")
			}
			cmd := exec.CommandContext(t.Context(), bash, "-c", readmeScript(shBlock{line: 10, text: tt.block}))
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.ok || !strings.Contains(string(out), tt.says) {
				t.Errorf("got %v, want ok %v and %q in the output:\n%s", err, tt.ok, tt.says, out)
			}
		})
	}
}

func requireBash(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	return p
}

// TestReadmeBlocks checks how blocks are found: only ```sh ones, with the
// line of their first command; a ```bash block is an error.
func TestReadmeBlocks(t *testing.T) {
	md := "# x\n\n```sh\necho one\n```\n\n```text\nnot run\n```\n\n```console\n$ not run\n```\n\n```\nplain\n```\n\n```sh\necho two\necho three\n```\n"
	got, err := shBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	want := []shBlock{{line: 4, text: "echo one"}, {line: 20, text: "echo two\necho three"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("blocks = %v, want %v", got, want)
	}
	if _, err := shBlocks("```bash\nls\n```\n"); err == nil {
		t.Error("a ```bash block was accepted")
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
