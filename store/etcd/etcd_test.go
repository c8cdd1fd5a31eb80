package etcd_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redset/redset/store"
	"github.com/redset/redset/store/etcd"
	"github.com/redset/redset/store/etcd/etcdtest"
	"github.com/redset/redset/store/storetest"
)

// prefixes numbers the key prefixes of the stores tests open, so that each
// store starts empty in a shared etcd.
var prefixes atomic.Int64

func freshPrefix() string { return fmt.Sprintf("/test/%d/", prefixes.Add(1)) }

// open opens a store on endpoints under prefix and closes it when the test
// ends.
func open(t testing.TB, endpoints []string, prefix string, tune ...func(*etcd.Options)) *etcd.Store {
	t.Helper()
	opts := etcd.Options{Endpoints: endpoints, Prefix: prefix, DialTimeout: 5 * time.Second}
	for _, f := range tune {
		f(&opts)
	}
	s, err := etcd.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open(%v) error = %v", endpoints, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func opener(c *etcdtest.Cluster) func(t *testing.T) store.Store {
	return func(t *testing.T) store.Store { return open(t, c.Endpoints(), freshPrefix()) }
}

// The conformance runs and the slow tests of a stopped member run in
// parallel: much of their time is spent waiting on etcd's timeouts.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, opener(etcdtest.Start(t, 1, etcdtest.Options{})))
}

func TestConformanceThreeMembers(t *testing.T) {
	t.Parallel()
	storetest.Run(t, opener(etcdtest.Start(t, 3, etcdtest.Options{})))
}
