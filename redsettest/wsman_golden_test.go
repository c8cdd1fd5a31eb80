package redsettest_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The WS-Management fixtures: the exact requests openwsman's wsman CLI,
// @device-management-toolkit/wsman-messages and python3-winrm sent, kept in the
// repository's testdata/fixtures.
var wsmanFixtureDirs = []string{"../testdata/fixtures"}

var wsmanFixturePatterns = []string{"wsman--*.http", "wsman-messages--*.http", "python3-winrm--*.http"}

// wsmanFixtures returns the folder holding the fixtures and their names,
// sorted.
func wsmanFixtures(t testing.TB) (string, []string) {
	t.Helper()
	for _, dir := range wsmanFixtureDirs {
		var names []string
		for _, pattern := range wsmanFixturePatterns {
			m, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, p := range m {
				names = append(names, filepath.Base(p))
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			return dir, names
		}
	}
	wsmanRequireInterop(t, "no WS-Man fixtures under %v", wsmanFixtureDirs)
	return "", nil
}

// Volatile parts of answers: the new MessageID, the object manager's
// random enumeration context IDs (the "#tag" redset appends is kept), and
// the product version.
var (
	wsmanMessageIDRE = regexp.MustCompile(`(<wsa:MessageID>)[^<]*(</wsa:MessageID>)`)
	wsmanContextRE   = regexp.MustCompile(`(<wsen:EnumerationContext>)[0-9a-f]{32}`)
	wsmanVersionRE   = regexp.MustCompile(`(<wsmid:ProductVersion>)[^<]*(</wsmid:ProductVersion>)`)
)

func wsmanNormalize(body []byte) []byte {
	body = wsmanMessageIDRE.ReplaceAll(body, []byte("${1}uuid:MESSAGE-ID${2}"))
	body = wsmanContextRE.ReplaceAll(body, []byte("${1}CONTEXT"))
	return wsmanVersionRE.ReplaceAll(body, []byte("${1}VERSION${2}"))
}

// wsmanGoldenText is what a golden file holds: the status, the headers a
// client acts on, and the normalized answer indented for review.
func wsmanGoldenText(resp *http.Response, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
	for _, h := range []string{"Content-Type", "WWW-Authenticate"} {
		if v := resp.Header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteByte('\n')
	b.Write(wsmanIndent(wsmanNormalize(body)))
	return b.Bytes()
}

// wsmanIndent lays out XML one element per line, keeping prefixes and
// attributes as written; text that is not XML is returned unchanged.
func wsmanIndent(data []byte) []byte {
	d := xml.NewDecoder(bytes.NewReader(data))
	var b bytes.Buffer
	depth, open, text := 0, false, ""
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return data
		}
		switch tk := tok.(type) {
		case xml.ProcInst:
			fmt.Fprintf(&b, "<?%s %s?>", tk.Target, tk.Inst)
		case xml.StartElement:
			if open {
				b.WriteString(">")
			}
			fmt.Fprintf(&b, "\n%s<%s", strings.Repeat("  ", depth), wsmanRawName(tk.Name))
			for _, a := range tk.Attr {
				fmt.Fprintf(&b, " %s=\"%s\"", wsmanRawName(a.Name), wsmanEscape(a.Value))
			}
			depth, open, text = depth+1, true, ""
		case xml.CharData:
			text += string(tk)
		case xml.EndElement:
			depth--
			b.WriteString(wsmanCloseTag(&open, text, depth, tk.Name))
			text = ""
		}
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// wsmanCloseTag ends an element: self-closing when empty, on the same line
// when it holds text, on its own line after child elements.
func wsmanCloseTag(open *bool, text string, depth int, name xml.Name) string {
	switch {
	case *open && text == "":
		*open = false
		return "/>"
	case *open:
		*open = false
		return ">" + wsmanEscape(text) + "</" + wsmanRawName(name) + ">"
	}
	return "\n" + strings.Repeat("  ", depth) + "</" + wsmanRawName(name) + ">"
}

func wsmanRawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// wsmanCompareGolden compares got with a golden file, rewriting it with
// -update.
func wsmanCompareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if wsmanUpdate() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run go test -run %s -update to create it): %v", path, t.Name(), err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("answer differs from %s (-want +got):\n%s", path, diff)
	}
}

// TestWSManGoldenFixtures replays every WS-Management request real clients
// sent against a running server holding the model the fixtures assume,
// byte for byte, and compares each answer with testdata/wsman/NAME.txt
// (regenerate with -update, then review by eye). Key facts of each answer
// are checked in code too, so that a wrong golden file cannot pass. The
// model is recreated before every request. Pulls and Releases carry the
// contexts the recording server invented, which this server never issued:
// they must be refused with wsen:InvalidEnumerationContext
// (TestWSManFixtureConversations replays them with real contexts).
func TestWSManGoldenFixtures(t *testing.T) {
	t.Parallel()
	dir, names := wsmanFixtures(t)
	srv := wsmanStartFixtureServer(t)
	seen := map[string]bool{}
	for _, name := range names {
		t.Run(strings.TrimSuffix(name, ".http"), func(t *testing.T) {
			wsmanResetModel(t, srv.Engine())
			raw, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			resp, body := replayRaw(t, srv, raw)
			wsmanCompareGolden(t, filepath.Join("testdata", "wsman", strings.TrimSuffix(name, ".http")+".txt"),
				wsmanGoldenText(resp, body))
			check, ok := wsmanFixtureFact(name)
			if !ok {
				t.Fatalf("no facts are written down for %s", name)
			}
			seen[name] = true
			check(t, &wsmanAnswer{srv: srv, req: raw, resp: resp, body: body})
		})
	}
	for _, name := range wsmanFactNames() {
		if !seen[name+".http"] && !t.Failed() {
			t.Errorf("facts are written down for %s, which is not a fixture", name)
		}
	}
}
