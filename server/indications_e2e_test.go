package server

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/indication"
)

// subscribeCIMXML makes a filter, a CIM-XML destination posting to url
// and the subscription joining them, all named name, through the
// registry as the CIM providers do, and returns the subscription.
func subscribeCIMXML(t *testing.T, s *Server, name, query, url string) indication.SubscriptionRecord {
	t.Helper()
	ctx, c := context.Background(), indication.Caller{User: "admin", Admin: true}
	keys := func(class string) indication.Keys {
		return indication.Keys{SystemCreationClassName: "CIM_ComputerSystem", SystemName: "test", CreationClassName: class, Name: name}
	}
	if err := s.Registry().AddFilter(ctx, c, indication.FilterRecord{Keys: keys(indication.ClassFilter), Query: query, QueryLanguage: "WQL"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Registry().AddDestination(ctx, c, indication.DestinationRecord{Keys: keys(indication.ClassDestinationXML), Destination: url, Protocol: 2}); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Registry().AddSubscription(ctx, c, indication.SubscriptionRecord{Filter: keys(indication.ClassFilter), Handler: keys(indication.ClassDestinationXML)})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// setState enables or disables a subscription as a client's ModifyInstance
// does.
func setState(t *testing.T, s *Server, sub indication.SubscriptionRecord, state uint16) {
	t.Helper()
	err := s.Registry().ModifySubscription(context.Background(), indication.Caller{Admin: true}, sub.Filter, sub.Handler,
		func(r *indication.SubscriptionRecord) error { r.State = state; return nil })
	if err != nil {
		t.Fatal(err)
	}
}

// A subscription of the CIM interop classes reaches a CIM-XML listener
// through the Hub: each failover's indication, with the subscription's
// SequenceContext, numbers counting on across a disable and an enable, and
// the filter's name; a deleted subscription gets nothing more.
func TestRegistrySubscriptionDelivers(t *testing.T) {
	s := startHubServer(t, "", nil, 1)
	k, witness := newExportSink(t), newExportSink(t)
	sub := subscribeCIMXML(t, s, "failovers", "SELECT * FROM Msvm_FailoverIndication WHERE FailoverTo = 'b'", k.srv.URL+"/cimlistener")
	subscribeCIMXML(t, s, "witness", "SELECT * FROM Msvm_FailoverIndication", witness.srv.URL+"/cimlistener")

	failover(t, s, "a", "b") // matches
	failover(t, s, "b", "a") // does not match the filter
	eventually(t, 10*time.Second, "the witness gets both", func() bool { return len(witness.received()) == 2 })
	eventually(t, 10*time.Second, "the first indication", func() bool { return len(k.received()) == 1 })
	setState(t, s, sub, indication.StateDisabled)
	failover(t, s, "a", "b") // disabled: not delivered
	eventually(t, 10*time.Second, "the witness gets the third", func() bool { return len(witness.received()) == 3 })
	setState(t, s, sub, indication.StateEnabled)
	failover(t, s, "b", "a")
	failover(t, s, "a", "b") // matches again
	eventually(t, 10*time.Second, "two indications", func() bool { return len(k.received()) == 2 })
	for i, in := range k.received() {
		seq, _ := in.Get("SequenceNumber")
		ctx, _ := in.Get("SequenceContext")
		filter, _ := in.Get("IndicationFilterName")
		if in.ClassName != "Msvm_FailoverIndication" || seq.Sint() != int64(i) || ctx.Str() != sub.SequenceContext || filter.Str() != "failovers" {
			t.Errorf("indication %d: %+v, want number %d of %s from filter failovers", i, in, i, sub.SequenceContext)
		}
	}

	admin := auth.Identity{User: "admin", Role: auth.Admin}
	list, err := s.apiSubscriptions().List(context.Background(), admin)
	if err != nil || len(list) != 2 {
		t.Fatalf("the API lists %+v (%v), want two subscriptions", list, err)
	}
	i := slices.IndexFunc(list, func(a api.IndicationSubscription) bool { return a.ID == sub.ID })
	if i < 0 || list[i].Filter != "failovers" || list[i].Protocol != "cimxml" || list[i].State != "enabled" || list[i].Delivery.Delivered != 2 {
		t.Errorf("the API shows %+v, want the failovers subscription with 2 delivered", list)
	}
	other := auth.Identity{User: "bob", Role: auth.Operator}
	if err := s.apiSubscriptions().Delete(context.Background(), other, sub.ID); !errors.Is(err, api.ErrNoSubscription) {
		t.Errorf("bob deleting the admin's subscription: %v, want api.ErrNoSubscription", err)
	}
	if err := s.apiSubscriptions().Delete(context.Background(), admin, sub.ID); err != nil {
		t.Fatal(err)
	}
	failover(t, s, "b", "a")
	failover(t, s, "a", "b")
	eventually(t, 10*time.Second, "the witness gets all seven", func() bool { return len(witness.received()) == 7 })
	if got := k.received(); len(got) != 2 {
		t.Errorf("after the deletion the listener got %d indications, want still 2", len(got))
	}
}
