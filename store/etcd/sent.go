package etcd

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"github.com/redset/redset/internal/pause"
	"github.com/redset/redset/store"
)

// A commit whose request may have reached etcd but got no answer has an
// unknown outcome: etcd may apply it later (when its quorum returns, say).
// To tell that case from one where the request provably never left this
// process, each commit marks its context, and sentTracker, a gRPC stats
// handler, records when the request's message was handed to a connection.
// Before that nothing can have reached etcd.

// callCommit is call for a transaction. When the request was handed to a
// connection and etcd did not answer it, or failed it otherwise than by
// refusing it, the error matches store.ErrOutcomeUnknown: the transaction
// may or may not have been applied. When the request provably did not
// reach etcd (no connection took it before the time ran out) or etcd
// refused it, the error is the plain one (ErrUnavailable when the time ran
// out or no leader was known).
//
// The request requires a leader: a member that knows none (an election is
// under way, or its quorum is lost) refuses it instead of holding it, and
// it is asked again, every noLeaderPause, until the request timeout.
func (s *Store) callCommit(ctx context.Context, f func(context.Context) error) error {
	ctx, sent := watchSent(clientv3.WithRequireLeader(ctx))
	var raw error
	err := s.call(ctx, "commit", func(ctx context.Context) error {
		for {
			sent.Store(false)
			raw = f(ctx)
			if !noLeader(raw) || !pause.Sleep(ctx, noLeaderPause) {
				return raw
			}
		}
	})
	if err == nil || !sent.Load() || raw == nil || refused(raw) || tooLarge(raw) {
		return err
	}
	return fmt.Errorf("%w (%w)", store.ErrOutcomeUnknown, err)
}

// noLeaderPause is how long a commit refused for want of a leader waits
// before it is sent again.
const noLeaderPause = 50 * time.Millisecond

// sentKey marks a context whose request is watched.
type sentKey struct{}

// watchSent returns ctx marked so that sent reports whether a request made
// with it was handed to a connection.
func watchSent(ctx context.Context) (context.Context, *atomic.Bool) {
	flag := new(atomic.Bool)
	return context.WithValue(ctx, sentKey{}, flag), flag
}

// sentTracker sets the mark of a watched request once its message was
// written to a connection (on any attempt).
type sentTracker struct{}

func (sentTracker) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (sentTracker) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.OutPayload); !ok {
		return
	}
	if flag, ok := ctx.Value(sentKey{}).(*atomic.Bool); ok {
		flag.Store(true)
	}
}

func (sentTracker) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (sentTracker) HandleConn(context.Context, stats.ConnStats) {}

// refused reports whether etcd answered err after deciding not to apply
// the request: it refused it (too large, not permitted, malformed, rate
// limited) or never proposed it (its member knows no leader, or dropped
// the proposal). Any other failure of a sent request leaves its outcome
// unknown.
func refused(err error) bool {
	switch codeOf(err) {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.PermissionDenied, codes.Unauthenticated,
		codes.NotFound, codes.AlreadyExists, codes.OutOfRange, codes.Unimplemented, codes.ResourceExhausted:
		return true
	}
	// raft drops a proposal at once when its member knows no leader; etcd
	// passes that on with its text only.
	return noLeader(err) || rpctypes.ErrorDesc(err) == "raft proposal dropped"
}

// noLeader: the member refused the request because it knows no leader;
// nothing was proposed.
func noLeader(err error) bool {
	return err != nil && rpctypes.ErrorDesc(err) == rpctypes.ErrorDesc(rpctypes.ErrGRPCNoLeader)
}

// codeOf is the gRPC code of err, also when the etcd client turned it
// into one of its own errors.
func codeOf(err error) codes.Code {
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		return ee.Code()
	}
	return status.Code(err)
}
