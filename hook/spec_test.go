package hook

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSpecValidate(t *testing.T) {
	exec := []string{"/bin/true"}
	tests := []struct {
		name string
		spec Spec
		want *SpecError // nil: valid
	}{
		{"exec hook", Spec{Name: "h", Exec: exec, On: []string{"failover", "refused", "status"}}, nil},
		{"webhook", Spec{Name: "h", Webhook: "https://example.test/hook", Retries: MaxRetries}, nil},
		{"pre exec hook", Spec{Name: "h", Exec: exec, Pre: true, On: []string{"failover"}, Timeout: time.Second}, nil},
		{"neither", Spec{Name: "h"}, &SpecError{"h", "exec", "a hook needs exec or webhook"}},
		{"both", Spec{Name: "h", Exec: exec, Webhook: "http://x"}, &SpecError{"h", "exec", "a hook has either exec or webhook, not both"}},
		{"empty program", Spec{Name: "h", Exec: []string{""}}, &SpecError{"h", "exec[0]", "the program is empty"}},
		{"relative URL", Spec{Name: "h", Webhook: "/hook"}, &SpecError{"h", "webhook", "needs an absolute http or https URL"}},
		{"other scheme", Spec{Name: "h", Webhook: "ftp://x/y"}, &SpecError{"h", "webhook", "needs an absolute http or https URL"}},
		{"bad URL", Spec{Name: "h", Webhook: "http://[::1"}, &SpecError{"h", "webhook", "not a URL"}},
		{"pre webhook", Spec{Name: "h", Webhook: "http://x", Pre: true}, &SpecError{"h", "pre", "only exec hooks can veto a failover"}},
		{"pre with retries", Spec{Name: "h", Exec: exec, Pre: true, Retries: 1}, &SpecError{"h", "retries", "pre-failover hooks are not retried"}},
		{"pre on status", Spec{Name: "h", Exec: exec, Pre: true, On: []string{"status"}}, &SpecError{"h", "on[0]", "pre-failover hooks run only on failover"}},
		{"unknown event", Spec{Name: "h", Exec: exec, On: []string{"status", "boot"}}, &SpecError{"h", "on[1]", `"boot" is not failover, refused or status`}},
		{"negative timeout", Spec{Name: "h", Exec: exec, Timeout: -time.Second}, &SpecError{"h", "timeout", "must not be negative"}},
		{"too many retries", Spec{Name: "h", Exec: exec, Retries: MaxRetries + 1}, &SpecError{"h", "retries", "must be between 0 and 10"}},
		{"negative retries", Spec{Name: "h", Exec: exec, Retries: -1}, &SpecError{"h", "retries", "must be between 0 and 10"}},
		{"negative queue", Spec{Name: "h", Exec: exec, Queue: -1}, &SpecError{"h", "queue", "must be between 0 (the default) and 1048576"}},
		{"huge queue", Spec{Name: "h", Exec: exec, Queue: MaxQueue + 1}, &SpecError{"h", "queue", "must be between 0 (the default) and 1048576"}},
		{"pre with a queue", Spec{Name: "h", Exec: exec, Pre: true, Queue: 5}, &SpecError{"h", "queue", "pre-failover hooks run in the failover, without a queue"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if tc.want == nil {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			var got *SpecError
			if !errors.As(err, &got) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want a *SpecError matching ErrInvalid", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecWants(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want map[string]bool
	}{
		{"empty On is every post event", Spec{}, map[string]bool{"failover": true, "refused": true, "status": true, "prefailover": false}},
		{"listed events only", Spec{On: []string{"status"}}, map[string]bool{"failover": false, "refused": false, "status": true, "prefailover": false}},
		{"pre hooks take no events", Spec{Pre: true}, map[string]bool{"failover": false, "refused": false, "status": false, "prefailover": false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]bool{}
			for name := range tc.want {
				got[name] = tc.spec.wants(name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("wants (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzSpecValidate(f *testing.F) {
	f.Add("h", "failover", "/bin/true", "", int64(0), 0, false)
	f.Add("h", "status", "", "https://example.test/x?t=1", int64(time.Second), 3, false)
	f.Add("", "boot", "", "http://[::1", int64(-1), -1, true)
	f.Fuzz(func(t *testing.T, name, on, program, webhook string, timeout int64, retries int, pre bool) {
		s := Spec{Name: name, On: []string{on}, Webhook: webhook, Timeout: time.Duration(timeout), Retries: retries, Pre: pre}
		if program != "" {
			s.Exec = []string{program}
		}
		err := s.Validate()
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) || se.Field == "" || se.Reason == "" {
				t.Fatalf("Validate() = %#v, want a complete *SpecError", err)
			}
			return
		}
		if (len(s.Exec) > 0) == (s.Webhook != "") || s.Timeout < 0 || (s.Pre && s.Webhook != "") {
			t.Fatalf("Validate() accepted %+v", s)
		}
	})
}
