// Package pause waits for a while unless a context ends first: the retry
// and back-off loops of the engine, the cluster node and the etcd store
// wait through it.
package pause

import (
	"context"
	"time"
)

// Sleep waits d and reports true, or reports false as soon as ctx ends.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
