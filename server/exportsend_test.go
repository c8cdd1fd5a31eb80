package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/indication"
	"github.com/redset/redset/protocol/cimxml"
)

func sampleDelivery() indication.Delivery {
	set := cim.Instance{ClassName: "Msvm_RedundancySet", Properties: []cim.PropertyValue{
		{Name: "InstanceID", Value: cim.NewString("redset:demo-web")},
		{Name: "RedundancyStatus", Value: cim.MustUint16(4)},
	}}
	return indication.Delivery{
		Indication: indication.Indication{
			Seq:       12,
			Time:      time.Date(2026, 12, 6, 15, 4, 5, 0, time.UTC),
			Namespace: "root/hypervcluster/v2",
			Instance: cim.Instance{ClassName: "CIM_InstModification", Properties: []cim.PropertyValue{
				{Name: "IndicationIdentifier", Value: cim.NewString("12")},
				{Name: "SequenceNumber", Value: cim.Null(cim.Sint64, false)},
			}},
			Embedded: []indication.Embedded{{Property: "SourceInstance", Instance: set}},
		},
		FilterName:      "status changes",
		SequenceContext: "redset-ctx-1",
		SequenceNumber:  41,
		Subscription:    "sub-1",
	}
}

// The body of a delivery is an export request a CIM-XML listener takes,
// carrying the delivery's sequence and filter, the record's time and the
// embedded instance; the answer passes exportCheck.
func TestExportBodyReachesAListener(t *testing.T) {
	var got []cimxml.ExportedIndication
	srv := httptest.NewServer(cimxml.Listener(func(x cimxml.ExportedIndication) { got = append(got, x) }))
	defer srv.Close()
	header, body := exportBody(sampleDelivery())
	if !bytes.Contains(body, []byte(`<MESSAGE ID="41" PROTOCOLVERSION="1.0">`)) {
		t.Errorf("the message ID is not the sequence number:\n%s", body)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if err := exportCheck(resp, answer); err != nil {
		t.Fatalf("exportCheck: %v\n%s", err, answer)
	}
	if len(got) != 1 {
		t.Fatalf("the listener took %d indications, want 1", len(got))
	}
	in := got[0].Instance
	for name, want := range map[string]string{
		"IndicationIdentifier": "12", "IndicationFilterName": "status changes", "SequenceContext": "redset-ctx-1",
		"SequenceNumber": "41", "IndicationTime": "20261206150405.000000+000",
	} {
		if v, _ := in.Get(name); v.String() != want {
			t.Errorf("%s = %q, want %q", name, v.String(), want)
		}
	}
	if v, _ := in.Get("SequenceNumber"); v.Type() != cim.Sint64 {
		t.Errorf("SequenceNumber is %v, want sint64", v.Type())
	}
	src, ok := got[0].EmbeddedInstance("SourceInstance")
	if v, _ := src.Get("RedundancyStatus"); !ok || src.ClassName != "Msvm_RedundancySet" || v.Uint() != 4 {
		t.Errorf("SourceInstance = %v, %v", src, ok)
	}
}

// An IndicationTime the Source set is kept; the delivery's own values
// never leak into the indication it came from.
func TestExportBodyKeepsTheIndication(t *testing.T) {
	d := sampleDelivery()
	d.Instance.Set("IndicationTime", cim.NewDateTime(cim.DateTimeFromTime(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC))))
	_, body := exportBody(d)
	if !strings.Contains(string(body), "<VALUE>20200102030405.000000+000</VALUE>") {
		t.Errorf("IndicationTime was replaced:\n%s", body)
	}
	if _, ok := d.Instance.Get("IndicationFilterName"); ok {
		t.Error("exportBody changed the delivery's instance")
	}
}

func TestExportCheckFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"listener error", 200, `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEEXPRSP><EXPMETHODRESPONSE NAME="ExportIndication"><ERROR CODE="1" DESCRIPTION="queue full"/></EXPMETHODRESPONSE></SIMPLEEXPRSP></MESSAGE></CIM>`, "CIM_ERR_FAILED: queue full"},
		{"not a listener", 200, "<html>hello</html>", "not an export response"},
		{"refused", 400, "", "HTTP 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Status: http.StatusText(tt.status), Header: http.Header{}}
			if err := exportCheck(resp, []byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("exportCheck = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
