package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDryRunFailover(t *testing.T) {
	env := newEnv(t)
	before := env.sparingSet(t)
	res, err := env.operator.CheckFailover(bg, "redset:web", "web-a", "web-b")
	if err != nil {
		t.Fatalf("CheckFailover: %v", err)
	}
	if res.ReturnValue != 0 || !res.DryRun || res.Completed || res.Seq != 0 {
		t.Errorf("dry run = %+v, want 0, dryRun, not completed, no seq", res)
	}
	refused, err := env.operator.CheckFailover(bg, "redset:web", "web-b", "web-a")
	if err != nil || refused.ReturnValue != 4 || !strings.Contains(refused.Reason, "not in service") {
		t.Errorf("refused dry run = %+v, %v", refused, err)
	}
	_, err = env.operator.CheckFailover(bg, "redset:none", "web-a", "web-b")
	wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
	_, err = env.reader.CheckFailover(bg, "redset:web", "web-a", "web-b")
	wantProblem(t, err, http.StatusForbidden, ProblemForbidden)
	after := mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("a dry run changed the set (-before +after):\n%s", diff)
	}
	evs, err := env.reader.History(bg, HistoryQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Failover != nil {
			t.Errorf("a dry run left %s %d", e.Kind, e.Seq)
		}
	}
	real, err := env.operator.Failover(bg, "redset:web", "web-b", "web-a")
	if err != nil || real.ReturnValue != refused.ReturnValue || real.Reason != refused.Reason {
		t.Errorf("real call %+v, %v; the dry run said %d %q", real, err, refused.ReturnValue, refused.Reason)
	}
}

func TestScheduledFailoverAPI(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	sf, err := env.operator.ScheduleFailover(bg, "redset:web", ScheduleRequest{From: "web-a", To: "web-b", At: at})
	if err != nil {
		t.Fatalf("ScheduleFailover: %v", err)
	}
	if sf.ID == 0 || !sf.At.Equal(at) || sf.By.User != "operator" || sf.By.Protocol != "api" || sf.SetID != "redset:web" {
		t.Errorf("scheduled = %+v", sf)
	}
	for _, set := range []string{"redset:web", ""} {
		list, err := env.reader.ScheduledFailovers(bg, set)
		if err != nil || len(list) != 1 || list[0].ID != sf.ID {
			t.Errorf("ScheduledFailovers(%q) = %+v, %v", set, list, err)
		}
	}
	resp, body := env.raw(t, "GET", Prefix+"/sets/redset:web/scheduled/"+itoa(sf.ID), "", "", "reader")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"from":"web-a"`) {
		t.Errorf("GET the schedule = %d %s", resp.StatusCode, body)
	}
	tests := []struct {
		name   string
		set    string
		req    ScheduleRequest
		status int
		typ    string
		field  string
	}{
		{"past", "redset:web", ScheduleRequest{From: "web-a", To: "web-b", At: time.Now().Add(-time.Hour)}, 400, ProblemValidation, "at"},
		{"no time", "redset:web", ScheduleRequest{From: "web-a", To: "web-b"}, 400, ProblemValidation, "at"},
		{"not a member", "redset:web", ScheduleRequest{From: "web-a", To: "ghost", At: at}, 400, ProblemValidation, "to"},
		{"no set", "redset:none", ScheduleRequest{From: "web-a", To: "web-b", At: at}, 404, ProblemNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := env.operator.ScheduleFailover(bg, tt.set, tt.req)
			if p := wantProblem(t, err, tt.status, tt.typ); p.Field != tt.field {
				t.Errorf("field = %q, want %q", p.Field, tt.field)
			}
		})
	}
	_, err = env.reader.ScheduleFailover(bg, "redset:web", ScheduleRequest{From: "web-a", To: "web-b", At: at})
	wantProblem(t, err, http.StatusForbidden, ProblemForbidden)
	if err := env.operator.CancelScheduledFailover(bg, "redset:web", sf.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	err = env.operator.CancelScheduledFailover(bg, "redset:web", sf.ID)
	wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
	resp, _ = env.raw(t, "GET", Prefix+"/sets/redset:web/scheduled/x", "", "", "reader")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET a schedule named x = %d, want 404", resp.StatusCode)
	}
	if list, err := env.reader.ScheduledFailovers(bg, ""); err != nil || len(list) != 0 {
		t.Errorf("after the cancel: %+v, %v", list, err)
	}
	_, err = env.reader.ScheduledFailovers(bg, "redset:none")
	wantProblem(t, err, http.StatusNotFound, ProblemNotFound)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
