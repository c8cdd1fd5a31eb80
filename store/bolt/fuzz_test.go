package bolt

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/redset/redset/store"
)

// FuzzDecodeKV: any stored bytes decode to a value or ErrCorrupt, never a
// panic, and a decoded value encodes back to the same bytes.
func FuzzDecodeKV(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("short"))
	f.Add(encodeValue(7, []byte("value")))
	f.Add(encodeValue(-1, nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		kv, err := decodeKV("k", raw)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeKV error = %v, want ErrCorrupt", err)
			}
			return
		}
		if got := encodeValue(kv.ModRevision, kv.Value); !bytes.Equal(got, raw) {
			t.Fatalf("encodeValue(decodeKV(%x)) = %x", raw, got)
		}
	})
}

// FuzzCommitKey: any key and value either commit and read back exactly,
// or are refused with ErrInvalidTxn and change nothing.
func FuzzCommitKey(f *testing.F) {
	f.Add("k", []byte("v"))
	f.Add("", []byte("v"))
	f.Add("\x00\xff/é", []byte{})
	f.Add("a/b/c", []byte{0, 0, 0})
	s := openTest(f, Options{NoSync: true})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, key string, value []byte) {
		before, err := s.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rev, err := s.Commit(ctx, store.Txn{Ops: []store.Op{{Key: key, Value: value}}})
		if err != nil {
			if !errors.Is(err, ErrInvalidTxn) {
				t.Fatalf("Commit(%q) error = %v, want nil or ErrInvalidTxn", key, err)
			}
			if after, _ := s.Revision(ctx); after != before {
				t.Fatalf("refused Commit changed the revision from %d to %d", before, after)
			}
			return
		}
		kv, err := s.Get(ctx, key)
		if err != nil || kv.ModRevision != rev || !bytes.Equal(kv.Value, value) {
			t.Fatalf("Get(%q) = %+v, %v; want value %x at revision %d", key, kv, err, value, rev)
		}
	})
}
