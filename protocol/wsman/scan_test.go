package wsman

import (
	"reflect"
	"testing"
)

// FuzzScannedTreeMatchesDecoder checks the tree xmlscan reads against the
// one encoding/xml reads: a document scanTree reads must be one
// decodeTree reads, into the same tree. Seeded with every WS-Man request
// real clients sent.
func FuzzScannedTreeMatchesDecoder(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		body, _ := fixtureBody(f, file)
		f.Add(body)
	}
	f.Add([]byte(envelopeText(actionGet, uriRS, selRS1, "")))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := scanTree(body)
		if !ok {
			return
		}
		slow, err := decodeTree(body)
		if err != nil {
			t.Fatalf("the scanner read what encoding/xml refuses (%v):\n%q", err, body)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("the scanner and encoding/xml read different trees from\n%q", body)
		}
	})
}

// TestScannerTakesClientRequests checks that the scanner reads the UTF-8
// requests real clients sent, so that they take the fast path.
func TestScannerTakesClientRequests(t *testing.T) {
	scanned := 0
	for _, file := range fixtureFiles(t) {
		body, ct := fixtureBody(t, file)
		enc, data, err := detectEncoding(body, ct)
		if err != nil || enc != UTF8 {
			continue
		}
		if _, ok := scanTree(data); ok {
			scanned++
		} else if _, err := decodeTree(data); err == nil {
			t.Logf("%s: the scanner gave up on a request encoding/xml reads", file)
		}
	}
	if scanned == 0 {
		t.Error("the scanner read no request")
	}
}
