package api

import (
	"net/http"
	"testing"
)

func TestPauseAndResume(t *testing.T) {
	env := newEnv(t)
	env.sparingSet(t)
	s, err := env.operator.PauseSet(bg, "redset:web")
	if err != nil {
		t.Fatalf("PauseSet: %v", err)
	}
	if s.Paused == nil || s.Paused.By.User != "operator" || s.Paused.By.Protocol != "api" || !s.AutomaticFailoverPaused || s.ServerPaused {
		t.Errorf("set after pause: paused %+v server %v effective %v", s.Paused, s.ServerPaused, s.AutomaticFailoverPaused)
	}
	_, err = env.reader.PauseSet(bg, "redset:web")
	wantProblem(t, err, http.StatusForbidden, ProblemForbidden)
	_, err = env.operator.PauseSet(bg, "redset:none")
	wantProblem(t, err, http.StatusNotFound, ProblemNotFound)

	m, err := env.operator.PauseServer(bg)
	if err != nil {
		t.Fatalf("PauseServer: %v", err)
	}
	if m.Paused == nil || m.Paused.By.User != "operator" || len(m.PausedSets) != 1 || m.PausedSets[0] != "redset:web" {
		t.Errorf("maintenance after server pause = %+v", m)
	}
	if s := mustSet(t)(env.reader.GetSet(bg, "redset:web")); !s.ServerPaused {
		t.Error("the set does not show the server's pause")
	}
	if _, err := env.operator.ResumeSet(bg, "redset:web"); err != nil {
		t.Fatalf("ResumeSet: %v", err)
	}
	s = mustSet(t)(env.reader.GetSet(bg, "redset:web"))
	if s.Paused != nil || !s.AutomaticFailoverPaused {
		t.Errorf("after the set's resume: own pause %+v, effective %v (the server's pause remains)", s.Paused, s.AutomaticFailoverPaused)
	}
	if m, err = env.operator.ResumeServer(bg); err != nil || m.Paused != nil || len(m.PausedSets) != 0 {
		t.Errorf("ResumeServer = %+v, %v", m, err)
	}
	if m, err = env.reader.Maintenance(bg); err != nil || m.Paused != nil || m.PausedSets == nil {
		t.Errorf("Maintenance = %+v, %v; want nothing paused and an empty list", m, err)
	}
	evs, err := env.reader.History(bg, HistoryQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if e.Maintenance != nil {
			got = append(got, e.SetID+map[bool]string{true: " paused", false: " resumed"}[e.Maintenance.Paused]+" by "+e.Actor.User)
		}
	}
	want := []string{"redset:web paused by operator", " paused by operator", "redset:web resumed by operator", " resumed by operator"}
	if len(got) != len(want) {
		t.Fatalf("maintenance events %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %q, want %q", i, got[i], want[i])
		}
	}
}
