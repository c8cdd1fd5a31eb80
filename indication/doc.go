// Package indication turns redset's events into CIM indications and
// delivers them to subscribers: CIM-XML listeners subscribed through the
// interop classes (CIM_IndicationFilter, CIM_ListenerDestinationCIMXML,
// CIM_IndicationSubscription) and WS-Management event sinks subscribed
// through WS-Eventing.
//
// The parts, and who gives them:
//
//   - A Source (the provider package's, given by the server) builds the
//     indications of one event record: Msvm_FailoverIndication for a
//     completed failover, CIM_InstModification, CIM_InstCreation and
//     CIM_InstDeletion for the life of sets and members.
//   - Filters are WQL or CQL queries (package wql), evaluated against each
//     indication with its embedded instances (SourceInstance.Property,
//     SourceInstance ISA Class).
//   - The Registry keeps the CIM subscription objects of root/interop
//     (filters, listener destinations, subscriptions) in the store, each
//     owned by the user who made it, and hands every enabled, complete
//     subscription to the hub; Register makes cimom providers of them.
//   - Each destination has one ordered, bounded queue; a Sender (HTTP, the
//     body written by the destination protocol's encoder, given by the
//     server) delivers from it. Delivery never blocks the engine, a
//     failover or another destination.
//   - The Hub (NewHub) does the delivering: it follows the engine's
//     records (Handle or Start), matches, queues and sends, tries again
//     as the indication service says (DeliveryRetryAttempts,
//     DeliveryRetryInterval), then applies the subscription's
//     OnFatalErrorPolicy and tells its maker (HubOptions.Ended). Only the
//     cluster's leader delivers (HubOptions.Active).
//   - Sequence numbers count per subscription from 0 and are durable: the
//     Hub reserves them in blocks in the store (indication/seq/<id>) and a
//     clean Close stores the exact next one, so a restart continues the
//     sequence; after a crash some numbers are skipped, but none is ever
//     used twice.
//   - Delivery problems become IndicationDelivery event records, at most
//     one per subscription and interval in a flood, and the Hub counts
//     deliveries per protocol (Stats) for the metrics.
//   - WSEventing keeps WS-Management's WS-Eventing subscriptions (the
//     server adapts protocol/wsman's Eventing to it): each is a
//     Subscription to the destination protocol "wsman" (push, sent by the
//     Sender it is given) or "wsman-pull" (WSEventing is the Sender and
//     keeps a bounded queue per subscription, emptied by Pull). Push
//     subscriptions are stored under indication/wsman/ and come back with
//     Load; pull ones live in memory. Each belongs to its maker (an admin
//     may act on any), a user may have MaxPerUser of them, every one
//     expires (MaxExpires at most), and Tick ends the expired ones with a
//     SubscriptionEnd and sends the heartbeats due. A bookmark (the last
//     event record's sequence number) replays the server's history after
//     it.
//
// The package imports cim, cimom, wql, event and the store contract; it
// never imports a protocol, the engine or a provider: what it needs of them
// it is given as functions.
package indication
