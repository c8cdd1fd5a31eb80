package server

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/event"
)

// TestFeedComesBackAfterDrop: a feed that falls behind is dropped by the
// bus, subscribes again with one log line, catches up, and receives what
// is published afterwards.
func TestFeedComesBackAfterDrop(t *testing.T) {
	bus := event.NewBus()
	defer bus.Close()
	var logs syncBuffer
	block := make(chan struct{})
	seen := make(chan uint64, 100)
	caughtUp := make(chan struct{}, 10)
	f := startFeed(bus, feedOptions{name: "test", log: slog.New(slog.NewTextHandler(&logs, nil)), buffer: 1,
		handle: func(r event.Record) {
			if r.Seq == 1 {
				<-block
			}
			seen <- r.Seq
		},
		lagged: func() { caughtUp <- struct{}{} }})
	defer f.close()
	bus.Publish(event.Record{Seq: 1})
	eventually(t, 10*time.Second, "record 1 handled", func() bool { return len(f.current().C()) == 0 })
	for seq := uint64(2); seq <= 5; seq++ {
		bus.Publish(event.Record{Seq: seq}) // 2 fits the buffer, 3 drops the feed
	}
	close(block)
	select {
	case <-caughtUp:
	case <-time.After(10 * time.Second):
		t.Fatal("the dropped feed did not subscribe again")
	}
	bus.Publish(event.Record{Seq: 6})
	for got := uint64(0); got != 6; {
		select {
		case got = <-seen:
		case <-time.After(10 * time.Second):
			t.Fatal("a record published after the drop never arrived")
		}
	}
	if n := strings.Count(logs.String(), "fell behind"); n != 1 {
		t.Errorf("%d log lines about the drop, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "subscriber=test") {
		t.Errorf("the log line does not name the subscriber:\n%s", logs.String())
	}
}
