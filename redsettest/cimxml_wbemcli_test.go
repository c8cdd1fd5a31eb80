package redsettest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/redsettest"
)

// The demo's sets (SPEC.md, "Running redset").
const (
	demoWeb = "redset:demo-web" // Sparing: web-a in service, web-b hot spare (Both)
	demoDB  = "redset:demo-db"  // N+1: db-1, db-2, db-3
	demoLB  = "redset:demo-lb"  // Load Balanced: lb-1 .. lb-4
)

// wbemcli runs Debian's sblim wbemcli against a server.
type wbemcli struct {
	bin  string
	base string // http://admin:PASS@HOST:PORT/root/hypervcluster/v2
}

// wbemResult is what one wbemcli run printed.
type wbemResult struct {
	out, errOut string
	exit        int
}

func (w *wbemcli) run(t *testing.T, args ...string) wbemResult {
	t.Helper()
	res, err := w.exec(args...)
	if err != nil {
		t.Fatalf("running wbemcli %v: %v", args, err)
	}
	return res
}

// exec runs wbemcli; the error says it could not run (or was killed after
// its time limit), not that it exited non-zero.
func (w *wbemcli) exec(args ...string) (wbemResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Env = withoutProxy(os.Environ())
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := wbemResult{out: out.String(), errOut: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		res.exit, err = ee.ExitCode(), nil
	}
	return res, err
}

// ok runs wbemcli and fails the test unless it exits 0 without errors.
func (w *wbemcli) ok(t *testing.T, args ...string) string {
	t.Helper()
	res := w.run(t, args...)
	if res.exit != 0 || strings.Contains(res.errOut, "wbemcli:") {
		t.Fatalf("wbemcli %s: exit %d\nstdout:\n%s\nstderr:\n%s", args[0], res.exit, res.out, res.errOut)
	}
	return res.out
}

// refused runs wbemcli and wants it refused with a CIM error naming
// status.
func (w *wbemcli) refused(t *testing.T, status string, args ...string) {
	t.Helper()
	res := w.run(t, args...)
	if res.exit == 0 || !strings.Contains(res.errOut, status) {
		t.Fatalf("wbemcli %s: exit %d, stderr:\n%s\nwant a non-zero exit and %s", args[0], res.exit, res.errOut, status)
	}
}

// path is an object path wbemcli accepts: base:Class.keys.
func (w *wbemcli) path(objectPath string) string { return w.base + ":" + objectPath }

func setPath(id string) string { return classSet + `.InstanceID="` + id + `"` }

func memberPath(name string) string {
	return classSystem + `.CreationClassName="` + classSystem + `",Name="` + name + `"`
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

// wbemInstance is one line of wbemcli's ei/gi/ai output:
// HOST/NAMESPACE:Class.keys Prop=value,Prop=value,...
type wbemInstance struct {
	path  string
	props map[string]string // string values unquoted; arrays as wbemcli writes them
}

// parseInstances reads wbemcli's instance lines.
func parseInstances(t *testing.T, out string) []wbemInstance {
	t.Helper()
	var insts []wbemInstance
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := splitUnquoted(line, ' ')
		if len(fields) != 2 {
			t.Fatalf("cannot read wbemcli's line %q", line)
		}
		in := wbemInstance{path: fields[0], props: map[string]string{}}
		for _, kv := range splitUnquoted(fields[1], ',') {
			name, val, _ := strings.Cut(kv, "=")
			in.props[name] = strings.Trim(val, `"`)
		}
		insts = append(insts, in)
	}
	return insts
}

// splitUnquoted splits s at sep outside double quotes.
func splitUnquoted(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// pathLines returns wbemcli's output lines without HOST/NAMESPACE: (the
// object path after the namespace).
func pathLines(out string) []string {
	var paths []string
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		path, _, _ := strings.Cut(line, " ")
		_, rel, _ := strings.Cut(path, cimNamespace+":")
		paths = append(paths, rel)
	}
	return paths
}

