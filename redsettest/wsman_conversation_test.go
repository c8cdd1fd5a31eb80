package redsettest_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/redsettest"
)

// A conversation replays an enumeration as its client ran it: the fixture
// that opened it, then the fixture that continued it (a Pull or a
// Release) with the enumeration context this server gave in place of the
// one the recording server invented. Pulls are repeated, each with the
// context of the previous answer, until the enumeration ends.
type wsmanConversation struct {
	name, open, next string
	ids              []string // InstanceIDs (or member names) the Pulls return, sorted
}

var wsmanConversations = []wsmanConversation{
	{"Enumerate", "wsman--Enumerate--2", "wsman--Enumerate--3", []string{wsmanRS1, wsmanRS2}},
	{"PullMaxElements", "wsman--Enumerate-PullMaxElements--2", "wsman--Enumerate-PullMaxElements--3", []string{wsmanRS1, wsmanRS2}},
	{"EnumerateEPR", "wsman--Enumerate-EnumerateEPR--2", "wsman--Enumerate-EnumerateEPR--3", []string{wsmanRS1, wsmanRS2}},
	{"EnumerateObjectAndEPR", "wsman--Enumerate-EnumerateObjectAndEPR--2", "wsman--Enumerate-EnumerateObjectAndEPR--3", []string{wsmanRS1, wsmanRS2}},
	{"DMTFResourceURI", "wsman--Enumerate-DMTFResourceURI--2", "wsman--Enumerate-DMTFResourceURI--3", []string{wsmanRS1, wsmanRS2}},
	{"WQLFilter", "wsman--Enumerate-WQLFilter--2", "wsman--Enumerate-WQLFilter--3", []string{wsmanRS1}},
	{"SelectorFilter", "wsman--Enumerate-SelectorFilter--2", "wsman--Enumerate-SelectorFilter--3", []string{wsmanRS1}},
	{"AssociatedInstances", "wsman--Enumerate-AssociatedInstances--2", "wsman--Enumerate-AssociatedInstances--3", []string{"vm-a"}},
	{"AssociationInstances", "wsman--Enumerate-AssociationInstances--2", "wsman--Enumerate-AssociationInstances--3", []string{"vm-a"}},
	{"wsman-messages-Pull", "wsman-messages--Enumerate--1", "wsman-messages--Pull--1", []string{wsmanRS1, wsmanRS2}},
	{"Release", "wsman--Enumerate--2", "wsman--Release--2", nil},
}

// TestWSManFixtureConversations runs the recorded enumerations to their end
// with real contexts and compares the answers with
// testdata/wsman/conversation/NAME.txt (-update rewrites them). The items
// are checked in code: every set for plain enumerations in each mode, the
// matching set for the WQL and selector filters (RS-1 alone is Degraded
// Redundancy), and vm-a, the only in-service member of RS-1, for the
// association filters. After a Release the context is gone.
func TestWSManFixtureConversations(t *testing.T) {
	t.Parallel()
	dir, _ := wsmanFixtures(t)
	srv := wsmanStartFixtureServer(t)
	for _, conv := range wsmanConversations {
		t.Run(conv.name, func(t *testing.T) {
			open := wsmanReadFixture(t, dir, conv.open)
			resp, body := replayRaw(t, srv, open)
			transcript := wsmanGoldenText(resp, body)
			ctx := wsmanParse(t, body).find(wsmanNSWSEN, "EnumerationContext").Text
			next := wsmanReadFixture(t, dir, conv.next)
			var items []*wsmanNode
			for range 10 {
				resp, body = replayRaw(t, srv, wsmanWithContext(t, next, ctx))
				transcript = append(transcript, wsmanGoldenText(resp, body)...)
				doc := wsmanParse(t, body)
				if resp.StatusCode != 200 {
					t.Fatalf("HTTP %d: %s", resp.StatusCode, wsmanFaultOf(doc))
				}
				pull := doc.find(wsmanNSWSEN, "PullResponse")
				items = append(items, wsmanItems(pull)...)
				if pull == nil || pull.find(wsmanNSWSEN, "EndOfSequence") != nil {
					break
				}
				ctx = pull.childText("EnumerationContext")
			}
			wsmanCompareGolden(t, filepath.Join("testdata", "wsman", "conversation", conv.name+".txt"), transcript)
			if diff := cmp.Diff(conv.ids, wsmanItemNames(items)); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if conv.ids == nil {
				wsmanCheckReleased(t, srv, wsmanWithContext(t, wsmanReadFixture(t, dir, "wsman--Enumerate--3"), ctx))
			}
		})
	}
}

// wsmanCheckReleased checks that a Pull of a released context is refused.
func wsmanCheckReleased(t *testing.T, srv *redsettest.Server, pull []byte) {
	t.Helper()
	resp, body := replayRaw(t, srv, pull)
	f := wsmanFaultOf(wsmanParse(t, body))
	if resp.StatusCode != 500 || wsmanLocal(f.Subcode) != "InvalidEnumerationContext" {
		t.Errorf("Pull after Release: HTTP %d %s, want 500 wsen:InvalidEnumerationContext", resp.StatusCode, f)
	}
}

func wsmanReadFixture(t *testing.T, dir, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name+".http"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

var (
	wsmanRequestContextRE = regexp.MustCompile(`(<(?:[A-Za-z0-9]+:)?EnumerationContext>)[^<]*(</)`)
	wsmanContentLengthRE  = regexp.MustCompile(`(?i)\r\nContent-Length: *\d+\r\n`)
)

// wsmanWithContext returns a raw request with its enumeration context
// replaced and its Content-Length fixed.
func wsmanWithContext(t *testing.T, raw []byte, ctx string) []byte {
	t.Helper()
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok || !wsmanRequestContextRE.Match(body) {
		t.Fatalf("the fixture has no enumeration context to replace")
	}
	body = wsmanRequestContextRE.ReplaceAll(body, []byte("${1}"+wsmanEscape(ctx)+"${2}"))
	head = wsmanContentLengthRE.ReplaceAll(append(head, "\r\n"...), []byte(fmt.Sprintf("\r\nContent-Length: %s\r\n", strconv.Itoa(len(body)))))
	return append(append(head, "\r\n"...), body...)
}

// wsmanItemNames names enumeration items: the InstanceID of sets (as
// instances, EPRs or w:Item), the Name of computer systems, and the member
// name of Msvm_MemberOfCollection instances; sorted.
func wsmanItemNames(items []*wsmanNode) []string {
	var names []string
	for _, it := range items {
		if it.Name.Local == "Item" {
			it = it.Kids[0]
		}
		switch it.Name.Local {
		case "Msvm_ComputerSystem":
			names = append(names, it.childText("Name"))
		case "Msvm_MemberOfCollection":
			for _, s := range it.findAll(wsmanNSWSMan, "Selector") {
				if n, _ := s.attr("Name"); n == "Name" {
					names = append(names, wsmanValue(s))
				}
			}
		default:
			names = append(names, wsmanInstanceIDs([]*wsmanNode{it})...)
		}
	}
	slices.Sort(names)
	return names
}
