package cimxml

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/cim"
)

// pywbemListener starts pywbem's WBEMListener on a free loopback port. It
// prints one JSON line per indication it receives (class, properties;
// embedded instances as pywbem parsed them) and runs until its standard
// input closes.
const pywbemListener = `
import json, sys, threading
import pywbem

lock = threading.Lock()

def plain(v):
    if isinstance(v, pywbem.CIMInstance):
        return {"class": v.classname, "properties": {k: plain(p.value) for k, p in v.properties.items()}}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    return str(v)

def received(ind, host):
    with lock:
        print(json.dumps(plain(ind)), flush=True)

listener = pywbem.WBEMListener("127.0.0.1", http_port=int(sys.argv[1]))
listener.add_callback(received)
listener.start()
print("ready", flush=True)
sys.stdin.read()
listener.stop()
`

// TestPywbemListenerTakesExports posts redset's export requests to
// pywbem's listener, a CIM listener written apart from this code: it
// decodes the indication with its embedded instances, and its answers,
// success and ERROR, pass CheckExportResponse. pywbem is not packaged by
// Debian, so this is a local check: it runs when /usr/bin/python3 can
// import pywbem (PYTHONPATH may point at a pywbem source tree) and skips
// otherwise, unless REDSET_REQUIRE_PYWBEM=1.
func TestPywbemListenerTakesExports(t *testing.T) {
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import pywbem").Run(); err != nil {
		if os.Getenv("REDSET_REQUIRE_PYWBEM") == "1" {
			t.Fatalf("pywbem cannot be imported by %s: %v", python, err)
		}
		t.Skipf("pywbem cannot be imported by %s (a local check: set PYTHONPATH to a pywbem source tree)", python)
	}
	port := freePort(t)
	script := filepath.Join(t.TempDir(), "listener.py")
	if err := os.WriteFile(script, []byte(pywbemListener), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, script, strconv.Itoa(port))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Logf("pywbem listener: %v\n%s", err, stderr.String())
		}
	}()
	lines := readLines(stdout)
	if line := nextLine(t, lines); line != "ready" {
		t.Fatalf("pywbem listener said %q\n%s", line, stderr.String())
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/"

	resp, body := postTo(t, url, ExportHeader(), encodeExport(t, "1", sampleIndication(t)))
	if err := CheckExportResponse(resp, body); err != nil {
		t.Fatalf("pywbem's answer: %v\n%s", err, body)
	}
	line := nextLine(t, lines)
	t.Logf("pywbem received: %s", line)
	checkPywbemIndication(t, line)

	h := ExportHeader()
	h.Set("CIMExportMethod", "ExportAlert")
	resp, body = postTo(t, url, h, []byte(exportCall("ExportAlert", `<EXPPARAMVALUE NAME="NewIndication"><INSTANCE CLASSNAME="X"></INSTANCE></EXPPARAMVALUE>`)))
	var ce *cim.Error
	if err := CheckExportResponse(resp, body); !errors.As(err, &ce) || ce.Status != cim.StatusNotSupported {
		t.Errorf("pywbem's answer to another method: %v, want CIM_ERR_NOT_SUPPORTED\n%s", err, body)
	}
}

func checkPywbemIndication(t *testing.T, line string) {
	t.Helper()
	var got struct {
		Class      string         `json:"class"`
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	src, _ := got.Properties["SourceInstance"].(map[string]any)
	srcProps, _ := src["properties"].(map[string]any)
	prev, _ := got.Properties["PreviousInstance"].(map[string]any)
	prevProps, _ := prev["properties"].(map[string]any)
	switch {
	case got.Class != "CIM_InstModification":
		t.Errorf("class %q", got.Class)
	case got.Properties["SequenceNumber"] != 7.0 || got.Properties["IndicationFilterName"] != "status changes":
		t.Errorf("properties %v", got.Properties)
	case src["class"] != "Msvm_RedundancySet" || srcProps["RedundancyStatus"] != 3.0:
		t.Errorf("SourceInstance as pywbem read it: %v", got.Properties["SourceInstance"])
	case srcProps["ElementName"] != `web <"primary"> & spare`:
		t.Errorf("escaped text as pywbem read it: %q", srcProps["ElementName"])
	case prevProps["RedundancyStatus"] != 2.0:
		t.Errorf("PreviousInstance as pywbem read it: %v", got.Properties["PreviousInstance"])
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func readLines(r io.Reader) <-chan string {
	ch := make(chan string, 16)
	go func() {
		defer close(ch)
		s := bufio.NewScanner(r)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			ch <- s.Text()
		}
	}()
	return ch
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("the pywbem listener ended")
		}
		return strings.TrimSpace(line)
	case <-time.After(30 * time.Second):
		t.Fatal("no line from the pywbem listener within 30s")
	}
	return ""
}

// postTo posts body with headers h (the listener is up: it said ready).
func postTo(t *testing.T, url string, h http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, answer
}