// TestCIMXMLWbemcli drives a running server with Debian's wbemcli, as an
// operator would, and checks every answer against the demo's model and
// the engine: ei, ein, gi, gc, mi (a writable and a read-only property),
// cm Failover (success, Busy, Parameter Error), ai/ain, ri/rin.
func TestCIMXMLWbemcli(t *testing.T) {
	bin := redsettest.RequireTool(t, "wbemcli", "apt-get install -y sblim-wbemcli")
	srv := redsettest.Start(t, redsettest.Options{Demo: true})
	eng := srv.Engine()
	waitAllOK(t, eng, demoWeb, demoDB, demoLB)
	host := strings.TrimPrefix(srv.URL, "http://")
	w := &wbemcli{bin: bin, base: "http://admin:" + redsettest.AdminPassword + "@" + host + "/" + cimNamespace}

	t.Run("ei", func(t *testing.T) { testWbemEnumerate(t, w, eng) })
	t.Run("ein", func(t *testing.T) { testWbemEnumerateNames(t, w) })
	t.Run("gi", func(t *testing.T) { testWbemGetInstance(t, w, eng) })
	t.Run("gc", func(t *testing.T) { testWbemGetClass(t, w) })
	t.Run("ai and ain", func(t *testing.T) { testWbemAssociators(t, w) })
	t.Run("ri and rin", func(t *testing.T) { testWbemReferences(t, w) })
	t.Run("mi", func(t *testing.T) { testWbemModify(t, w, eng) })
	t.Run("cm Failover", func(t *testing.T) { testWbemFailover(t, w, eng) })
	t.Run("credentials", func(t *testing.T) {
		bad := strings.Replace(w.base, ":"+redsettest.AdminPassword+"@", ":wrong@", 1)
		res := w.run(t, "ei", bad+":"+classSet)
		if res.exit == 0 || !strings.Contains(res.errOut, "Invalid username/password") || res.out != "" {
			t.Errorf("wrong password: exit %d, stdout %q, stderr %q; want refused with no output", res.exit, res.out, res.errOut)
		}
	})
}

// demoSetFacts are the demo's sets as SPEC.md describes them, every member
// OK.
var demoSetFacts = map[string]map[string]string{
	demoWeb: {"TypeOfSet": "4", "MinNumberNeeded": "1", "LoadBalanceAlgorithm": "2", "RedundancyStatus": "2", "MaxNumberSupported": "0"},
	demoDB:  {"TypeOfSet": "2", "MinNumberNeeded": "2", "LoadBalanceAlgorithm": "2", "RedundancyStatus": "2", "MaxNumberSupported": "0"},
	demoLB:  {"TypeOfSet": "3", "MinNumberNeeded": "2", "LoadBalanceAlgorithm": "3", "RedundancyStatus": "2", "MaxNumberSupported": "0"},
}

func testWbemEnumerate(t *testing.T, w *wbemcli, eng *engine.Engine) {
	insts := parseInstances(t, w.ok(t, "ei", w.path(classSet)))
	var ids []string
	for _, in := range insts {
		id := in.props["InstanceID"]
		ids = append(ids, id)
		if want := setPath(id); !strings.HasSuffix(in.path, ":"+want) {
			t.Errorf("path %s does not name %s", in.path, want)
		}
		checkProps(t, id, in.props, demoSetFacts[id])
		checkAgainstEngine(t, eng, in.props)
	}
	if diff := cmp.Diff([]string{demoDB, demoLB, demoWeb}, ids); diff != "" {
		t.Errorf("enumerated sets (-want +got):\n%s", diff)
	}
	if n := len(parseInstances(t, w.ok(t, "ei", w.path(classSystem)))); n != 9 {
		t.Errorf("ei %s: %d members, want the demo's 9", classSystem, n)
	}
}

// checkProps compares the named properties only.
func checkProps(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	sub := map[string]string{}
	for k := range want {
		sub[k] = got[k]
	}
	if diff := cmp.Diff(want, sub); diff != "" {
		t.Errorf("%s properties (-want +got):\n%s", what, diff)
	}
}

// checkAgainstEngine compares a set's text properties with the engine's.
func checkAgainstEngine(t *testing.T, eng *engine.Engine, props map[string]string) {
	t.Helper()
	v, err := eng.GetSet(props["InstanceID"])
	if err != nil {
		t.Fatalf("GetSet(%s): %v", props["InstanceID"], err)
	}
	want := map[string]string{"Caption": v.Caption, "ElementName": v.ElementName, "Description": v.Description}
	checkProps(t, v.InstanceID+" (engine)", props, want)
}

