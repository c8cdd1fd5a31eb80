package bolt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/redset/redset/store"
)

// The crash test re-runs this test binary as a child that commits keys and
// prints each acknowledged key; the parent kills it with SIGKILL at a random
// point and checks that every acknowledged key survived.
const (
	crashChildEnv = "REDSET_BOLT_CRASH_CHILD" // the store path, set in the child
	crashRoundEnv = "REDSET_BOLT_CRASH_ROUND"
	crashRounds   = 10
	crashMaxAcks  = 200
	crashWorkers  = 4
	crashChildMax = 20_000 // keys per worker; bounds a child nobody kills
	ackPrefix     = "ack "
)

func TestCrashRecovery(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(t, path, os.Getenv(crashRoundEnv))
		return
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	path := filepath.Join(t.TempDir(), "crash.db")
	var acked []string
	for round := range crashRounds {
		acks := crashRound(t, path, round, 1+rng.IntN(crashMaxAcks))
		t.Logf("round %d: %d keys acknowledged before the kill", round, len(acks))
		acked = append(acked, acks...)
		checkAcked(t, path, round, acked)
	}
}

// crashRound runs one child, kills it after it has acknowledged kill keys,
// and returns every key it acknowledged (including acks already in the pipe).
func crashRound(t *testing.T, path string, round, kill int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, fmt.Sprintf("%s=%d", crashRoundEnv, round))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks, killed := readAcks(out, kill, cmd.Process)
	werr := cmd.Wait()
	if !killed {
		t.Fatalf("round %d: child ended after %d acks (want %d): %v\n%s", round, len(acks), kill, werr, stderr.String())
	}
	return acks
}

// readAcks reads acknowledged keys, kills p after the kill-th one, and
// keeps reading until the pipe closes.
func readAcks(out io.Reader, kill int, p *os.Process) (acks []string, killed bool) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		key, ok := strings.CutPrefix(sc.Text(), ackPrefix)
		if !ok {
			continue
		}
		acks = append(acks, key)
		if len(acks) == kill {
			killed = p.Kill() == nil
		}
	}
	return acks, killed
}

// checkAcked reopens the file and checks every acknowledged key is there,
// the file is consistent, and the store still takes writes.
func checkAcked(t *testing.T, path string, round int, acked []string) {
	t.Helper()
	s := mustOpen(t, path, Options{})
	defer s.Close()
	ctx := context.Background()
	kvs, rev, err := s.List(ctx, "")
	if err != nil {
		t.Fatalf("List() after crash error = %v", err)
	}
	present := make(map[string]bool, len(kvs))
	for _, kv := range kvs {
		present[kv.Key] = true
	}
	for _, key := range acked {
		if !present[key] {
			t.Fatalf("acknowledged key %q lost in the crash (%d keys, revision %d)", key, len(kvs), rev)
		}
	}
	if rev != int64(len(kvs)) {
		t.Errorf("revision = %d, want %d (one create per revision)", rev, len(kvs))
	}
	checkConsistent(t, s)
	mustCommit(t, s, put(fmt.Sprintf("check/%d", round), "v"))
}

func checkConsistent(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatalf("bbolt consistency check: %v", err)
	}
}

// crashChild commits create-only keys from several goroutines, printing
// each acknowledged key, until killed.
func crashChild(t *testing.T, path, round string) {
	s := mustOpen(t, path, Options{})
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for w := range crashWorkers {
		wg.Go(func() {
			for i := range crashChildMax {
				key := fmt.Sprintf("r%s/w%d/%06d", round, w, i)
				txn := store.Txn{Compares: []store.Compare{{Key: key}}, Ops: []store.Op{put(key, "v")}}
				if _, err := s.Commit(context.Background(), txn); err != nil {
					t.Errorf("Commit(%s) error = %v", key, err)
					return
				}
				mu.Lock()
				fmt.Fprintln(os.Stdout, ackPrefix+key)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s.Close()
}
