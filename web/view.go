package web

import (
	"encoding/hex"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redset/redset/api"
)

// The view model: what the templates show, computed from the API's types.
// static/app.js computes the same from the same JSON when it redraws; the
// two must stay in step (the browser test sees both).

// pageData is the page template's input.
type pageData struct {
	Title    string
	Caller   api.Caller
	API      string // the API's path prefix
	Problems []string
	Sets     []setView
	Summary  []statusCount
	Events   []eventView // newest first
	LastSeq  uint64      // the newest event shown; the stream resumes after it
	Kinds    string      // every event kind, space-separated: the live stream's event names
}

// setView is one set's card.
type setView struct {
	ID          string
	Key         string // the card's element id, derived from ID
	Name        string
	Caption     string
	Description string
	Status      uint16
	StatusText  string
	TypeText    string
	Needed      uint32
	Operational int // operational members in service
	LBText      string
	FlapGuard   bool
	Paused      string        // why automatic failover is paused; empty when it is not
	Frontend    *frontendView // the set's frontend; nil when it has none
	Traffic     bool          // this server runs the frontend: the members show their connections
	Members     []memberView
	CanFailover bool         // the caller's role may fail over: show the form
	From, To    []memberView // failover candidates
	HasTarget   bool         // some To differs from the first From
	DefaultTo   string       // the To the form starts with; empty: none chosen
}

// memberView is one member's row in a card.
type memberView struct {
	SetID     string // the set the row belongs to, for the row's actions
	Name      string
	Role      string
	RoleText  string
	Spare     string // spare settings, for spares
	Health    string
	Detail    string
	Since     time.Time
	CanReturn bool   // drained, and the caller's role may return it to service
	Conns     string // open frontend connections to the member, when the set's frontend runs
	ConnsNote string // its total connections, failed dials and draining connections

	priority    int
	spareStatus uint16
}

// frontendView is a set's frontend on its card: where it listens, or why
// it does not, and its connections.
type frontendView struct {
	Listen  string // as configured
	Address string // where it listens; empty when it does not, or this server runs none
	Down    bool   // this server runs the frontend, but it does not listen
	Error   string // why it does not listen
	Conns   string // its connections ("3 open, 1 refused"); empty when this server runs none
}

// statusCount is one entry of the summary line.
type statusCount struct {
	Status uint16
	Text   string
	Count  int
}

// eventView is one entry of the timeline.
type eventView struct {
	Seq   uint64
	Time  time.Time
	Kind  string
	Label string
	SetID string
	Text  string
	Tone  string // ok, warn, bad or info
}

func (d *pageData) fill(sets []api.Set, events []api.Event) {
	for _, s := range sets {
		d.Sets = append(d.Sets, setViewOf(s, d.Caller.Can))
	}
	d.Summary = summarize(d.Sets)
	d.Kinds = strings.Join(api.EventKinds(), " ")
	for i := len(events) - 1; i >= 0; i-- {
		d.Events = append(d.Events, eventViewOf(events[i]))
		d.LastSeq = max(d.LastSeq, events[i].Seq)
	}
}

// setViewOf describes a set for a caller with the given abilities.
func setViewOf(s api.Set, can api.Abilities) setView {
	v := setView{
		ID: s.InstanceID, Key: elementKey(s.InstanceID), Name: setName(s), Caption: s.Caption,
		Description: s.Description, Status: s.RedundancyStatus, StatusText: statusText(s),
		TypeText: typeText(s.TypeOfSet, s.OtherTypeOfSet), Needed: s.MinNumberNeeded,
		LBText: lbText(s.LoadBalanceAlgorithm, s.OtherLoadBalanceAlgorithm), FlapGuard: s.FlapGuardTripped,
		CanFailover: can.Failover,
		Paused:      pausedText(s),
		Frontend:    frontendOf(s), Traffic: s.FrontendStatus != nil,
	}
	for _, m := range s.Members {
		mv := memberViewOf(s.InstanceID, m)
		mv.CanReturn = can.Failover && m.Role == api.RoleDrained
		if s.FrontendStatus != nil {
			mv.Conns, mv.ConnsNote = memberConns(s.FrontendStatus, m.Name)
		}
		v.Members = append(v.Members, mv)
		if m.Role == api.RoleInService && operational(m.Health.State) {
			v.Operational++
		}
	}
	v.From, v.To = candidates(s, v.Members)
	v.HasTarget = len(otherTargets(v.From, v.To)) > 0
	v.DefaultTo = s.FailoverTarget
	return v
}

