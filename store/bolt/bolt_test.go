package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.etcd.io/bbolt"

	"github.com/redset/redset/store"
	"github.com/redset/redset/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, Options{NoSync: true, WatchBuffer: 256})
	})
}

// openTest opens a store in a fresh directory and closes it at the end.
func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "store.db"), opts)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustOpen(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s) error = %v", path, err)
	}
	return s
}

func mustCommit(t testing.TB, s *Store, ops ...store.Op) int64 {
	t.Helper()
	rev, err := s.Commit(context.Background(), store.Txn{Ops: ops})
	if err != nil {
		t.Fatalf("Commit() error = %v", err)
	}
	return rev
}

func put(key, value string) store.Op { return store.Op{Key: key, Value: []byte(value)} }

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := mustOpen(t, path, Options{})
	for i := range 10 {
		mustCommit(t, s, put(fmt.Sprintf("k/%02d", i), fmt.Sprint(i)), put("last", fmt.Sprint(i)))
	}
	mustCommit(t, s, store.Op{Key: "k/05", Delete: true})
	wantKVs, wantRev, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatalf("List() error = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close() error = %v", err)
	}

	s = mustOpen(t, path, Options{})
	defer s.Close()
	gotKVs, gotRev, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatalf("List() after reopen error = %v", err)
	}
	if diff := cmp.Diff(wantKVs, gotKVs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("List() after reopen mismatch (-want +got):\n%s", diff)
	}
	if gotRev != wantRev || wantRev != 11 {
		t.Errorf("revision after reopen = %d, before = %d, want 11", gotRev, wantRev)
	}
	if rev := mustCommit(t, s, put("next", "v")); rev != wantRev+1 {
		t.Errorf("first commit after reopen revision = %d, want %d", rev, wantRev+1)
	}
}

func TestOpenLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s := mustOpen(t, path, Options{})
	defer s.Close()
	second, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("second Open() error = %v, want ErrLocked", err)
	}
}

func TestOpenBadFile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  error
	}{
		{"not a bbolt file", writeFile(make([]byte, 64<<10)), nil},
		{"text file", writeFile([]byte("hello, this is not a database\n")), nil},
		{"bad revision", boltFile(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucket(bucketMeta)
			if err != nil {
				return err
			}
			return b.Put(keyRev, []byte("x"))
		}), ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "store.db")
			tc.setup(t, path)
			s, err := Open(path, Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open() error = nil, want an error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Open() error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCorruptValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	boltFile(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketKV)
		if err != nil {
			return err
		}
		return b.Put([]byte("short"), []byte("abc"))
	})(t, path)
	s := mustOpen(t, path, Options{})
	defer s.Close()
	if _, err := s.Get(context.Background(), "short"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get() of a corrupt value error = %v, want ErrCorrupt", err)
	}
	if _, _, err := s.List(context.Background(), ""); !errors.Is(err, ErrCorrupt) {
		t.Errorf("List() over a corrupt value error = %v, want ErrCorrupt", err)
	}
	txn := store.Txn{Compares: []store.Compare{{Key: "short"}}, Ops: []store.Op{put("other", "v")}}
	if _, err := s.Commit(context.Background(), txn); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Commit() comparing a corrupt value error = %v, want ErrCorrupt", err)
	}
}

func writeFile(data []byte) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// boltFile makes a raw bbolt file shaped by fn.
func boltFile(fn func(tx *bbolt.Tx) error) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		db, err := bbolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInvalidTxnErrors(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	tests := []struct {
		name string
		txn  store.Txn
	}{
		{"empty key", store.Txn{Ops: []store.Op{put("", "v")}}},
		{"key too long", store.Txn{Ops: []store.Op{put(string(make([]byte, bbolt.MaxKeySize+1)), "v")}}},
		{"duplicate key", store.Txn{Ops: []store.Op{put("a", "1"), {Key: "a", Delete: true}}}},
		{"negative compare", store.Txn{Compares: []store.Compare{{Key: "a", ModRevision: -5}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.Commit(context.Background(), tc.txn); !errors.Is(err, ErrInvalidTxn) {
				t.Errorf("Commit() error = %v, want ErrInvalidTxn", err)
			}
		})
	}
}
