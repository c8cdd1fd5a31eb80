package etcd

import (
	"context"
	"errors"
	"strings"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/redset/redset/store"
)

// listAttempts bounds how often List starts over when the revision it
// was reading at is compacted between two pages.
const listAttempts = 3

// List returns every key with the given prefix in key order, and the
// revision the listing reflects. It reads in pages of Options.PageSize keys,
// every page at the revision of the first, so the listing is one snapshot
// however long it is.
func (s *Store) List(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	var err error
	for range listAttempts {
		var kvs []store.KV
		var rev int64
		if kvs, rev, err = s.listOnce(ctx, prefix); !errors.Is(err, rpctypes.ErrCompacted) {
			return kvs, rev, err
		}
	}
	return nil, 0, err
}

func (s *Store) listOnce(ctx context.Context, prefix string) ([]store.KV, int64, error) {
	from := s.key(prefix)
	end := clientv3.GetPrefixRangeEnd(from)
	var kvs []store.KV
	var rev int64
	for {
		resp, err := s.page(ctx, from, end, rev)
		if err != nil {
			return nil, 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
			s.observe(rev)
		}
		for _, kv := range resp.Kvs {
			kvs = append(kvs, store.KV{Key: strings.TrimPrefix(string(kv.Key), s.prefix), Value: kv.Value, ModRevision: kv.ModRevision})
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return kvs, rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// page reads up to PageSize keys of [from, end), at rev unless it is 0.
func (s *Store) page(ctx context.Context, from, end string, rev int64) (*clientv3.GetResponse, error) {
	opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(int64(s.opts.PageSize))}
	if rev != 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	var resp *clientv3.GetResponse
	err := s.call(ctx, "list", func(ctx context.Context) (err error) {
		resp, err = s.cli.Get(ctx, from, opts...)
		return err
	})
	return resp, err
}
