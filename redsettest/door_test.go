package redsettest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redset/redset/auth"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/redsettest"
	"github.com/redset/redset/server"
)

// The door walk: every operation of auth's permission table, as every
// kind of caller, on the protocol that carries it, against a running
// server. The decision must be the table's and the answer in the
// protocol's form. The operations come from the table: one this test has
// no request for fails it.

// doorRoles are the callers of the walk: one user per role, a wrong
// password and no credentials.
var doorRoles = []string{"reader", "operator", "admin", "wrong", "none"}

const doorPassword = "door-password"

// doorHash is a bcrypt hash of doorPassword at the lowest cost (4): the
// walk checks decisions, not hashing, and each of its wrong passwords (for
// reader, see doorSend) is compared in full, which at the default cost
// takes seconds apiece under the race detector.
const doorHash = "$2a$04$Rl6svtHJPaoEHEBbed47deCVxoK6Cl.Hucspzv6vTbj9LHmLxQ.Qi"

// doorOutcome is what a request's answer says about the decision.
type doorOutcome int

const (
	doorAllowed      doorOutcome = iota // the operation ran (whatever its result)
	doorUnauthorized                    // 401 with the challenge
	doorDenied                          // the caller's role may not
)

func (o doorOutcome) String() string {
	return [...]string{"allowed", "unauthorized", "denied"}[o]
}

// doorRequest is one operation sent on one protocol.
type doorRequest struct {
	protocol string
	build    func(base string) *http.Request
	judge    func(t *testing.T, resp *http.Response) doorOutcome
}

func TestDoorWalk(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{Demo: true, Edit: doorUsers(t)})
	client := &http.Client{Timeout: 30 * time.Second}
	for _, op := range auth.Operations() {
		reqs := doorRequests(op)
		if len(reqs) == 0 {
			t.Errorf("%s: the walk has no request for this operation; add one to doorRequests", op)
			continue
		}
		for _, dr := range reqs {
			for _, role := range doorRoles {
				t.Run(fmt.Sprintf("%s/%s/%s", op, dr.protocol, role), func(t *testing.T) {
					want := doorExpected(op, role)
					if got := doorSend(t, client, srv.URL, dr, role); got != want {
						t.Errorf("%s as %s on %s: %s, want %s", op, role, dr.protocol, got, want)
					}
				})
			}
		}
	}
	t.Run("every CIM operation reached the object manager", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
		req.SetBasicAuth("admin", redsettest.AdminPassword)
		body := doorBody(t, client, req)
		for i := cimom.Operation(1); i.String() != ""; i++ {
			if !strings.Contains(body, `redset_cim_operation_duration_seconds_count{operation="`+i.String()+`"`) {
				t.Errorf("no %s reached the object manager: the walk's request did not decode", i)
			}
		}
	})
}

// Every CIM operation the object manager knows has an entry in the table.
func TestDoorTableHasEveryCIMOperation(t *testing.T) {
	for i := cimom.Operation(1); i.String() != ""; i++ {
		if _, ok := auth.Permission(auth.CIMOperation(i.String(), "")); !ok {
			t.Errorf("%s has no entry in the permission table", i)
		}
	}
}

func doorUsers(t *testing.T) func(*server.Config) {
	t.Helper()
	return func(c *server.Config) {
		// the walk sends hundreds of wrong passwords from one address on
		// purpose: the login throttle must not count them
		c.Auth.Throttle.UserFailures, c.Auth.Throttle.AddressFailures = 1<<30, 1<<30
		for _, role := range []string{"reader", "operator"} {
			c.Users = append(c.Users, server.User{Name: role, Role: role, PasswordHash: doorHash})
		}
	}
}

// doorExpected is the table's decision for role.
func doorExpected(op auth.Operation, role string) doorOutcome {
	action, _ := auth.Permission(op)
	switch {
	case role == "wrong":
		return doorUnauthorized
	case action == auth.ActionPublic:
		return doorAllowed
	case role == "none":
		return doorUnauthorized
	case auth.Allow(auth.Role(role), action):
		return doorAllowed
	}
	return doorDenied
}

