package etcd_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/redset/redset/engine"
	"github.com/redset/redset/event"
	"github.com/redset/redset/store/etcd/etcdtest"
)

// TestEngineHistoryBurst: the engine on etcd keeps every record of a burst
// of events larger than one etcd transaction may hold (128 ops).
func TestEngineHistoryBurst(t *testing.T) {
	const members = 400
	c := etcdtest.Start(t, 1, etcdtest.Options{})
	log := &warnings{}
	e, err := engine.New(context.Background(), engine.Options{Store: open(t, c.Endpoints(), freshPrefix()), Logger: slog.New(log)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := range members {
		if _, err := e.PutMember(context.Background(), engine.Member{Name: fmt.Sprintf("m%03d", i), Probe: engine.Probe{Rise: 1, Fall: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range members {
		if err := e.ReportHealth(fmt.Sprintf("m%03d", i), engine.Report{State: engine.HealthOK}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := e.History(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	health := map[string]bool{}
	for _, r := range recs {
		if r.Kind == event.KindHealthChanged {
			health[r.Member] = true
		}
	}
	if len(health) != members {
		t.Errorf("history holds health records of %d members, want %d", len(health), members)
	}
	if n := log.count("event history write failed"); n != 0 {
		t.Errorf("%d history writes failed, want none", n)
	}
}
