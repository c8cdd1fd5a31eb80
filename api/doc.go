// Package api is redset's operator JSON API under /api/v1, its OpenAPI 3.1
// document, the live event stream (Server-Sent Events) and a Go Client for
// all of it.
//
// # Shape
//
// NewHandler serves the full paths /api/v1/...; the server mounts it at
// /api/v1/. Every route is listed once in the route table (handler.go),
// which both registers the handlers and is checked by a test against the
// embedded OpenAPI document (openapi.json, served at /api/v1/openapi.json).
// Requests and answers are JSON with camelCase field names; the types in
// dto.go are the documented wire shapes, converted from and to the engine's
// types at the edge.
//
// # Authentication and authorization
//
// The handler runs behind auth's door, which checks the HTTP Basic
// credentials of every request before the handler reads it (missing or
// wrong ones get 401 and auth.Challenge) and decides the route by auth's
// permission table: each route is the operation "api" and its pattern
// ("api POST /api/v1/sets/{id}/failover"), which Operation names for the
// door. Refuse writes the door's refusals as problems (401, 403, 429 with
// Retry-After for a login the throttle refuses, 503).
// The handler asks auth.Authorize again, so that it refuses everything
// when mounted without the door. Readers read (sets, members, history,
// events, maintenance, scheduled failovers); operators also fail over
// (also as a dry run or scheduled), return drained members to service,
// reset a flap guard, pause and resume automatic failover, push health
// reports and change a set's load-balancing algorithm; admins also create,
// change and delete sets, members and roles. A PATCH of a set that writes
// more than loadBalanceAlgorithm and otherLoadBalanceAlgorithm is the
// operation PatchBeyondLoadBalance, which needs an admin.
// The OpenAPI document is public: it describes the API, not its state.
//
// # Errors
//
// Every error is an RFC 9457 problem (application/problem+json) with type,
// title, status, detail and instance (the request path). Problem types are
// absolute URIs under ProblemBase (https://redset.dev/problems/); they name
// the kind of problem and are stable, whether or not they can be fetched.
// Validation problems add the extension members field (the camelCase JSON
// name, e.g. "policy.maxFailovers" or "typeOfSet[1]"), rule and value.
// Engine errors are mapped by their kind (engine.KindOf) through one table
// (problem.go), with the engine's message (engine.MessageOf) as detail.
// Bodies are capped at 1 MiB (413), must be JSON (415 otherwise: a write
// that carries a body or a Content-Type other than application/json or
// application/merge-patch+json is refused before it is read) and are
// decoded strictly:
// unknown fields, wrong types and trailing data are 400, and nothing
// changes.
//
// # Failover
//
// POST /api/v1/sets/{id}/failover runs the engine's Failover and answers
// 200 with the CIM return value for every outcome the method produced —
// completed (0) as well as refusals (1 not supported, 2 error, 3 busy,
// 4 parameter error, also for an unknown member) with their reason — so
// the API, the CLI and CIM clients see the same codes. Only a request that
// never reached the method (bad credentials, malformed body, a set that
// does not exist: 404) is an HTTP error, and so is a failover whose
// outcome is unknown (the store did not answer whether it was stored):
// 504 outcome-unknown, without Retry-After, the reason as its detail.
//
// # Frontends
//
// A set's frontend (engine.Frontend) is written with the set: in the body
// of a create or replace, or in a merge patch, where null removes it and
// its fields merge. Members carry their traffic address (address) and, on
// reads, the address frontends use (trafficAddress). When Options.Traffic
// is given, every set shown (lists, reads and the answers of changes)
// carries frontendStatus, what its frontend does on this server; without
// it, or for a set without a running frontend, the field is absent. A
// FrontendChanged event's payload names, in a cluster, the server whose
// frontend it is (server), and its text begins with that name.
//
// # Configuration reload
//
// POST /api/v1/config/reload (admin) calls Options.Reload, which the server
// supplies: the API knows nothing of files. It answers 200 with a
// ConfigReload saying what changed, or 422 (invalid-configuration) when
// the file is invalid, with every problem as "file:line: field: message"
// in the detail; the server then changed nothing. The records of the
// changes name the admin who asked.
//
// # Who
//
// Every request's authenticated user, remote address and protocol ("api",
// or "web" when a browser says the request came from a page of this
// server: Sec-Fetch-Site: same-origin) go into the context as the
// engine's actor, so the records the request causes name them.
//
// # Events
//
// GET /api/v1/events streams every engine event as Server-Sent Events:
// "event: <kind>", "id: <seq>" and "data: <Event JSON>". A comment
// (": heartbeat") is sent every Options.Heartbeat (15 s) so proxies keep
// the connection open. A client that reconnects with Last-Event-ID first
// gets the stored history after that sequence number. A subscriber that
// falls behind the event bus gets a final "event: lagged" and the stream
// ends; the client should reconnect and catch up from the history.
package api