// otherTargets are the To candidates other than the first From, which the
// form starts with.
func otherTargets(from, to []memberView) []memberView {
	var out []memberView
	for _, m := range to {
		if len(from) == 0 || m.Name != from[0].Name {
			out = append(out, m)
		}
	}
	return out
}

// elementKey turns a set's InstanceID, which may hold any character, into
// an element id: "s-" and the hex of its bytes.
func elementKey(id string) string { return "s-" + hex.EncodeToString([]byte(id)) }

// setName is the card's heading: the ElementName, else the InstanceID.
func setName(s api.Set) string {
	if s.ElementName != "" {
		return s.ElementName
	}
	return s.InstanceID
}

var statusWords = map[uint16]string{
	0: "Unknown", 2: "Fully Redundant", 3: "Degraded Redundancy", 4: "Redundancy Lost", 5: "Overall Failure",
}

func statusText(s api.Set) string {
	if s.RedundancyStatusText != "" {
		return s.RedundancyStatusText
	}
	if w, ok := statusWords[s.RedundancyStatus]; ok {
		return w
	}
	return "Status " + strconv.Itoa(int(s.RedundancyStatus))
}

// statusClass names the colour of a status; values the rule never
// produces are grey like Unknown.
func statusClass(status uint16) string {
	if status >= 2 && status <= 5 {
		return "st-" + strconv.Itoa(int(status))
	}
	return "st-0"
}

var typeWords = map[uint16]string{
	0: "Unknown", 2: "N+1", 3: "Load Balanced", 4: "Sparing", 5: "Limited Sparing",
}

// typeText names the TypeOfSet entries; Other shows its description.
func typeText(types []uint16, other []string) string {
	var parts []string
	for i, t := range types {
		switch w, ok := typeWords[t]; {
		case ok:
			parts = append(parts, w)
		case t == 1 && i < len(other) && other[i] != "":
			parts = append(parts, "Other ("+other[i]+")")
		case t == 1:
			parts = append(parts, "Other")
		default:
			parts = append(parts, "Type "+strconv.Itoa(int(t)))
		}
	}
	if len(parts) == 0 {
		return "Unknown"
	}
	return strings.Join(parts, ", ")
}

var lbWords = map[uint16]string{
	0: "Unknown", 3: "Round Robin", 4: "Least Blocks", 5: "Least IO", 6: "Address Region", 7: "Product Specific",
}

// lbText names the load-balancing algorithm; empty for No Load Balancing.
func lbText(alg uint16, other string) string {
	switch w, ok := lbWords[alg]; {
	case alg == 2:
		return ""
	case ok:
		return w
	case alg == 1 && other != "":
		return "Other (" + other + ")"
	case alg == 1:
		return "Other"
	}
	return "Algorithm " + strconv.Itoa(int(alg))
}

func operational(state string) bool { return state == "OK" || state == "Degraded" }

var roleWords = map[string]string{
	api.RoleInService: "In service", api.RoleSpare: "Spare", api.RoleDrained: "Drained",
}

func memberViewOf(setID string, m api.SetMember) memberView {
	v := memberView{SetID: setID, Name: m.Name, Role: m.Role, RoleText: roleWords[m.Role], Health: m.Health.State,
		Detail: m.Health.Detail, Since: m.Health.Since, priority: m.Priority, spareStatus: m.SpareStatus}
	if v.RoleText == "" {
		v.RoleText = m.Role
	}
	if v.Health == "" {
		v.Health = "Unknown"
	}
	if m.Role == api.RoleSpare {
		v.Spare = spareText(m.SpareStatus, m.FailoverSupported)
	}
	return v
}

