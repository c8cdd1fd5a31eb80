package api

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// The API names the authenticated user, the client's address and the
// protocol in every record it causes: "web" when the browser says the
// request came from a page of this server, else "api".
func TestRecordsNameTheCaller(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	send := func(from, to string, header ...string) {
		req, _ := http.NewRequest(http.MethodPost, env.srv.URL+Prefix+"/sets/redset:web/failover",
			strings.NewReader(`{"from":"`+from+`","to":"`+to+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("operator", testPassword)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := env.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("failover: HTTP %d", resp.StatusCode)
		}
	}
	send("web-a", "web-b")
	send("web-b", "web-a", "Sec-Fetch-Site", "same-origin", "Sec-Fetch-Mode", "cors")
	send("web-b", "web-a", "Sec-Fetch-Site", "cross-site")
	evs, err := env.reader.History(bg, HistoryQuery{SetID: "redset:web", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if e.Failover == nil {
			continue
		}
		if e.Actor == nil {
			t.Fatalf("%s %d has no actor", e.Kind, e.Seq)
		}
		host, _, err := net.SplitHostPort(e.Actor.Address)
		if err != nil || !net.ParseIP(host).IsLoopback() {
			t.Errorf("address %q is not the client's", e.Actor.Address)
		}
		got = append(got, e.Kind+" "+e.Actor.User+" "+e.Actor.Protocol)
	}
	want := []string{"FailoverSucceeded operator api", "FailoverSucceeded operator web", "FailoverRefused operator api"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records:\n got %q\nwant %q", got, want)
	}
}
