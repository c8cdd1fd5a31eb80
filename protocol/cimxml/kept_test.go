package cimxml

import (
	"bytes"
	"testing"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// answerOf writes the answer of the call in fixture with objs as its
// results.
func answerOf(t *testing.T, fixture string, objs ...cimom.Object) []byte {
	t.Helper()
	_, body := readFixture(t, fixture)
	call, err := Decode(bytes.NewReader(body), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteResponse(&out, call, &cimom.Response{Objects: objectsOf(objs...)}, nil, EncodeOptions{}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestKeptEncodings checks that objects carrying their encodings are
// written as they would be without, the second time from what the first
// kept, and that an object whose instance was replaced is written afresh.
func TestKeptEncodings(t *testing.T) {
	for _, fixture := range []string{enumFixture, "pywbem--OpenEnumerateInstances-PullInstancesWithPath-CloseEnumeration--2.http", "pywbem--Associators--1.http"} {
		t.Run(fixture, func(t *testing.T) {
			var plain, kept []cimom.Object
			for o := range manySets(3, nil) {
				plain = append(plain, o)
				o.Encodings = cimom.NewEncodings(o.Instance, o.Path)
				kept = append(kept, o)
			}
			want := answerOf(t, fixture, plain...)
			for i := range 2 {
				if got := answerOf(t, fixture, kept...); !bytes.Equal(got, want) {
					t.Fatalf("answer %d with kept encodings differs:\n%s\nwant\n%s", i+1, got, want)
				}
			}
			// Reuse shows when an instance is changed in place, which the
			// contract forbids: the kept bytes are written, not the change.
			inPlace := kept[0].Instance
			saved := inPlace.Properties
			inPlace.Properties = append([]cim.PropertyValue(nil), saved...)
			inPlace.Properties[2].Value = cim.MustUint16(9)
			if got := answerOf(t, fixture, kept...); !bytes.Equal(got, want) {
				t.Fatalf("the third answer was not written from the kept encodings:\n%s", got)
			}
			inPlace.Properties = saved

			changed := *kept[1].Instance
			changed.Properties = append([]cim.PropertyValue(nil), changed.Properties...)
			changed.Properties[2].Value = cim.MustUint16(7)
			kept[1].Instance, plain[1].Instance = &changed, &changed
			want = answerOf(t, fixture, plain...)
			if got := answerOf(t, fixture, kept...); !bytes.Equal(got, want) {
				t.Fatalf("an object whose instance was replaced was written from the old encoding:\n%s\nwant\n%s", got, want)
			}
		})
	}
}