// spareText describes a spare's settings: "hot, automatic or manual".
func spareText(status, supported uint16) string {
	standby := map[uint16]string{2: "hot", 3: "cold"}[status]
	failover := map[uint16]string{2: "automatic only", 3: "manual only", 4: "automatic or manual"}[supported]
	switch {
	case standby != "" && failover != "":
		return standby + ", " + failover
	case standby != "":
		return standby
	}
	return failover
}

// candidates are the members a failover may name: from an in-service
// member to a spare or drained one, or, in N+1 and Load Balanced sets, to
// another in-service member. The engine decides; the form only offers.
func candidates(s api.Set, members []memberView) (from, to []memberView) {
	shares := slices.Contains(s.TypeOfSet, 2) || slices.Contains(s.TypeOfSet, 3)
	for _, m := range members {
		if m.Role == api.RoleInService {
			from = append(from, m)
		}
		if m.Role != api.RoleInService || shares {
			to = append(to, m)
		}
	}
	return from, to
}

// summarize counts the sets by status, worst first.
func summarize(sets []setView) []statusCount {
	var out []statusCount
	for _, st := range []uint16{5, 4, 3, 0, 2} {
		n := 0
		for _, s := range sets {
			if statusClass(s.Status) == statusClass(st) {
				n++
			}
		}
		if n > 0 {
			out = append(out, statusCount{Status: st, Text: statusWords[st], Count: n})
		}
	}
	return out
}

// viewFuncs are the templates' helpers.
var viewFuncs = template.FuncMap{
	"statusClass": statusClass,
	"isoTime":     func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"clock":       func(t time.Time) string { return t.UTC().Format("15:04:05 UTC") },
	"shortClock":  func(t time.Time) string { return t.UTC().Format("15:04 UTC") },
	"plural":      plural,
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// pausedText says whose pause stops the set's automatic failover: the
// set's own or the server's. Mirrored by pausedText in app.js.
func pausedText(s api.Set) string {
	switch {
	case s.Paused != nil:
		return "Automatic failover paused for this set (maintenance)."
	case s.ServerPaused:
		return "Automatic failover paused for every set (maintenance)."
	}
	return ""
}

// frontendOf describes a set's frontend; nil when it has none. Mirrored by
// frontendView in app.js.
func frontendOf(s api.Set) *frontendView {
	st := s.FrontendStatus
	if s.Frontend == nil && st == nil {
		return nil
	}
	v := &frontendView{}
	if s.Frontend != nil {
		v.Listen = s.Frontend.Listen
	}
	if st == nil {
		return v
	}
	if st.Listen != "" {
		v.Listen = st.Listen
	}
	v.Address, v.Down, v.Error = st.Address, st.Address == "", st.Error
	v.Conns = fmt.Sprintf("%d open", st.Open)
	if st.Refused > 0 {
		v.Conns += fmt.Sprintf(", %d refused", st.Refused)
	}
	return v
}

// memberConns gives a member's open frontend connections and a note of
// its total, failed dials and draining connections. Mirrored by
// memberConns in app.js.
func memberConns(st *api.FrontendStatus, name string) (conns, note string) {
	for _, m := range st.Members {
		if m.Name != name {
			continue
		}
		parts := []string{fmt.Sprintf("%d total", m.Total)}
		if m.DialErrors > 0 {
			parts = append(parts, plural(int(m.DialErrors), "failed dial", "failed dials"))
		}
		if m.Draining > 0 {
			parts = append(parts, fmt.Sprintf("%d draining", m.Draining))
		}
		return strconv.FormatInt(m.Open, 10), strings.Join(parts, ", ")
	}
	return "0", ""
}
