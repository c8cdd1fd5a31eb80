package hook

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// Event names a hook can be registered for (Spec.On) and that appear as
// REDSET_EVENT and as "event" in webhook documents.
const (
	EventFailover    = "failover"    // a failover completed (Code 0)
	EventRefused     = "refused"     // a failover was refused (Code != 0)
	EventStatus      = "status"      // a set's RedundancyStatus changed
	EventPreFailover = "prefailover" // a failover is about to commit (Pre hooks only)
)

// DefaultTimeout bounds one run of a command or one webhook attempt when a
// Spec sets no Timeout.
const DefaultTimeout = 10 * time.Second

// MaxRetries is the largest Spec.Retries accepted.
const MaxRetries = 10

// ErrInvalid is matched (errors.Is) by every *SpecError.
var ErrInvalid = errors.New("hook: invalid spec")

// Spec is the configuration of one hook.
//
// A hook is either a command (Exec: the program and its arguments, run
// without a shell) or a webhook (Webhook: an http or https URL that receives
// a POST). On lists the events it runs on: "failover", "refused" and
// "status"; an empty On means all three. A Pre hook runs before a failover
// commits and vetoes it by failing; only commands can be Pre hooks, and their
// On may only be empty or "failover".
//
// Timeout bounds each command run or webhook attempt (0 means
// DefaultTimeout). Retries is how many more attempts a failed post-event
// delivery gets, with exponential backoff; Pre hooks are never retried.
type Spec struct {
	Name    string
	On      []string
	Pre     bool
	Exec    []string
	Webhook string
	Timeout time.Duration
	Retries int
	Queue   int // events this post-event hook may have waiting; 0: Options.QueueSize
}

// SpecError names the field of a Spec that is wrong and why.
type SpecError struct {
	Hook   string // the hook's name
	Field  string // e.g. "exec", "webhook", "on[1]", "timeout"
	Reason string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("hook %q: %s: %s", e.Hook, e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *SpecError) Is(target error) bool { return target == ErrInvalid }

// Validate reports the first problem of s as a *SpecError, or nil.
func (s Spec) Validate() error {
	for _, check := range []func() (string, string){
		s.checkAction, s.checkPre, s.checkOn, s.checkLimits,
	} {
		if field, reason := check(); field != "" {
			return &SpecError{Hook: s.Name, Field: field, Reason: reason}
		}
	}
	return nil
}

func (s Spec) checkAction() (field, reason string) {
	switch {
	case len(s.Exec) > 0 && s.Webhook != "":
		return "exec", "a hook has either exec or webhook, not both"
	case len(s.Exec) == 0 && s.Webhook == "":
		return "exec", "a hook needs exec or webhook"
	case len(s.Exec) > 0 && s.Exec[0] == "":
		return "exec[0]", "the program is empty"
	case s.Webhook != "":
		return checkURL(s.Webhook)
	}
	return "", ""
}

func checkURL(raw string) (field, reason string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "webhook", "not a URL"
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "webhook", "needs an absolute http or https URL"
	}
	return "", ""
}

func (s Spec) checkPre() (field, reason string) {
	switch {
	case s.Pre && s.Webhook != "":
		return "pre", "only exec hooks can veto a failover"
	case s.Pre && s.Retries != 0:
		return "retries", "pre-failover hooks are not retried"
	}
	return "", ""
}

func (s Spec) checkOn() (field, reason string) {
	for i, on := range s.On {
		known := on == EventFailover || on == EventRefused || on == EventStatus
		switch {
		case !known:
			return fmt.Sprintf("on[%d]", i), fmt.Sprintf("%q is not failover, refused or status", on)
		case s.Pre && on != EventFailover:
			return fmt.Sprintf("on[%d]", i), "pre-failover hooks run only on failover"
		}
	}
	return "", ""
}

func (s Spec) checkLimits() (field, reason string) {
	switch {
	case s.Timeout < 0:
		return "timeout", "must not be negative"
	case s.Retries < 0 || s.Retries > MaxRetries:
		return "retries", fmt.Sprintf("must be between 0 and %d", MaxRetries)
	case s.Queue < 0 || s.Queue > MaxQueue:
		return "queue", fmt.Sprintf("must be between 0 (the default) and %d", MaxQueue)
	case s.Pre && s.Queue != 0:
		return "queue", "pre-failover hooks run in the failover, without a queue"
	}
	return "", ""
}

// wants reports whether a post-event hook runs on the named event.
func (s Spec) wants(name string) bool {
	if s.Pre {
		return false
	}
	if len(s.On) == 0 {
		return name != EventPreFailover
	}
	for _, on := range s.On {
		if on == name {
			return true
		}
	}
	return false
}

func (s Spec) kind() string {
	if s.Webhook != "" {
		return "webhook"
	}
	return "exec"
}

func (s Spec) timeout() time.Duration {
	if s.Timeout == 0 {
		return DefaultTimeout
	}
	return s.Timeout
}
