package api

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/redset/redset/auth"
)

type jsonObject = map[string]any

func loadDocument(t *testing.T) jsonObject {
	t.Helper()
	var doc jsonObject
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

// at walks a path of object keys, failing the test when one is missing.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		obj, ok := v.(jsonObject)
		if !ok {
			t.Fatalf("%s is not an object", strings.Join(keys[:i], "."))
		}
		if v, ok = obj[k]; !ok {
			t.Fatalf("missing %s", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

func TestOpenAPIStructure(t *testing.T) {
	doc := loadDocument(t)
	if got := at(t, doc, "openapi"); got != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", got)
	}
	for _, key := range []string{"title", "version"} {
		if s, _ := at(t, doc, "info", key).(string); s == "" {
			t.Errorf("info.%s is empty", key)
		}
	}
	if got := at(t, doc, "components", "securitySchemes", "basic", "scheme"); got != "basic" {
		t.Errorf("security scheme basic has scheme %v", got)
	}
	if _, ok := at(t, doc, "paths").(jsonObject); !ok {
		t.Fatal("paths is not an object")
	}
	refs := 0
	walkRefs(doc, func(ref string) {
		refs++
		if _, ok := resolve(doc, ref); !ok {
			t.Errorf("$ref %q does not resolve", ref)
		}
	})
	if refs < 50 {
		t.Errorf("found only %d $refs; the walk is broken", refs)
	}
}

func walkRefs(v any, visit func(string)) {
	switch v := v.(type) {
	case jsonObject:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "$ref" {
				visit(s)
				continue
			}
			walkRefs(child, visit)
		}
	case []any:
		for _, child := range v {
			walkRefs(child, visit)
		}
	}
}

// resolve follows a local JSON pointer ("#/a/b").
func resolve(doc jsonObject, ref string) (any, bool) {
	ptr, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	var v any = doc
	for _, part := range strings.Split(ptr, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		obj, ok := v.(jsonObject)
		if !ok {
			return nil, false
		}
		if v, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIMatchesRoutes: every route is described, every described
// operation is a route, and the mux sends each route's requests to it.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadDocument(t)
	h := NewHandler(nil, Options{}).(*handler)
	var routes, described []string
	for _, rt := range h.routes() {
		routes = append(routes, rt.method+" "+rt.path)
		t.Run(rt.pattern(), func(t *testing.T) { checkRoute(t, doc, h, rt) })
	}
	for path, item := range at(t, doc, "paths").(jsonObject) {
		for _, m := range httpMethods {
			if _, ok := item.(jsonObject)[m]; ok {
				described = append(described, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(routes)
	slices.Sort(described)
	if diff := cmp.Diff(routes, described); diff != "" {
		t.Errorf("route table vs document (-routes +document):\n%s", diff)
	}
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

func checkRoute(t *testing.T, doc jsonObject, h *handler, rt route) {
	item, _ := at(t, doc, "paths", rt.path).(jsonObject)
	op, _ := at(t, doc, "paths", rt.path, strings.ToLower(rt.method)).(jsonObject)
	if id, _ := op["operationId"].(string); id == "" {
		t.Errorf("no operationId")
	}
	responses, _ := op["responses"].(jsonObject)
	action, _ := auth.Permission(rt.operation())
	if _, ok := responses["401"]; ok != (action != auth.ActionPublic) {
		t.Errorf("401 described: %v, route authenticated: %v", ok, action != auth.ActionPublic)
	}
	params := declaredParams(doc, item, op)
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		if !params[m[1]] {
			t.Errorf("path parameter %s is not declared", m[1])
		}
	}
	target := pathParam.ReplaceAllString(rt.path, "x:y")
	_, pattern := h.mux.Handler(httptest.NewRequest(rt.method, target, nil))
	if pattern != rt.pattern() {
		t.Errorf("%s %s is served by pattern %q, want %q", rt.method, target, pattern, rt.pattern())
	}
}

// declaredParams names the path parameters of a path item and operation.
func declaredParams(doc, item, op jsonObject) map[string]bool {
	names := map[string]bool{}
	for _, list := range []any{item["parameters"], op["parameters"]} {
		items, _ := list.([]any)
		for _, p := range items {
			obj, _ := p.(jsonObject)
			if ref, ok := obj["$ref"].(string); ok {
				r, _ := resolve(doc, ref)
				obj, _ = r.(jsonObject)
			}
			if obj["in"] == "path" {
				names[obj["name"].(string)] = true
			}
		}
	}
	return names
}

// TestOpenAPISchemasMatchTypes: each wire type's JSON fields are the
// properties of its schema, and the fields always present are required.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadDocument(t)
	types := map[string]reflect.Type{
		"Set": reflect.TypeFor[Set](), "SetSpec": reflect.TypeFor[SetSpec](), "Policy": reflect.TypeFor[Policy](),
		"SetMember": reflect.TypeFor[SetMember](), "RoleSpec": reflect.TypeFor[RoleSpec](), "Health": reflect.TypeFor[Health](),
		"Member": reflect.TypeFor[Member](), "MemberSpec": reflect.TypeFor[MemberSpec](), "Probe": reflect.TypeFor[Probe](),
		"HealthReport": reflect.TypeFor[HealthReport](), "FailoverRequest": reflect.TypeFor[FailoverRequest](),
		"FailoverResult": reflect.TypeFor[FailoverResult](), "Event": reflect.TypeFor[Event](),
		"HealthChange": reflect.TypeFor[HealthChange](), "StatusChange": reflect.TypeFor[StatusChange](),
		"FailoverEvent": reflect.TypeFor[FailoverEvent](), "ConfigChange": reflect.TypeFor[ConfigChange](),
		"FlapGuard": reflect.TypeFor[FlapGuard](), "MemberReturned": reflect.TypeFor[MemberReturned](),
		"HookDelivery": reflect.TypeFor[HookDelivery](), "IndicationDelivery": reflect.TypeFor[IndicationDelivery](), "Actor": reflect.TypeFor[Actor](), "Pause": reflect.TypeFor[Pause](), "Maintenance": reflect.TypeFor[Maintenance](),
		"MaintenanceChange": reflect.TypeFor[MaintenanceChange](), "ScheduleChange": reflect.TypeFor[ScheduleChange](),
		"FrontendChange":  reflect.TypeFor[FrontendChange](),
		"ScheduleRequest": reflect.TypeFor[ScheduleRequest](), "ScheduledFailover": reflect.TypeFor[ScheduledFailover](),
		"ScheduledList": reflect.TypeFor[ScheduledList](), "ClusterInfo": reflect.TypeFor[ClusterInfo](),
		"ClusterPeer": reflect.TypeFor[ClusterPeer](), "ClusterServer": reflect.TypeFor[ClusterServer](),
		"SetList": reflect.TypeFor[SetList](), "MemberList": reflect.TypeFor[MemberList](),
		"EventList": reflect.TypeFor[EventList](), "Lagged": reflect.TypeFor[Lagged](), "Problem": reflect.TypeFor[Problem](),
		"SetPatch": reflect.TypeFor[SetSpec](), "Frontend": reflect.TypeFor[Frontend](),
		"FrontendStatus": reflect.TypeFor[FrontendStatus](), "MemberTraffic": reflect.TypeFor[MemberTraffic](),
		"User": reflect.TypeFor[User](), "UserList": reflect.TypeFor[UserList](),
		"IndicationSubscription": reflect.TypeFor[IndicationSubscription](), "Delivery": reflect.TypeFor[Delivery](),
		"IndicationSubscriptionList": reflect.TypeFor[IndicationSubscriptionList](),
		"NewUser":                    reflect.TypeFor[NewUser](), "PasswordChange": reflect.TypeFor[PasswordChange](), "ConfigReload": reflect.TypeFor[ConfigReload](),
	}
	schemas := at(t, doc, "components", "schemas").(jsonObject)
	for name, typ := range types {
		t.Run(name, func(t *testing.T) {
			schema, _ := schemas[name].(jsonObject)
			props, _ := schema["properties"].(jsonObject)
			var gotProps []string
			for p := range props {
				gotProps = append(gotProps, p)
			}
			wantProps, wantRequired := fieldsOf(typ)
			slices.Sort(gotProps)
			if diff := cmp.Diff(wantProps, gotProps); diff != "" {
				t.Errorf("properties (-Go type +schema):\n%s", diff)
			}
			switch name {
			case "SetSpec", "SetPatch", "MemberSpec", "Policy", "Probe", "Problem":
				return // (parts of) request bodies, and problems: required is decided by rules, not the shape
			}
			var gotRequired []string
			for _, r := range asList(schema["required"]) {
				gotRequired = append(gotRequired, r.(string))
			}
			slices.Sort(gotRequired)
			if diff := cmp.Diff(wantRequired, gotRequired); diff != "" {
				t.Errorf("required (-always present in Go +schema):\n%s", diff)
			}
		})
	}
	for name := range schemas {
		if _, ok := types[name]; !ok {
			t.Errorf("schema %s has no Go type in this test", name)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// fieldsOf lists a struct's JSON names, and those always written (no
// omitempty/omitzero, not a pointer).
func fieldsOf(t reflect.Type) (all, always []string) {
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		all = append(all, name)
		if opts == "" && f.Type.Kind() != reflect.Pointer {
			always = append(always, name)
		}
	}
	slices.Sort(all)
	slices.Sort(always)
	return all, always
}

func TestOpenAPIVersion(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.Version = "9.8.7" })
	raw, err := env.nobody.OpenAPI(bg)
	if err != nil {
		t.Fatalf("OpenAPI: %v", err)
	}
	var doc jsonObject
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("served document: %v", err)
	}
	if got := at(t, doc, "info", "version"); got != "9.8.7" {
		t.Errorf("info.version = %v, want the server version", got)
	}
	if got := at(t, doc, "openapi"); got != "3.1.0" {
		t.Errorf("the served document lost openapi: %v", got)
	}
}
