package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/event"
)

// The crash test runs an engine in a child process (this test binary, run
// with crashChildEnv set) that fails over back and forth in many sets and
// prints every acknowledged failover. The parent kills it with SIGKILL at
// a random moment, reopens the store and checks that nothing acknowledged
// was lost and that every set is consistent.

const (
	crashChildEnv = "REDSET_ENGINE_CRASH_CHILD"
	crashSets     = 16
	crashRounds   = 20
)

func crashSetID(i int) string { return fmt.Sprintf("redset:crash%02d", i) }

func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("runs only as the child process of TestCrashRecovery")
	}
	st := openBolt(t, path, false) // fsync on: acknowledged means durable
	e, err := New(context.Background(), Options{Store: st, HistoryLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crashSets {
		for _, m := range []string{"a", "b"} {
			if err := e.ReportHealth(fmt.Sprintf("%s%02d", m, i), Report{State: HealthOK}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range crashSets {
		wg.Go(func() { crashFlipForever(e, crashSetID(i), &mu) })
	}
	wg.Wait() // never returns: the parent kills the process
}

// crashFlipForever fails the set over to its other member, again and again,
// printing each acknowledged failover as "ACK set seq from to".
func crashFlipForever(e *Engine, id string, mu *sync.Mutex) {
	for {
		v, err := e.GetSet(id)
		if err != nil {
			return
		}
		from, to := v.Members[0].Name, v.Members[1].Name
		if v.Members[1].Role.Kind == RoleInService {
			from, to = to, from
		}
		res := e.Failover(context.Background(), id, from, to)
		if res.Code != 0 {
			continue
		}
		mu.Lock()
		fmt.Fprintf(os.Stdout, "ACK %s %d %s %s\n", id, res.Seq, from, to)
		mu.Unlock()
	}
}

type ack struct {
	set, from, to string
	seq           uint64
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("inside the child")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	crashSetup(t, path)
	all := map[uint64]ack{}
	for round := range crashRounds {
		acks := crashRound(t, path, 1+rand.IntN(150))
		for _, a := range acks {
			all[a.seq] = a
		}
		crashVerify(t, path, all, acks)
		if t.Failed() {
			t.Fatalf("round %d failed", round)
		}
	}
	t.Logf("%d acknowledged failovers over %d crashes, none lost", len(all), crashRounds)
}

func crashSetup(t *testing.T, path string) {
	st := openBolt(t, path, true)
	defer st.Close()
	e, err := New(context.Background(), Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	for i := range crashSets {
		s := sparingSet(crashSetID(i), 1)
		s.Policy.DisableAutoFailover = true
		must(t, first(e.CreateSet(ctx, s)))
		a, b := fmt.Sprintf("a%02d", i), fmt.Sprintf("b%02d", i)
		must(t, first(e.PutMember(ctx, Member{Name: a, Probe: Probe{Rise: 1, Fall: 1}})))
		must(t, first(e.PutMember(ctx, Member{Name: b, Probe: Probe{Rise: 1, Fall: 1}})))
		must(t, first(e.AddToSet(ctx, s.InstanceID, a, inService)))
		must(t, first(e.AddToSet(ctx, s.InstanceID, b, spare(SpareHot, FailoverBoth, 0))))
	}
}

func first[V any](_ V, err error) error { return err }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// crashRound starts the child, kills it after at least n acknowledgements
// and returns every acknowledgement it printed.
func crashRound(t *testing.T, path string, n int) []ack {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go readLines(out, lines)
	var acks []ack
	deadline := time.After(60 * time.Second)
	for len(acks) < n {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("child exited early: %v", cmd.Wait())
			}
			acks = appendAck(acks, line)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("child printed %d acknowledgements in 60s, want %d", len(acks), n)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for line := range lines { // what it printed before dying was acknowledged too
		acks = appendAck(acks, line)
	}
	cmd.Wait()
	return acks
}

func readLines(r io.Reader, lines chan<- string) {
	defer close(lines)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines <- sc.Text()
	}
}

func appendAck(acks []ack, line string) []ack {
	var a ack
	if _, err := fmt.Sscanf(line, "ACK %s %d %s %s", &a.set, &a.seq, &a.from, &a.to); err != nil {
		return acks // a partial last line or test runner output
	}
	return append(acks, a)
}

// crashVerify reopens the store: every acknowledged failover is in the
// history; each set has exactly one member in service, the target of its
// last stored failover, which is the last acknowledged one or a later one;
// and the stored failovers of each set alternate.
func crashVerify(t *testing.T, path string, all map[uint64]ack, round []ack) {
	st := openBolt(t, path, true)
	defer st.Close()
	e, err := New(context.Background(), Options{Store: st, HistoryLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	hist, err := e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[uint64]event.Record{}
	perSet := map[string][]event.Record{}
	for _, r := range hist {
		if r.Kind == event.KindFailoverSucceeded {
			stored[r.Seq] = r
			perSet[r.SetID] = append(perSet[r.SetID], r)
		}
	}
	for seq, a := range all {
		r, ok := stored[seq]
		if !ok || r.SetID != a.set || r.Failover.To != a.to {
			t.Errorf("acknowledged failover %+v missing or different in history: %+v", a, r.Failover)
		}
	}
	lastAck := map[string]uint64{}
	for _, a := range round {
		lastAck[a.set] = max(lastAck[a.set], a.seq)
	}
	for i := range crashSets {
		crashVerifySet(t, e, crashSetID(i), perSet[crashSetID(i)], lastAck[crashSetID(i)])
	}
}

func crashVerifySet(t *testing.T, e *Engine, id string, recs []event.Record, lastAck uint64) {
	v, err := e.GetSet(id)
	if err != nil {
		t.Fatal(err)
	}
	var active []string
	for _, m := range v.Members {
		if m.Role.Kind == RoleInService {
			active = append(active, m.Name)
		}
	}
	if len(active) != 1 {
		t.Fatalf("%s has in service %v, want exactly one", id, active)
	}
	if len(recs) == 0 {
		return
	}
	last := recs[len(recs)-1]
	if last.Failover.To != active[0] || last.Seq < lastAck {
		t.Errorf("%s: in service %s, last stored failover #%d to %s, last acknowledged #%d",
			id, active[0], last.Seq, last.Failover.To, lastAck)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Failover.From != recs[i-1].Failover.To {
			t.Errorf("%s: failover #%d from %s does not follow #%d to %s", id, recs[i].Seq,
				recs[i].Failover.From, recs[i-1].Seq, recs[i-1].Failover.To)
		}
	}
	// a started in service, so an even number of failovers leaves a there.
	if wantA := len(recs)%2 == 0; strings.HasPrefix(active[0], "a") != wantA {
		t.Errorf("%s: %d stored failovers, but %s is in service", id, len(recs), active[0])
	}
}
