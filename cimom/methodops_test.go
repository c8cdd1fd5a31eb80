package cimom

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

func TestInvokeMethod(t *testing.T) {
	web := setPath("redset:web")
	from := cim.NewString(`Test_ComputerSystem.CreationClassName="Test_ComputerSystem",Name="web-a"`)
	to := cim.NewReference(systemPath("web-b"))
	tests := []struct {
		name      string
		req       Request
		want      cim.Status
		fragment  string
		wantRV    cim.Value
		wantOut   []Param
		wantTyped []cim.Type // types of the parameters the provider saw
	}{
		{"failover with untyped reference", Request{ObjectName: web, Method: "failover", Params: []Param{{"failoverfrom", from}, {"FailoverTo", to}}},
			cim.StatusOK, "", cim.MustUint32(0), nil, []cim.Type{cim.Reference, cim.Reference}},
		{"static method on the class", Request{ObjectName: cim.ObjectPath{ClassName: "Test_RedundancySet"}, Method: "Ping", Params: []Param{{"Text", cim.NewString("hi")}, {"Count", cim.MustUint64(3)}}},
			cim.StatusOK, "", cim.MustUint32(0), []Param{{"Echo", cim.NewString("hi")}}, []cim.Type{cim.String, cim.Uint8}},
		{"static method by ClassName", Request{ClassName: "Test_RedundancySet", Method: "Ping", Params: []Param{{"Text", cim.NewString("yo")}}},
			cim.StatusOK, "", cim.MustUint32(0), []Param{{"Echo", cim.NewString("yo")}}, []cim.Type{cim.String}},
		{"static method on an instance", Request{ObjectName: web, Method: "Ping", Params: []Param{{"Text", cim.NewString("x")}}},
			cim.StatusOK, "", cim.MustUint32(0), []Param{{"Echo", cim.NewString("x")}}, []cim.Type{cim.String}},
		{"keyless class", Request{ClassName: "Test_Singleton", Method: "Reset"}, cim.StatusOK, "", cim.MustUint32(7), nil, nil},
		{"unknown method", Request{ObjectName: web, Method: "Explode"}, cim.StatusMethodNotFound, `"Explode"`, cim.Value{}, nil, nil},
		{"unknown class", Request{ClassName: "Test_Nothing", Method: "Ping"}, cim.StatusInvalidClass, "Test_Nothing", cim.Value{}, nil, nil},
		{"undeclared parameter", Request{ObjectName: web, Method: "Failover", Params: []Param{{"Force", cim.NewBool(true)}}}, cim.StatusInvalidParameter, `"Force"`, cim.Value{}, nil, nil},
		{"output given as input", Request{ClassName: "Test_RedundancySet", Method: "Ping", Params: []Param{{"Text", cim.NewString("x")}, {"Echo", cim.NewString("x")}}}, cim.StatusInvalidParameter, "Echo", cim.Value{}, nil, nil},
		{"parameter twice", Request{ObjectName: web, Method: "Failover", Params: []Param{{"FailoverTo", to}, {"failoverto", to}}}, cim.StatusInvalidParameter, "twice", cim.Value{}, nil, nil},
		{"parameter of wrong type", Request{ClassName: "Test_RedundancySet", Method: "Ping", Params: []Param{{"Text", cim.NewString("x")}, {"Count", cim.NewString("many")}}}, cim.StatusInvalidParameter, "Count", cim.Value{}, nil, nil},
		{"parameter out of range", Request{ClassName: "Test_RedundancySet", Method: "Ping", Params: []Param{{"Text", cim.NewString("x")}, {"Count", cim.MustUint64(300)}}}, cim.StatusInvalidParameter, "Count", cim.Value{}, nil, nil},
		{"reference that does not parse reaches the provider as text", Request{ObjectName: web, Method: "Failover", Params: []Param{{"FailoverFrom", cim.NewString("not a path")}}},
			cim.StatusOK, "", cim.MustUint32(0), nil, []cim.Type{cim.String}},
		{"number for a reference", Request{ObjectName: web, Method: "Failover", Params: []Param{{"FailoverFrom", cim.MustUint32(7)}}}, cim.StatusInvalidParameter, "FailoverFrom", cim.Value{}, nil, nil},
		{"array for a scalar", Request{ClassName: "Test_RedundancySet", Method: "Ping", Params: []Param{{"Text", cim.NewStringArray([]string{"x"})}}}, cim.StatusInvalidParameter, "Text", cim.Value{}, nil, nil},
		{"required parameter missing", Request{ClassName: "Test_RedundancySet", Method: "Ping"}, cim.StatusInvalidParameter, "needs parameter Text", cim.Value{}, nil, nil},
		{"instance method on the class", Request{ClassName: "Test_RedundancySet", Method: "Failover"}, cim.StatusInvalidParameter, "not static", cim.Value{}, nil, nil},
		{"bad keys", Request{ObjectName: cim.NewObjectPath("", "Test_RedundancySet", cim.KeyBinding{Name: "Bogus", Value: cim.NewString("x")}), Method: "Failover"}, cim.StatusInvalidParameter, "Bogus", cim.Value{}, nil, nil},
		{"provider without methods", Request{ObjectName: systemPath("web-a"), Method: "Failover"}, cim.StatusMethodNotFound, "Failover", cim.Value{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			tt.req.Op = InvokeMethod
			resp, err := f.handle(t, &tt.req)
			wantStatus(t, err, tt.want, tt.fragment)
			if err != nil {
				if f.sets.lastIn != nil {
					t.Errorf("provider was called with %v", f.sets.lastIn)
				}
				return
			}
			if !resp.ReturnValue.Equal(tt.wantRV) {
				t.Errorf("ReturnValue = %v (%s), want %v (%s)", resp.ReturnValue, resp.ReturnValue.Type(), tt.wantRV, tt.wantRV.Type())
			}
			if diff := cmp.Diff(tt.wantOut, resp.Out, cmp.Comparer(cim.Value.Equal)); diff != "" {
				t.Errorf("Out (-want +got):\n%s", diff)
			}
			var types []cim.Type
			for _, p := range f.sets.lastIn {
				types = append(types, p.Value.Type())
			}
			if diff := cmp.Diff(tt.wantTyped, types); diff != "" {
				t.Errorf("parameter types (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvokeMethodNotSupported(t *testing.T) {
	f := newFixture(t, Options{})
	// Test_SubSet inherits Failover but its own provider has no methods.
	_, err := f.handle(t, &Request{Op: InvokeMethod, ObjectName: subSetPath("redset:sub"), Method: "Failover"})
	wantStatus(t, err, cim.StatusNotSupported, "Test_SubSet", "Failover")
}
