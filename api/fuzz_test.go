package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redset/redset/auth"
	"github.com/redset/redset/engine"
)

// FuzzDecodeSet feeds arbitrary bodies to the decoding of a set to create
// or replace and of a merge patch: the answer is a spec or a *Problem,
// never a panic, and a decoded spec converts and validates without one.
func FuzzDecodeSet(f *testing.F) {
	seeds := []string{
		`{"instanceID":"redset:web","typeOfSet":[4],"minNumberNeeded":1}`,
		`{"instanceID":"redset:x","caption":"c","policy":{"maxFailovers":3,"periodSeconds":60}}`,
		`{"instanceID":"redset:x","loadBalanceAlgorithm":1,"otherLoadBalanceAlgorithm":"mine"}`,
		`{"typeOfSet":[1,2],"otherTypeOfSet":["a",""],"maxNumberSupported":4294967295}`,
		`{"loadBalanceAlgorithm":null,"policy":{"autoReturn":true},"caption":null}`,
		`{"policy":{"periodSeconds":1e300}}`, `{"policy":{"periodSeconds":-0.5}}`,
		`{"colour":1}`, `{"minNumberNeeded":-1}`, `{"typeOfSet":[70000]}`, `{"caption":"\ud800"}`,
		`{}{}`, `{"a":`, `null`, `[]`, `"x"`, ``, `{"policy":null}`, `{"policy":{"x":{"y":[1,{"z":null}]}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	base := specFromSet(engine.Set{InstanceID: "redset:base", TypeOfSet: []uint16{4}, OtherTypeOfSet: []string{""}, LoadBalanceAlgorithm: 2})
	f.Fuzz(func(t *testing.T, body []byte) {
		if spec, err := decodeSetSpec(body); err == nil {
			checkSpec(t, spec)
		} else {
			mustBeProblem(t, err)
		}
		patch, err := decodePatch(body)
		if err != nil {
			mustBeProblem(t, err)
			return
		}
		spec, err := applyPatch(base, patch)
		if err != nil {
			mustBeProblem(t, err)
			return
		}
		checkSpec(t, spec)
	})
}

// checkSpec converts and validates a decoded spec; errors must be
// problems or engine validation errors.
func checkSpec(t *testing.T, spec SetSpec) {
	set, err := spec.toEngine()
	if err != nil {
		mustBeProblem(t, err)
		return
	}
	if err := engine.ValidateSet(&set); err != nil && !errors.Is(err, engine.ErrInvalid) {
		t.Fatalf("ValidateSet: unexpected error kind %v", err)
	}
}

func mustBeProblem(t *testing.T, err error) {
	t.Helper()
	p, known := problemOf(err)
	if !known || p.Status < 400 || p.Status >= 500 {
		t.Fatalf("error %v became %d %s, want a 4xx problem", err, p.Status, p.Type)
	}
}

// FuzzDecodeMember feeds arbitrary bodies to the member decoder: each is a
// problem, or a spec whose probe survives a JSON round trip unchanged.
func FuzzDecodeMember(f *testing.F) {
	seeds := []string{
		`{"name":"a","probe":{"type":"tcp","address":"h:1","interval":"1s","timeout":"500ms"}}`,
		`{"name":"a","probe":{"type":"exec","command":["x","-y"],"env":{"A":"1"},"ttl":"1m"}}`,
		`{"name":"a","probe":{"type":"http","url":"http://h/","headers":{"X":"1"},"rise":2}}`,
		`{"probe":{"interval":5}}`, `{"probe":{"timeout":"5 sec"}}`, `{"probe":{"command":"true"}}`,
		`{"probe":{"kind":"tcp"}}`, `{"probe":{"interval":"-1h"}}`, `{"probe":{"ttl":"9999999999h"}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var spec MemberSpec
		if err := decodeStrict(body, &spec); err != nil {
			mustBeProblem(t, err)
			return
		}
		m := spec.toEngine()
		if err := engine.ValidateMember(&m); err != nil && !errors.Is(err, engine.ErrInvalid) {
			t.Fatalf("ValidateMember: unexpected error kind %v", err)
		}
		data, err := json.Marshal(spec.Probe)
		if err != nil {
			t.Fatal(err)
		}
		var again Probe
		if err := decodeStrict(data, &again); err != nil || !cmp.Equal(spec.Probe, again, cmpopts.EquateEmpty()) {
			t.Fatalf("probe %s reads back as %+v (%v), want %+v", data, again, err, spec.Probe)
		}
	})
}