func testWbemEnumerateNames(t *testing.T, w *wbemcli) {
	got := pathLines(w.ok(t, "ein", w.path(classSet)))
	want := []string{setPath(demoDB), setPath(demoLB), setPath(demoWeb)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ein %s (-want +got):\n%s", classSet, diff)
	}
	got = pathLines(w.ok(t, "ein", w.path(classSystem)))
	var members []string
	for _, n := range []string{"db-1", "db-2", "db-3", "lb-1", "lb-2", "lb-3", "lb-4", "web-a", "web-b"} {
		members = append(members, memberPath(n))
	}
	if diff := cmp.Diff(members, got); diff != "" {
		t.Errorf("ein %s (-want +got):\n%s", classSystem, diff)
	}
}

func testWbemGetInstance(t *testing.T, w *wbemcli, eng *engine.Engine) {
	t.Run("set", func(t *testing.T) {
		insts := parseInstances(t, w.ok(t, "gi", w.path(setPath(demoWeb))))
		if len(insts) != 1 || insts[0].props["InstanceID"] != demoWeb {
			t.Fatalf("gi %s: got %+v, want that one set", demoWeb, insts)
		}
		checkProps(t, demoWeb, insts[0].props, demoSetFacts[demoWeb])
		checkAgainstEngine(t, eng, insts[0].props)
	})
	t.Run("members", func(t *testing.T) {
		// An in-service member is 2 Enabled, a spare 6 Enabled but Offline.
		for name, enabled := range map[string]string{"web-a": "2", "web-b": "6", "db-1": "2"} {
			insts := parseInstances(t, w.ok(t, "gi", w.path(memberPath(name))))
			if len(insts) != 1 {
				t.Fatalf("gi %s: %d instances", name, len(insts))
			}
			checkProps(t, name, insts[0].props, map[string]string{"Name": name, "CreationClassName": classSystem,
				"HealthState": "5", "OperationalStatus": "2", "EnabledState": enabled})
		}
	})
	t.Run("missing", func(t *testing.T) {
		w.refused(t, "CIM_ERR_NOT_FOUND", "gi", w.path(setPath("redset:no-such-set")))
	})
}

func testWbemGetClass(t *testing.T, w *wbemcli) {
	out := w.ok(t, "gc", w.path(classSet))
	insts := parseInstances(t, out)
	if len(insts) != 1 || !strings.HasSuffix(insts[0].path, ":"+classSet) {
		t.Fatalf("gc %s printed %q", classSet, out)
	}
	var names []string
	for name := range insts[0].props {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"Caption", "Description", "ElementName", "InstanceID", "LoadBalanceAlgorithm", "MaxNumberSupported",
		"MinNumberNeeded", "OtherLoadBalanceAlgorithm", "OtherTypeOfSet", "RedundancyStatus", "TypeOfSet", "VendorIdentifyingInfo"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("gc %s properties (-want +got):\n%s", classSet, diff)
	}
	w.refused(t, "CIM_ERR_NOT_FOUND", "gc", w.path("Msvm_NoSuchClass"))
	w.refused(t, "CIM_ERR_INVALID_CLASS", "ei", w.path("Msvm_NoSuchClass"))
}

// memberNames extracts Name="..." of every Msvm_ComputerSystem path in
// wbemcli's output (as a reference in ri/rin lines, or as the path).
var memberNamePattern = regexp.MustCompile(classSystem + `\.CreationClassName="` + classSystem + `",Name="([^"]+)"`)

func memberNames(lines []string) []string {
	var names []string
	for _, l := range lines {
		if m := memberNamePattern.FindStringSubmatch(l); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

func testWbemAssociators(t *testing.T, w *wbemcli) {
	tests := []struct {
		name, object string
		want         []string // associated objects' paths
		wantClass    string
	}{
		{"members of an N+1 set", setPath(demoDB), []string{memberPath("db-1"), memberPath("db-2"), memberPath("db-3")}, classSystem},
		// The spare web-b is linked by CIM_IsSpare, not MemberOfCollection.
		{"in-service member of a Sparing set", setPath(demoWeb), []string{memberPath("web-a")}, classSystem},
		{"sets of a member", memberPath("lb-2"), []string{setPath(demoLB)}, classSet},
		{"a spare is in no collection", memberPath("web-b"), nil, classSet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names := pathLines(w.ok(t, "ain", "-ac", classMOC, w.path(tc.object)))
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("ain (-want +got):\n%s", diff)
			}
			insts := parseInstances(t, w.ok(t, "ai", "-ac", classMOC, w.path(tc.object)))
			var paths []string
			for _, in := range insts {
				_, rel, _ := strings.Cut(in.path, cimNamespace+":")
				paths = append(paths, rel)
				if tc.wantClass == classSystem {
					checkProps(t, rel, in.props, map[string]string{"HealthState": "5", "EnabledState": "2", "OperationalStatus": "2"})
				}
			}
			if diff := cmp.Diff(tc.want, paths); diff != "" {
				t.Errorf("ai (-want +got):\n%s", diff)
			}
		})
	}
}

