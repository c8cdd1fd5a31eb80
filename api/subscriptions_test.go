package api

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/redset/redset/auth"
)

// listedSubscriptions records the callers it was asked by and answers
// from a fixed table, keeping each user's own.
type listedSubscriptions struct {
	subs    []IndicationSubscription
	callers []string
	deleted []string
}

func (l *listedSubscriptions) List(_ context.Context, caller auth.Identity) ([]IndicationSubscription, error) {
	l.callers = append(l.callers, caller.User)
	var out []IndicationSubscription
	for _, s := range l.subs {
		if caller.Role == auth.Admin || s.Owner == caller.User {
			out = append(out, s)
		}
	}
	return out, nil
}

func (l *listedSubscriptions) Delete(_ context.Context, caller auth.Identity, id string) error {
	for _, s := range l.subs {
		if s.ID == id && (caller.Role == auth.Admin || s.Owner == caller.User) {
			l.deleted = append(l.deleted, id)
			return nil
		}
	}
	return ErrNoSubscription
}

func TestSubscriptionRoutes(t *testing.T) {
	subs := &listedSubscriptions{subs: []IndicationSubscription{
		{ID: "a", Protocol: "cimxml", Owner: "reader", Query: "SELECT * FROM Msvm_FailoverIndication", QueryLanguage: "WQL", DeliveryMode: "ExportIndication", State: "enabled"},
		{ID: "b", Protocol: "wsman", Owner: "operator", Query: "SELECT * FROM CIM_InstModification", QueryLanguage: "WQL", DeliveryMode: "Pull", State: "enabled"},
	}}
	env := newEnv(t, func(o *Options) { o.Subscriptions = subs })
	got, err := env.reader.ListSubscriptions(bg)
	if err != nil || len(got) != 1 || got[0].ID != "a" {
		t.Fatalf("reader's list: %v, %v; want subscription a alone", got, err)
	}
	if all, err := env.admin.ListSubscriptions(bg); err != nil || len(all) != 2 {
		t.Fatalf("admin's list: %v, %v; want both", all, err)
	}
	if want := []string{"reader", "admin"}; len(subs.callers) != 2 || subs.callers[0] != want[0] || subs.callers[1] != want[1] {
		t.Errorf("asked by %v, want %v", subs.callers, want)
	}
	err = env.reader.DeleteSubscription(bg, "b")
	var p *Problem
	if !errors.As(err, &p) || p.Status != http.StatusNotFound {
		t.Errorf("reader deleting another's subscription: %v, want a 404 problem", err)
	}
	if err := env.reader.DeleteSubscription(bg, "a"); err != nil {
		t.Errorf("reader deleting its own: %v", err)
	}
	if len(subs.deleted) != 1 || subs.deleted[0] != "a" {
		t.Errorf("deleted %v, want [a]", subs.deleted)
	}
	if _, err := env.nobody.ListSubscriptions(bg); !errors.As(err, &p) || p.Status != http.StatusUnauthorized {
		t.Errorf("without credentials: %v, want 401", err)
	}
}

func TestSubscriptionRoutesWithoutIndications(t *testing.T) {
	env := newEnv(t)
	_, err := env.admin.ListSubscriptions(bg)
	var p *Problem
	if !errors.As(err, &p) || p.Status != http.StatusServiceUnavailable {
		t.Errorf("got %v, want a 503 problem", err)
	}
}