// FuzzEventStream feeds arbitrary bytes to the event stream parser: it
// ends with an error (io.EOF, ErrLagged or a decoding error), never a panic
// or a hang.
func FuzzEventStream(f *testing.F) {
	seeds := []string{
		"event: A\nid: 1\ndata: {\"seq\":1}\n\n",
		": c\r\n\r\ndata: {\"kind\":\r\ndata: \"B\"}\r\n\r\n",
		"event: lagged\ndata: {}\n\n", "data\n\n", "id: 99999999999999999999999\n", "data: [\n\n", "::\n\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewEventStream(io.NopCloser(bytes.NewReader(in)))
		for range len(in) + 1 { // each event consumes at least one line
			if _, err := s.Next(); err != nil {
				return
			}
		}
		t.Fatalf("the parser returned more events than the input has lines")
	})
}

// FuzzDecodeUser feeds arbitrary bodies to the decoding of a new user and
// of a password change: a value or a *Problem, never a panic; a decoded
// user that the table accepts has a valid name.
func FuzzDecodeUser(f *testing.F) {
	for _, s := range []string{
		`{"name":"ops","role":"operator","password":"pw"}`, `{"password":"pw"}`, `{"name":"a:b"}`,
		`{"passwordHash":"$2a$04$x"}`, `{"name":1}`, `{}{}`, ``, `null`, `{"password":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var u NewUser
		if err := decodeStrict(body, &u); err != nil {
			mustBeProblem(t, err)
		} else if auth.ValidateName(u.Name) == nil && strings.Contains(u.Name, ":") {
			t.Fatalf("name %q with a colon was accepted", u.Name)
		}
		var pc PasswordChange
		if err := decodeStrict(body, &pc); err != nil {
			mustBeProblem(t, err)
		}
	})
}

// FuzzHistoryQuery feeds arbitrary query strings to the history and
// event-stream filters: the answer is a filter or a 4xx problem, never a
// panic, and a filter never has since at or after until.
func FuzzHistoryQuery(f *testing.F) {
	seeds := []string{
		"limit=5&setId=redset:web", "kind=FailoverSucceeded,FailoverRefused&kind=ConfigChanged",
		"member=a&user=ops&since=2030-01-02T03:04:05Z&until=2030-01-02T04:00:00.5%2B01:00",
		"since=yesterday", "until=2030-01-02T03:04:05Z&since=2031-01-01T00:00:00Z", "kind=", "kind=%00",
		"limit=0", "limit=99999999999999999999", "%zz", "setId=%E2%28%A1", "after=12&setId=x",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http answers malformed queries itself
		}
		filter, err := historyFilter(q)
		if err != nil {
			mustBeProblem(t, err)
			return
		}
		if !filter.Since.IsZero() && !filter.Until.IsZero() && !filter.Since.Before(filter.Until) {
			t.Fatalf("since %v is not before until %v", filter.Since, filter.Until)
		}
		if _, err := streamFilter(q); err != nil {
			mustBeProblem(t, err)
		}
	})
}

// FuzzDecodeSchedule feeds arbitrary bodies to the decoding of a failover
// request and of a schedule request: a value or a 4xx problem.
func FuzzDecodeSchedule(f *testing.F) {
	for _, s := range []string{
		`{"from":"a","to":"b","at":"2030-01-02T03:04:05Z"}`, `{"from":"a","to":"b","at":"soon"}`,
		`{"from":"a","to":"b","dryRun":true}`, `{"at":null}`, `{"at":1}`, `{"dryRun":"yes"}`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var sr ScheduleRequest
		if err := decodeStrict(body, &sr); err != nil {
			mustBeProblem(t, err)
		}
		var fr FailoverRequest
		if err := decodeStrict(body, &fr); err != nil {
			mustBeProblem(t, err)
		}
	})
}