func testWbemReferences(t *testing.T, w *wbemcli) {
	tests := []struct {
		name, object string
		wantSet      string
		wantMembers  []string
	}{
		{"links of a set", setPath(demoDB), demoDB, []string{"db-1", "db-2", "db-3"}},
		{"links of a member", memberPath("web-a"), demoWeb, []string{"web-a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			collection := `Collection=` + cimNamespace + ":" + setPath(tc.wantSet)
			names := pathLines(w.ok(t, "rin", "-arc", classMOC, w.path(tc.object)))
			insts := parseInstances(t, w.ok(t, "ri", "-arc", classMOC, w.path(tc.object)))
			var paths []string
			for _, in := range insts {
				_, rel, _ := strings.Cut(in.path, cimNamespace+":")
				paths = append(paths, rel)
			}
			for what, lines := range map[string][]string{"rin": names, "ri": paths} {
				for _, l := range lines {
					if !strings.HasPrefix(l, classMOC+".") || !strings.Contains(l, collection) {
						t.Errorf("%s: %q is not a %s of %s", what, l, classMOC, tc.wantSet)
					}
				}
				if diff := cmp.Diff(tc.wantMembers, memberNames(lines)); diff != "" {
					t.Errorf("%s members (-want +got):\n%s", what, diff)
				}
			}
		})
	}
}

func testWbemModify(t *testing.T, w *wbemcli, eng *engine.Engine) {
	set := w.path(setPath(demoWeb))
	t.Run("LoadBalanceAlgorithm", func(t *testing.T) {
		w.ok(t, "mi", set, "LoadBalanceAlgorithm=5")
		insts := parseInstances(t, w.ok(t, "gi", set))
		if got := insts[0].props["LoadBalanceAlgorithm"]; got != "5" {
			t.Errorf("gi after mi: LoadBalanceAlgorithm = %s, want 5", got)
		}
		if v, _ := eng.GetSet(demoWeb); v.LoadBalanceAlgorithm != engine.LBLeastIO {
			t.Errorf("engine after mi: LoadBalanceAlgorithm = %d, want 5 (Least IO)", v.LoadBalanceAlgorithm)
		}
	})
	refusals := []struct {
		name, assignment string
	}{
		{"read-only ElementName", `ElementName=changed`},
		{"read-only Caption", `Caption=changed`},
		{"read-only MinNumberNeeded", `MinNumberNeeded=0`},
		{"read-only RedundancyStatus", `RedundancyStatus=5`},
		{"LoadBalanceAlgorithm outside its value map", `LoadBalanceAlgorithm=9`},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := eng.GetSet(demoWeb)
			w.refused(t, "CIM_ERR_INVALID_PARAMETER", "mi", set, tc.assignment)
			after, _ := eng.GetSet(demoWeb)
			if after.Revision != before.Revision || !cmp.Equal(after.Set, before.Set) {
				t.Errorf("refused mi %s changed the set (revision %d -> %d):\n%s", tc.assignment,
					before.Revision, after.Revision, cmp.Diff(before.Set, after.Set))
			}
		})
	}
}

// failoverRun calls Failover on demo-web through wbemcli's cm with both
// references; cm prints a line ending in "Failover: <ReturnValue>".
type failoverRun struct {
	w   *wbemcli
	eng *engine.Engine
	set string // the set's path for wbemcli
}

func (f failoverRun) cm(t *testing.T, from, to string) string {
	t.Helper()
	out := f.w.ok(t, "cm", f.set, failoverArgs(from, to))
	rv, ok := failoverReturn(out)
	if !ok {
		t.Fatalf("cm printed %q, want a Failover: <ReturnValue> line", out)
	}
	return rv
}

// failoverArgs is cm's method argument: both references, last on the
// command line as wbemcli wants.
func failoverArgs(from, to string) string {
	return "Failover.FailoverFrom=" + memberPath(from) + ",FailoverTo=" + memberPath(to)
}

