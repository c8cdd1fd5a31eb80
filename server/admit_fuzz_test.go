package server

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzJudge feeds admission hostile bytes, in two reads: it must class
// every request it completes without panicking, and judge nothing twice.
func FuzzJudge(f *testing.F) {
	for _, name := range []string{"wbemcli--InvokeMethod-Failover--2.http", "wsman--Invoke-Failover--1.http", "wsman--Get--1.http"} {
		raw, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, uint16(100))
	}
	f.Add([]byte("GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n"), uint16(3))
	f.Add([]byte("POST /wsman HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n<"), uint16(20))
	f.Add([]byte("POST /cimom HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), uint16(40))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		c := &admitConn{a: newAdmission(1)}
		at := min(int(cut), len(data))
		judged := 0
		for _, part := range [][]byte{data[:at], data[at:]} {
			if len(part) == 0 {
				continue
			}
			before := c.judged
			cl := c.seen(part)
			if c.judged && !before {
				judged++
				if cl != c.class || cl < classFree || cl > classChange {
					t.Fatalf("seen returned class %d, the connection holds %d", cl, c.class)
				}
			}
		}
		if judged > 1 {
			t.Fatalf("one request judged %d times", judged)
		}
		c.done()
		if _, _, changes := c.a.counts(); changes != 0 {
			t.Fatalf("%d changes counted after the request ended", changes)
		}
	})
}
