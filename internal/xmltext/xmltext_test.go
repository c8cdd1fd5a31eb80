package xmltext

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name, in, text, attr string
	}{
		{"plain", "Microsoft:RS-1", "Microsoft:RS-1", "Microsoft:RS-1"},
		{"markup", `a<b>&"c'`, `a&lt;b&gt;&amp;"c'`, `a&lt;b&gt;&amp;&quot;c'`},
		{"white space", "a\tb\nc\rd", "a\tb\nc&#xD;d", "a&#x9;b&#xA;c&#xD;d"},
		{"control characters", "a\x01b\x1fc", "a#b#c", "a#b#c"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"non-characters", "a\uFFFEb\uFFFF", "a\uFFFDb\uFFFD", "a\uFFFDb\uFFFD"},
		{"multi-byte", "größe ✓ 𝄞", "größe ✓ 𝄞", "größe ✓ 𝄞"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(Append(nil, tc.in, false, "#")); got != tc.text {
				t.Errorf("text: got %q, want %q", got, tc.text)
			}
			if got := string(Append([]byte("x"), tc.in, true, "#")); got != "x"+tc.attr {
				t.Errorf("attribute: got %q, want %q", got, "x"+tc.attr)
			}
		})
	}
}

// FuzzAppend: whatever the input, the escaped text is well-formed XML in
// both places, and text without special characters reads back unchanged.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "a<b>&\"c", "\r\n\t", "\x00\xff", "\uFFFE"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc := `<a b="` + string(Append(nil, s, true, "?")) + `">` + string(Append(nil, s, false, "?")) + `</a>`
		var v struct {
			B    string `xml:"b,attr"`
			Text string `xml:",chardata"`
		}
		if err := xml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("escaped %q is not well-formed: %v\n%s", s, err, doc)
		}
		if plain(s, true) && !strings.ContainsAny(s, "\r") && (v.B != s || v.Text != s) {
			t.Errorf("read back %q / %q, want %q", v.B, v.Text, s)
		}
	})
}