// failoverReturn reads the ReturnValue from cm's output line
// "PATH Failover: N".
func failoverReturn(out string) (string, bool) {
	_, rv, ok := strings.Cut(strings.TrimSpace(out), " Failover: ")
	return rv, ok
}

// roles returns the engine's roles of web-a and web-b.
func (f failoverRun) roles(t *testing.T) [2]engine.RoleKind {
	t.Helper()
	return [2]engine.RoleKind{roleOf(t, f.eng, demoWeb, "web-a"), roleOf(t, f.eng, demoWeb, "web-b")}
}

var (
	demoRoles    = [2]engine.RoleKind{engine.RoleInService, engine.RoleSpare} // web-a, web-b
	swappedRoles = [2]engine.RoleKind{engine.RoleSpare, engine.RoleInService}
)

// testWbemFailover checks Parameter Error, Busy and success, each
// against the engine's roles.
func testWbemFailover(t *testing.T, w *wbemcli, eng *engine.Engine) {
	f := failoverRun{w: w, eng: eng, set: w.path(setPath(demoWeb))}
	t.Run("parameter errors", func(t *testing.T) { testFailoverRefusals(t, f) })
	t.Run("busy", func(t *testing.T) {
		release := holdSet(t, eng, demoWeb)
		got := f.cm(t, "web-a", "web-b")
		release()
		if got != "3" {
			t.Errorf("Failover while the set is being changed = %s, want 3 (Busy)", got)
		}
		if got := f.roles(t); got != demoRoles {
			t.Errorf("roles after Busy = %v, want %v", got, demoRoles)
		}
	})
	t.Run("success", func(t *testing.T) { testFailoverSuccess(t, f) })
}

func testFailoverRefusals(t *testing.T, f failoverRun) {
	tests := []struct {
		name, from, to string
	}{
		{"unknown member", "web-a", "no-such-member"},
		{"from and to the same", "web-a", "web-a"},
		{"from a spare", "web-b", "web-a"},
		{"member of another set", "web-a", "db-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.cm(t, tc.from, tc.to); got != "4" {
				t.Errorf("Failover(%s, %s) = %s, want 4 (Parameter Error)", tc.from, tc.to, got)
			}
			if got := f.roles(t); got != demoRoles {
				t.Errorf("roles after a refused failover = %v, want %v", got, demoRoles)
			}
		})
	}
}

// testFailoverSuccess fails over to the spare and back: ReturnValue 0,
// the roles swapped in the engine and in the association.
func testFailoverSuccess(t *testing.T, f failoverRun) {
	if got := f.cm(t, "web-a", "web-b"); got != "0" {
		t.Fatalf("Failover(web-a, web-b) = %s, want 0", got)
	}
	if got := f.roles(t); got != swappedRoles {
		t.Errorf("roles after Failover = %v, want web-a spare and web-b in service", got)
	}
	if got := pathLines(f.w.ok(t, "ain", "-ac", classMOC, f.set)); !slices.Equal(got, []string{memberPath("web-b")}) {
		t.Errorf("ain after Failover = %v, want web-b alone in the collection", got)
	}
	if got := f.cm(t, "web-b", "web-a"); got != "0" {
		t.Fatalf("Failover back (web-b, web-a) = %s, want 0", got)
	}
	if got := f.roles(t); got != demoRoles {
		t.Errorf("roles after failing back = %v, want %v", got, demoRoles)
	}
}

// holdSet keeps a change of set id under way until the returned function
// is called: UpdateSet holds the set while its change function runs, so
// a Failover meanwhile finds the set busy.
func holdSet(t *testing.T, eng *engine.Engine, id string) (release func()) {
	t.Helper()
	entered, done, finished := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := eng.UpdateSet(context.Background(), id, func(*engine.Set) error {
			close(entered)
			<-done
			return nil
		})
		finished <- err
	}()
	select {
	case <-entered:
	case err := <-finished:
		t.Fatalf("UpdateSet(%s) did not hold the set: %v", id, err)
	}
	release = sync.OnceFunc(func() {
		close(done)
		if err := <-finished; err != nil {
			t.Errorf("UpdateSet(%s): %v", id, err)
		}
	})
	t.Cleanup(release) // also when the test stops early
	return release
}
