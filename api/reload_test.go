package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// invalidFile is an error as a server's Reload returns for a bad file.
type invalidFile struct{ text string }

func (e invalidFile) Error() string        { return e.text }
func (e invalidFile) Is(target error) bool { return target == ErrInvalidConfig }

func TestReloadRoute(t *testing.T) {
	calls := 0
	var answer ConfigReload
	var fail error
	env := newEnv(t, func(o *Options) {
		o.Reload = func(context.Context) (ConfigReload, error) {
			calls++
			return answer, fail
		}
	})
	t.Run("admin reloads", func(t *testing.T) {
		answer, fail = ConfigReload{Changed: true, Summary: "updated set redset:web", Updated: []string{"set redset:web"}}, nil
		got, err := env.admin.ReloadConfig(bg)
		if err != nil {
			t.Fatalf("ReloadConfig: %v", err)
		}
		want := answer
		want.Created, want.Added, want.WouldDelete, want.RestartNeeded = []string{}, []string{}, []string{}, []string{}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("answer (-want +got):\n%s", diff)
		}
	})
	t.Run("lists are never null", func(t *testing.T) {
		answer = ConfigReload{Summary: "nothing changed"}
		resp, body := env.raw(t, http.MethodPost, Prefix+"/config/reload", "", "", "admin")
		if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "null") {
			t.Errorf("got %d %s, want 200 with [] for empty lists", resp.StatusCode, body)
		}
	})
	t.Run("an invalid file is 422 with every problem", func(t *testing.T) {
		fail = fmt.Errorf("reload: %w", invalidFile{"r.yaml:3: sets[0].caption: too long\nr.yaml:9: listen[1]: listed twice"})
		_, err := env.admin.ReloadConfig(bg)
		p := wantProblem(t, err, http.StatusUnprocessableEntity, ProblemInvalidConfig)
		if !strings.Contains(p.Detail, "r.yaml:3: sets[0].caption: too long") || !strings.Contains(p.Detail, "r.yaml:9: listen[1]") {
			t.Errorf("detail %q does not name both problems", p.Detail)
		}
	})
	t.Run("another failure is 500 without its text", func(t *testing.T) {
		fail = errors.New("disk on fire")
		_, err := env.admin.ReloadConfig(bg)
		p := wantProblem(t, err, http.StatusInternalServerError, ProblemInternal)
		if strings.Contains(p.Detail, "fire") {
			t.Errorf("an unknown error's text leaked: %q", p.Detail)
		}
	})
	t.Run("operators and readers may not", func(t *testing.T) {
		before := calls
		for _, c := range []*Client{env.operator, env.reader} {
			_, err := c.ReloadConfig(bg)
			wantProblem(t, err, http.StatusForbidden, ProblemForbidden)
		}
		_, err := env.nobody.ReloadConfig(bg)
		wantProblem(t, err, http.StatusUnauthorized, ProblemUnauthorized)
		if calls != before {
			t.Errorf("Reload ran %d times for callers without the admin role", calls-before)
		}
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		resp, _ := env.raw(t, http.MethodGet, Prefix+"/config/reload", "", "", "admin")
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET: %d, Allow %q; want 405 with Allow: POST", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

func TestReloadRouteWithoutReload(t *testing.T) {
	env := newEnv(t)
	_, err := env.admin.ReloadConfig(bg)
	wantProblem(t, err, http.StatusConflict, ProblemNotSupported)
}
