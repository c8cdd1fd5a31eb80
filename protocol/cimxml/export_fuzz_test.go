package cimxml

import (
	"bytes"
	"io"
	"testing"
)

// FuzzDecodeExport feeds arbitrary bodies to the export request decoder,
// seeded from testdata/fuzz/FuzzDecodeExport (requests as redset writes
// them, embedded instances in their several spellings, and broken ones).
// Whatever the input: no panic, every error is a *ProtocolError or a
// *cim.Error, an error response can be written, and a decoded indication
// survives an encode/decode round trip unchanged.
func FuzzDecodeExport(f *testing.F) {
	f.Add(encodeExport(f, "1", sampleIndication(f)))
	f.Fuzz(func(t *testing.T, body []byte) {
		call, err := DecodeExport(bytes.NewReader(body), Limits{MaxBytes: 1 << 16, MaxElements: 2000})
		if err != nil {
			checkErrorType(t, err)
			if pe := asProtocolError(err); pe == nil {
				if werr := writeExportResponse(io.Discard, call.MessageID, call.Method, err); werr != nil {
					t.Fatalf("answering: %v", werr)
				}
			}
			return
		}
		again, err := DecodeExport(bytes.NewReader(encodeExport(t, call.MessageID, call.Indication)), Limits{})
		if err != nil {
			t.Fatalf("decoding an encoded indication: %v", err)
		}
		if a, b := describeExport(call.Indication), describeExport(again.Indication); a != b {
			t.Fatalf("round trip changed the indication:\n%s\n%s", a, b)
		}
	})
}

func describeExport(x ExportedIndication) string {
	s := describeInstance(&x.Instance)
	for _, e := range x.Embedded {
		s += " " + e.Property + ":" + describeInstance(&e.Instance)
	}
	return s
}