func doorSend(t *testing.T, client *http.Client, base string, dr doorRequest, role string) doorOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := dr.build(base).WithContext(ctx)
	switch role {
	case "admin":
		req.SetBasicAuth("admin", redsettest.AdminPassword)
	case "wrong":
		req.SetBasicAuth("reader", "not-the-password")
	case "none":
		req.Header.Del("Authorization")
	default:
		req.SetBasicAuth(role, doorPassword)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		t.Errorf("429: the walk's logins were throttled; the decision is unknown")
	}
	if resp.StatusCode == http.StatusUnauthorized {
		if got := resp.Header.Get("WWW-Authenticate"); got != auth.Challenge {
			t.Errorf("401 with WWW-Authenticate %q, want %q", got, auth.Challenge)
		}
	}
	return dr.judge(t, resp)
}

func doorBody(t *testing.T, client *http.Client, req *http.Request) string {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

func readSome(resp *http.Response) string {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(data)
}

// doorRequests are the requests that carry op, one per protocol that has it.
func doorRequests(op auth.Operation) []doorRequest {
	kind, rest, _ := strings.Cut(string(op), " ")
	switch kind {
	case "cim":
		var out []doorRequest
		if body, ok := cimxmlBodies[rest]; ok {
			out = append(out, cimxmlRequest(body))
		}
		if env, ok := wsmanEnvelopes[rest]; ok {
			out = append(out, wsmanRequest(env, false))
		}
		return out
	case "wsman":
		if env, ok := wsmanEventEnvelopes[rest]; ok {
			return []doorRequest{wsmanRequest(env, false)}
		}
		return []doorRequest{wsmanRequest(wsmanIdentifyEnv, rest == "Identify unauthenticated")}
	case "api", "demo":
		if rest == "other" {
			rest = map[string]string{"api": "GET /api/v1/nothing", "demo": "GET /api/v1/demo/nothing"}[kind]
		}
		return []doorRequest{apiRequest(kind, rest)}
	case "web":
		if rest == "other" {
			rest = "GET /nothing"
		}
		return []doorRequest{pageRequest("web", rest, "text/html")}
	case "metrics":
		return []doorRequest{pageRequest("metrics", rest, "text/plain")}
	}
	return nil
}

// ---- CIM-XML ----

const doorSet = "redset:door-nosuch"

func doorParam(name, value string) string {
	return `<IPARAMVALUE NAME="` + name + `">` + value + `</IPARAMVALUE>`
}

var (
	doorClass     = doorParam("ClassName", `<CLASSNAME NAME="`+classSet+`"/>`)
	doorInstance  = doorParam("InstanceName", setNameXML(doorSet))
	doorObject    = doorParam("ObjectName", setNameXML(doorSet))
	doorContext   = doorParam("EnumerationContext", `<VALUE>door-nosuch</VALUE>`)
	doorMaxCount  = doorParam("MaxObjectCount", `<VALUE>10</VALUE>`)
	doorLBChange  = `<INSTANCE CLASSNAME="` + classSet + `"><PROPERTY NAME="LoadBalanceAlgorithm" TYPE="uint16"><VALUE>3</VALUE></PROPERTY></INSTANCE>`
	doorQuery     = doorParam("QueryLanguage", `<VALUE>WQL</VALUE>`) + doorParam("Query", `<VALUE>SELECT * FROM `+classSet+`</VALUE>`)
	doorOpenQuery = doorParam("FilterQueryLanguage", `<VALUE>WQL</VALUE>`) + doorParam("FilterQuery", `<VALUE>SELECT * FROM `+classSet+`</VALUE>`)
)

// doorFilterName names a filter that does not exist.
const doorFilterName = `<INSTANCENAME CLASSNAME="CIM_IndicationFilter"><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">door-nosuch</KEYVALUE></KEYBINDING></INSTANCENAME>`

// interopBody is an intrinsic method call on root/interop.
func interopBody(method, params string) string {
	return message(`<IMETHODCALL NAME="` + method + `"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="interop"/></LOCALNAMESPACEPATH>` +
		params + `</IMETHODCALL>`)
}

// cimxmlBodies: a request of each CIM operation, by the table's name
// (without "cim "). Each decodes; most name a set that does not exist.
var cimxmlBodies = map[string]string{
	"GetClass":               intrinsicBody("GetClass", doorClass),
	"EnumerateClasses":       intrinsicBody("EnumerateClasses", ""),
	"EnumerateClassNames":    intrinsicBody("EnumerateClassNames", ""),
	"GetInstance":            intrinsicBody("GetInstance", doorInstance),
	"EnumerateInstances":     intrinsicBody("EnumerateInstances", doorClass),
	"EnumerateInstanceNames": intrinsicBody("EnumerateInstanceNames", doorClass),
	"ModifyInstance":         intrinsicBody("ModifyInstance", doorParam("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+setNameXML(doorSet)+doorLBChange+`</VALUE.NAMEDINSTANCE>`)),
	"CreateInstance":         intrinsicBody("CreateInstance", doorParam("NewInstance", `<INSTANCE CLASSNAME="`+classSet+`"></INSTANCE>`)),
	"DeleteInstance":         intrinsicBody("DeleteInstance", doorInstance),
	// The subscription writes of root/interop, each naming nothing that exists.
	"CreateInstance root/interop": interopBody("CreateInstance", doorParam("NewInstance", `<INSTANCE CLASSNAME="CIM_IndicationFilter"></INSTANCE>`)),
	"DeleteInstance root/interop": interopBody("DeleteInstance", doorParam("InstanceName", doorFilterName)),
	"ModifyInstance root/interop": interopBody("ModifyInstance", doorParam("ModifiedInstance", `<VALUE.NAMEDINSTANCE>`+doorFilterName+
		`<INSTANCE CLASSNAME="CIM_IndicationFilter"></INSTANCE></VALUE.NAMEDINSTANCE>`)),
	"Associators":                 intrinsicBody("Associators", doorObject),
	"AssociatorNames":             intrinsicBody("AssociatorNames", doorObject),
	"References":                  intrinsicBody("References", doorObject),
	"ReferenceNames":              intrinsicBody("ReferenceNames", doorObject),
	"InvokeMethod Failover":       failoverBody(doorSet, "web-a", "web-b"),
	"InvokeMethod":                strings.Replace(failoverBody(doorSet, "web-a", "web-b"), `METHODCALL NAME="Failover"`, `METHODCALL NAME="Reset"`, 1),
	"ExecQuery":                   intrinsicBody("ExecQuery", doorQuery),
	"GetQualifier":                intrinsicBody("GetQualifier", doorParam("QualifierName", `<VALUE>Key</VALUE>`)),
	"EnumerateQualifiers":         intrinsicBody("EnumerateQualifiers", ""),
	"OpenEnumerateInstances":      intrinsicBody("OpenEnumerateInstances", doorClass),
	"OpenEnumerateInstancePaths":  intrinsicBody("OpenEnumerateInstancePaths", doorClass),
	"OpenAssociatorInstances":     intrinsicBody("OpenAssociatorInstances", doorInstance),
	"OpenAssociatorInstancePaths": intrinsicBody("OpenAssociatorInstancePaths", doorInstance),
	"OpenReferenceInstances":      intrinsicBody("OpenReferenceInstances", doorInstance),
	"OpenReferenceInstancePaths":  intrinsicBody("OpenReferenceInstancePaths", doorInstance),
	"OpenQueryInstances":          intrinsicBody("OpenQueryInstances", doorOpenQuery),
	"PullInstancesWithPath":       intrinsicBody("PullInstancesWithPath", doorContext+doorMaxCount),
	"PullInstancePaths":           intrinsicBody("PullInstancePaths", doorContext+doorMaxCount),
	"PullInstances":               intrinsicBody("PullInstances", doorContext+doorMaxCount),
	"CloseEnumeration":            intrinsicBody("CloseEnumeration", doorContext),
	"EnumerationCount":            intrinsicBody("EnumerationCount", doorContext),
}

var cimxmlMethod = regexp.MustCompile(`<I?METHODCALL NAME="([A-Za-z]+)"`)

func cimxmlRequest(body string) doorRequest {
	method := cimxmlMethod.FindStringSubmatch(body)[1]
	object := cimNamespace
	if strings.Contains(body, `<NAMESPACE NAME="interop"/>`) {
		object = interopNamespace
	}
	if strings.Contains(body, "<METHODCALL") {
		object = failoverObject(doorSet)
	}
	return doorRequest{protocol: "cimxml",
		build: func(base string) *http.Request {
			return (&cimClient{url: base + "/cimom"}).request(method, object, body)
		},
		judge: func(t *testing.T, resp *http.Response) doorOutcome {
			body := readSome(resp)
			switch {
			case resp.StatusCode == http.StatusUnauthorized:
				return doorUnauthorized
			case resp.StatusCode != http.StatusOK:
				t.Errorf("HTTP %d (CIMError %q), want 200 or 401", resp.StatusCode, resp.Header.Get("CIMError"))
			case strings.Contains(body, `<ERROR CODE="2"`):
				return doorDenied
			}
			return doorAllowed
		}}
}

// ---- WS-Management ----

type wsmanEnv struct{ action, uri, selectors, body string }

var (
	doorSelector     = `<w:SelectorSet><w:Selector Name="InstanceID">` + doorSet + `</w:Selector></w:SelectorSet>`
	wsmanIdentifyEnv = wsmanEnv{body: `<wsmid:Identify xmlns:wsmid="` + wsmanNSWSMID + `"/>`}
	// wsmanEnvelopes: the WS-Man requests that become each CIM operation.
	wsmanEnvelopes = map[string]wsmanEnv{
		"GetInstance": {wsmanActGet, wsmanSetURI, doorSelector, ""},
		"ModifyInstance": {wsmanActPut, wsmanSetURI, doorSelector, `<p:Msvm_RedundancySet xmlns:p="` + wsmanSetURI +
			`"><p:LoadBalanceAlgorithm>3</p:LoadBalanceAlgorithm></p:Msvm_RedundancySet>`},
		"CreateInstance": {"http://schemas.xmlsoap.org/ws/2004/09/transfer/Create", wsmanSetURI, "",
			`<p:Msvm_RedundancySet xmlns:p="` + wsmanSetURI + `"><p:InstanceID>x</p:InstanceID></p:Msvm_RedundancySet>`},
		"DeleteInstance":         {"http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", wsmanSetURI, doorSelector, ""},
		"InvokeMethod Failover":  {wsmanSetURI + "/Failover", wsmanSetURI, doorSelector, `<p:Failover_INPUT xmlns:p="` + wsmanSetURI + `"/>`},
		"InvokeMethod":           {wsmanSetURI + "/Reset", wsmanSetURI, doorSelector, `<p:Reset_INPUT xmlns:p="` + wsmanSetURI + `"/>`},
		"OpenEnumerateInstances": {wsmanActEnumerate, wsmanSetURI, "", `<n:Enumerate xmlns:n="` + wsmanNSWSEN + `"/>`},
	}
)

// The WS-Eventing requests: a pull subscription (nothing is sent
// anywhere), and requests naming a subscription that does not exist.
const (
	doorNSWSE          = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	doorIdentifier     = `<e:Identifier xmlns:e="` + doorNSWSE + `">uuid:door-nosuch</e:Identifier>`
	doorFailoverIndURI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/hypervcluster/v2/Msvm_FailoverIndication"
)

var wsmanEventEnvelopes = map[string]wsmanEnv{
	"Subscribe": {doorNSWSE + "/Subscribe", doorFailoverIndURI, "", `<e:Subscribe xmlns:e="` + doorNSWSE +
		`"><e:Delivery Mode="http://schemas.dmtf.org/wbem/wsman/1/wsman/Pull"/><e:Expires>PT60S</e:Expires></e:Subscribe>`},
	"Renew":       {doorNSWSE + "/Renew", doorFailoverIndURI, doorIdentifier, `<e:Renew xmlns:e="` + doorNSWSE + `"/>`},
	"GetStatus":   {doorNSWSE + "/GetStatus", doorFailoverIndURI, doorIdentifier, `<e:GetStatus xmlns:e="` + doorNSWSE + `"/>`},
	"Unsubscribe": {doorNSWSE + "/Unsubscribe", doorFailoverIndURI, doorIdentifier, `<e:Unsubscribe xmlns:e="` + doorNSWSE + `"/>`},
	"EventPull": {"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull", doorFailoverIndURI, "", `<n:Pull xmlns:n="` + wsmanNSWSEN +
		`"><n:EnumerationContext>uuid:door-nosuch#Events</n:EnumerationContext></n:Pull>`},
}

func (e wsmanEnv) text() string {
	if e.action == "" {
		return `<s:Envelope xmlns:s="` + wsmanNSSOAP + `"><s:Header/><s:Body>` + e.body + `</s:Body></s:Envelope>`
	}
	return `<s:Envelope xmlns:s="` + wsmanNSSOAP + `" xmlns:a="` + wsmanNSWSA + `" xmlns:w="` + wsmanNSWSMan + `"><s:Header>` +
		`<a:To>http://127.0.0.1/wsman</a:To><w:ResourceURI s:mustUnderstand="true">` + e.uri + `</w:ResourceURI>` +
		`<a:ReplyTo><a:Address s:mustUnderstand="true">` + wsmanAnonymous + `</a:Address></a:ReplyTo>` +
		`<a:Action s:mustUnderstand="true">` + e.action + `</a:Action>` +
		`<a:MessageID>uuid:00000000-0000-4000-8000-000000000001</a:MessageID>` + e.selectors +
		`</s:Header><s:Body>` + e.body + `</s:Body></s:Envelope>`
}

func wsmanRequest(env wsmanEnv, anonymous bool) doorRequest {
	return doorRequest{protocol: "wsman",
		build: func(base string) *http.Request {
			req, _ := http.NewRequest("POST", base+"/wsman", strings.NewReader(env.text()))
			req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
			if anonymous {
				req.Header.Set("WSMANIDENTIFY", "unauthenticated")
			}
			return req
		},
		judge: func(t *testing.T, resp *http.Response) doorOutcome {
			body := readSome(resp)
			switch {
			case resp.StatusCode == http.StatusUnauthorized:
				return doorUnauthorized
			case strings.Contains(body, ":AccessDenied<"):
				if resp.StatusCode != http.StatusInternalServerError {
					t.Errorf("AccessDenied fault with HTTP %d, want 500", resp.StatusCode)
				}
				return doorDenied
			case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusInternalServerError:
				t.Errorf("HTTP %d, want 200, 401 or a fault", resp.StatusCode)
			}
			return doorAllowed
		}}
}

// ---- JSON API, demo, dashboard, metrics ----

var doorPathParams = strings.NewReplacer("{id}", doorSet, "{name}", "door-nosuch", "{sid}", "999", "{action}", "fail")

func apiRequest(protocol, route string) doorRequest {
	method, path, _ := strings.Cut(route, " ")
	body := "{}"
	if strings.HasSuffix(path, " beyond load balancing") {
		path, body = strings.TrimSuffix(path, " beyond load balancing"), `{"caption": "door"}`
	}
	path = doorPathParams.Replace(path)
	return doorRequest{protocol: protocol,
		build: func(base string) *http.Request {
			var rd io.Reader
			if method != "GET" {
				rd = strings.NewReader(body)
			}
			req, _ := http.NewRequest(method, base+path, rd)
			if rd != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req
		},
		judge: func(t *testing.T, resp *http.Response) doorOutcome {
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
				return doorAllowed
			}
			body := readSome(resp)
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("refusal %d as %q, want application/problem+json", resp.StatusCode, ct)
			}
			want := map[int]string{401: "/unauthorized", 403: "/forbidden"}[resp.StatusCode]
			if !strings.Contains(body, want) {
				t.Errorf("refusal %d: %s, want a problem of type %s", resp.StatusCode, body, want)
			}
			if resp.StatusCode == http.StatusUnauthorized {
				return doorUnauthorized
			}
			return doorDenied
		}}
}

func pageRequest(protocol, route, media string) doorRequest {
	method, path, _ := strings.Cut(route, " ")
	path = strings.ReplaceAll(strings.ReplaceAll(path, "{$}", ""), "{name}", "redset.css")
	return doorRequest{protocol: protocol,
		build: func(base string) *http.Request {
			req, _ := http.NewRequest(method, base+path, nil)
			return req
		},
		judge: func(t *testing.T, resp *http.Response) doorOutcome {
			switch resp.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden:
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, media) {
					t.Errorf("refusal %d as %q, want %s", resp.StatusCode, ct, media)
				}
				if resp.StatusCode == http.StatusUnauthorized {
					return doorUnauthorized
				}
				return doorDenied
			}
			return doorAllowed
		}}
}

// The observation of the issue: a CIM-XML request without credentials
// and without a CIMOperation header is 401, not 400; and every protocol
// challenges the same way.
func TestDoorChallengesFirst(t *testing.T) {
	srv := redsettest.Start(t, redsettest.Options{})
	for _, tc := range []struct {
		name, method, path, contentType string
	}{
		{"CIM-XML without CIMOperation", "POST", "/cimom", ""},
		{"CIM-XML as GET", "GET", "/cimom", ""},
		{"WS-Man not SOAP", "POST", "/wsman", "text/plain"},
		{"JSON API", "GET", "/api/v1/sets", ""},
		{"dashboard", "GET", "/", ""},
		{"metrics", "GET", "/metrics", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("<not-xml"))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != auth.Challenge {
				t.Errorf("%d with WWW-Authenticate %q, want 401 with %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), auth.Challenge)
			}
		})
	}
}
