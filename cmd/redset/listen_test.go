package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/protocol/cimxml"
)

// failoverIndication is an indication as redset sends one for a planned
// failover of redset:demo-web.
func failoverIndication(seq int64) cimxml.ExportedIndication {
	path := func(class, key, value string) cim.Value {
		return cim.NewString(`root/hypervcluster/v2:` + class + `.` + key + `="` + value + `"`)
	}
	return cimxml.ExportedIndication{Instance: cim.Instance{ClassName: "Msvm_FailoverIndication", Properties: []cim.PropertyValue{
		{Name: "IndicationIdentifier", Value: cim.NewString("17")},
		{Name: "HostedElement", Value: path("Msvm_RedundancySet", "InstanceID", "redset:demo-web")},
		{Name: "HostingSystem", Value: path("Msvm_ComputerSystem", "Name", "web-b")},
		{Name: "PreviousHostingSystem", Value: path("Msvm_ComputerSystem", "Name", "web-a")},
		{Name: "FailoverType", Value: cim.MustUint16(1)},
		{Name: "OtherFailoverType", Value: cim.NewString("Planned")},
		{Name: "IndicationFilterName", Value: cim.NewString("all failovers")},
		{Name: "SequenceContext", Value: cim.NewString("ctx")},
		{Name: "SequenceNumber", Value: cim.MustSint64(seq)},
	}}}
}

func modification() cimxml.ExportedIndication {
	set := func(status uint16) cim.Instance {
		return cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{
			{Name: "InstanceID", Value: cim.NewString("redset:demo-db")},
			{Name: "RedundancyStatus", Value: cim.MustUint16(status)},
			{Name: "TypeOfSet", Value: cim.MustUint16Array([]uint16{2})},
		}}
	}
	return cimxml.ExportedIndication{
		Instance: cim.Instance{ClassName: "CIM_InstModification", Properties: []cim.PropertyValue{
			{Name: "IndicationFilterName", Value: cim.NewString("status")},
			{Name: "SequenceNumber", Value: cim.MustSint64(3)},
			{Name: "PerceivedSeverity", Value: cim.Null(cim.Uint16, false)},
		}},
		Embedded: []cimxml.EmbeddedInstance{{Property: "SourceInstance", Instance: set(4)}, {Property: "PreviousInstance", Instance: set(2)}},
	}
}

// exportTo posts one export request and checks the listener's answer.
func exportTo(t *testing.T, client *http.Client, url string, x cimxml.ExportedIndication) {
	t.Helper()
	var body bytes.Buffer
	if err := cimxml.EncodeExport(&body, "1", x); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = cimxml.ExportHeader()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if err := cimxml.CheckExportResponse(resp, answer); err != nil {
		t.Fatalf("the listener's answer: %v\n%s", err, answer)
	}
}

// startListen runs `redset listen` as its own process and returns it
// with the URL it prints.
func startListen(t *testing.T, args ...string) (*process, string) {
	t.Helper()
	p := startProcess(t, buildRedset(t), []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...)...)
	var url string
	poll(t, 20*time.Second, "the listener's address", func() bool {
		p.running(t)
		m := regexp.MustCompile(`at (https?://127\.0\.0\.1:\d+/)`).FindStringSubmatch(p.err.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	return p, url
}

// stop ends the process with sig and requires a clean exit.
func (p *process) stop(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("redset listen ended with %v after %v\nstderr:\n%s", err, sig, p.err.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("redset listen still runs 20s after %v", sig)
	}
}

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

// TestListenPrintsLines runs the real binary, posts real export requests
// and reads the lines it prints; SIGINT ends it with status 0.
func TestListenPrintsLines(t *testing.T) {
	p, url := startListen(t)
	exportTo(t, http.DefaultClient, url, failoverIndication(7))
	exportTo(t, http.DefaultClient, url+"any/path", modification())
	poll(t, 10*time.Second, "two lines", func() bool { return len(lines(p.out.String())) == 2 })
	got := lines(p.out.String())
	wants := []*regexp.Regexp{
		regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z Msvm_FailoverIndication set=redset:demo-web from=web-a to=web-b type=Planned filter="all failovers" seq=7$`),
		regexp.MustCompile(`^\S+ CIM_InstModification source=Msvm_RedundancySet:redset:demo-db filter=status seq=3$`),
	}
	for i, want := range wants {
		if !want.MatchString(got[i]) {
			t.Errorf("line %d = %q, want %v", i+1, got[i], want)
		}
	}
	p.stop(t, syscall.SIGINT)
}

// TestListenJSON: one JSON object a line with every property and the
// embedded instances; served over https with --tls-cert/--tls-key;
// SIGTERM ends it cleanly.
func TestListenJSON(t *testing.T) {
	certFile, keyFile := selfSignedFiles(t, t.TempDir())
	p, url := startListen(t, "--json", "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("URL %s, want https", url)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	exportTo(t, client, url, modification())
	poll(t, 10*time.Second, "a line", func() bool { return strings.HasSuffix(p.out.String(), "\n") })
	var got struct {
		Received   time.Time      `json:"received"`
		Class      string         `json:"class"`
		Properties map[string]any `json:"properties"`
		Embedded   map[string]struct {
			Class      string         `json:"class"`
			Properties map[string]any `json:"properties"`
		} `json:"embedded"`
	}
	if err := json.Unmarshal([]byte(p.out.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, p.out.String())
	}
	src := got.Embedded["SourceInstance"]
	switch {
	case got.Class != "CIM_InstModification" || got.Received.IsZero():
		t.Errorf("class %q received %v", got.Class, got.Received)
	case got.Properties["SequenceNumber"] != 3.0 || got.Properties["IndicationFilterName"] != "status":
		t.Errorf("properties %v", got.Properties)
	case got.Properties["PerceivedSeverity"] != nil:
		t.Errorf("a null property is %v, want null", got.Properties["PerceivedSeverity"])
	case src.Class != "Msvm_RedundancySet" || src.Properties["RedundancyStatus"] != 4.0:
		t.Errorf("SourceInstance %+v", src)
	case got.Embedded["PreviousInstance"].Properties["RedundancyStatus"] != 2.0:
		t.Errorf("PreviousInstance %+v", got.Embedded["PreviousInstance"])
	}
	if ts, ok := src.Properties["TypeOfSet"].([]any); !ok || len(ts) != 1 || ts[0] != 2.0 {
		t.Errorf("TypeOfSet %v, want [2]", src.Properties["TypeOfSet"])
	}
	p.stop(t, syscall.SIGTERM)
}

func TestListenRefusesBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"listen"}, `required flag(s) "addr" not set`},
		{[]string{"listen", "--addr", "127.0.0.1:0", "--tls-cert", "x.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"listen", "--addr", "not an address"}, "not an address"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t.Context(), tt.args...)
			if r.code == 0 || !strings.Contains(r.err, tt.want) {
				t.Errorf("exit %d, stderr %q; want an error containing %q", r.code, r.err, tt.want)
			}
		})
	}
}
