package indication

import (
	"context"
	"strings"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/event"
)

// Indication is one indication built from one event record: an instance of
// an indication class with its own properties, and the instances it embeds
// (SourceInstance, PreviousInstance), kept as instances so that each
// protocol writes them in its own form and filters can look inside them.
//
// SequenceContext, SequenceNumber and IndicationFilterName are not in
// Instance: they belong to one delivery (see Delivery).
type Indication struct {
	Seq       uint64       // the event record it came from
	Time      time.Time    // the record's time, also in IndicationTime
	Namespace string       // where its class lives (root/hypervcluster/v2)
	Instance  cim.Instance // the indication's class and properties
	Embedded  []Embedded   // in the class's property order
}

// Embedded is an instance carried by an indication property declared
// string with the EmbeddedInstance qualifier.
type Embedded struct {
	Property string       // SourceInstance, PreviousInstance
	Instance cim.Instance // with its own class name
}

// EmbeddedInstance returns the instance embedded under property (names
// compare ignoring case), if any.
func (ind Indication) EmbeddedInstance(property string) (cim.Instance, bool) {
	for _, e := range ind.Embedded {
		if strings.EqualFold(e.Property, property) {
			return e.Instance, true
		}
	}
	return cim.Instance{}, false
}

// Source builds the indications of one event record: none for a record
// nothing is indicated for. It is called on the delivery side's own
// goroutine, in record order, never under the event bus's lock. It must not
// block for long (it reads the engine's current state, no store).
type Source func(ctx context.Context, r event.Record) []Indication

// Delivery is one indication on its way to one destination for one
// subscription: the indication, with the filter that selected it and its
// place in the subscription's sequence (DSP1054: SequenceContext names the
// subscription's sequence, SequenceNumber counts from 0 and grows by one
// for each indication the subscription sends).
type Delivery struct {
	Indication
	FilterName      string
	SequenceContext string
	SequenceNumber  int64
	Subscription    string // the subscription's id
}
