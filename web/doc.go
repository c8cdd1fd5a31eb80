// Package web is redset's dashboard: one server-rendered page at / that
// shows every redundancy set with its RedundancyStatus (as colour and as
// words), the members with their roles and health, a failover action and a
// return to service of drained members, each with a confirmation step, and
// the recent history as a timeline.
//
// # Shape
//
// NewHandler serves three things: GET / (the page, rendered with
// html/template from a Source), GET /static/... (the stylesheet, script and
// icon, embedded in the binary), and a small 404 page for every other path,
// because the server mounts the dashboard at / and so receives every path
// no other handler claims.
//
// After the first render the page is a client of the JSON API like any
// other: its script (plain JavaScript, no framework, no build step) reads
// /api/v1/sets, posts /api/v1/sets/{id}/failover and
// /api/v1/sets/{id}/members/{name}/enable, and follows
// /api/v1/events (Server-Sent Events) to redraw the sets and extend the
// timeline as events arrive. The package imports nothing of redset but the
// API's wire types, so the first render and the script read the same
// shapes.
//
// # Authentication
//
// The page needs the same HTTP Basic credentials as the API. The server
// puts the dashboard behind auth's door, which checks them and answers a
// refusal with 401 and the challenge for the realm "redset" (Refuse writes
// the page), so the browser asks once and then sends the credentials with
// the script's same-origin requests to /api/v1. Pattern names the route of
// a request, from which the server names its operation in auth's
// permission table. Options.Auth describes the caller the door
// established; without it every page request is refused. The static
// assets and the not-found page hold no data and need no credentials.
//
// Options.Auth also says what the caller's role may do (api.Caller). The
// page shows the failover form and the return-to-service buttons only to
// a role that may fail over, and the script, which reads the same answer
// from the page (data-can-failover on <body>), draws them the same way.
// Hiding a control is a courtesy, not the protection: the API refuses a
// reader's failover with 403 whatever the page shows.
//
// # Assets and headers
//
// Asset URLs carry a hash of their content (?v=...); such requests are
// cached for a year, others revalidate with an ETag. The page is never
// cached and is sent with a Content-Security-Policy that allows nothing
// but the page's own origin: no inline script, no external fonts, styles
// or connections.
package web
