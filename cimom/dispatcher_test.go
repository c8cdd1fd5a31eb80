package cimom

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
)

type noCapability struct{}

func TestRegister(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name, ns, class string
		p               any
		want            cim.Status
		fragment        string
	}{
		{"unknown namespace", "root/nowhere", "Test_Log", &memProvider{}, cim.StatusInvalidNamespace, "root/nowhere"},
		{"unknown class", testNS, "Test_Nothing", &memProvider{}, cim.StatusInvalidClass, "Test_Nothing"},
		{"no capability", testNS, "Test_Log", noCapability{}, cim.StatusInvalidParameter, "implements no provider interface"},
		{"association provider on a plain class", testNS, "Test_Log", &assocProvider{&memProvider{}}, cim.StatusInvalidParameter, "not an association"},
		{"second provider", testNS, "test_redundancyset", &memProvider{}, cim.StatusAlreadyExists, "already has a provider"},
		{"ok", `root\test`, "Test_Log", &memProvider{}, cim.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.d.Register(tt.ns, tt.class, tt.p)
			wantStatus(t, err, tt.want, tt.fragment)
		})
	}
}

func TestHandleRefusesBadRequests(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name string
		req  *Request
		want cim.Status
	}{
		{"unknown operation", &Request{Op: Operation(200), Namespace: testNS}, cim.StatusNotSupported},
		{"invalid operation", &Request{Op: OpInvalid, Namespace: testNS}, cim.StatusNotSupported},
		{"no namespace", &Request{Op: GetClass, Namespace: "/", ClassName: "Test_Log"}, cim.StatusInvalidNamespace},
		{"unknown namespace", &Request{Op: EnumerateInstances, Namespace: "root/nowhere", ClassName: "Test_Log"}, cim.StatusInvalidNamespace},
		{"namespace spelled otherwise", &Request{Op: GetClass, Namespace: `ROOT\Test`, ClassName: "Test_Log"}, cim.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.d.Handle(context.Background(), tt.req)
			wantStatus(t, err, tt.want)
		})
	}
	t.Run("nil request", func(t *testing.T) {
		_, err := f.d.Handle(context.Background(), nil)
		wantStatus(t, err, cim.StatusInvalidParameter)
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.d.Handle(ctx, &Request{Op: GetClass, Namespace: testNS, ClassName: "Test_Log"})
		wantStatus(t, err, cim.StatusFailed, "abandoned")
	})
}

func TestOperationsCoverEveryOp(t *testing.T) {
	for op := OpInvalid + 1; op < opCount; op++ {
		if handlerFor(op) == nil {
			t.Errorf("operation %v has no handler", op)
		}
	}
}

func TestProviderErrorsBecomeCIMErrors(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.handle(t, &Request{Op: InvokeMethod, ObjectName: setPath("redset:web"), Method: "Failover"})
	wantStatus(t, err, cim.StatusOK)
	// Ping with Text succeeds; an unknown method reaching the provider
	// returns a plain error, which must come back as CIM_ERR_FAILED.
	err = f.d.cimError(errors.New("disk on fire"))
	wantStatus(t, err, cim.StatusFailed, "disk on fire")
	wrapped := f.d.cimError(errors.Join(errors.New("context"), cim.Errorf(cim.StatusNotFound, "gone")))
	wantStatus(t, wrapped, cim.StatusNotFound, "gone")
}

func TestGetClass(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name      string
		req       Request
		wantProps []string
		check     func(t *testing.T, c *cim.Class)
	}{
		{"all properties, no qualifiers", Request{ClassName: "test_subset"},
			[]string{"Caption", "ElementName", "InstanceID", "RedundancyStatus", "TypeOfSet", "MinNumberNeeded", "LoadBalanceAlgorithm", "OtherLoadBalanceAlgorithm", "Extra"},
			func(t *testing.T, c *cim.Class) {
				if c.Name != "Test_SubSet" {
					t.Errorf("Name = %q, want Test_SubSet", c.Name)
				}
				if len(c.Qualifiers) != 0 || len(c.Properties[2].Qualifiers) != 0 || len(c.Methods[0].Parameters[0].Qualifiers) != 0 {
					t.Errorf("qualifiers kept without IncludeQualifiers")
				}
				if c.Properties[0].ClassOrigin != "" {
					t.Errorf("ClassOrigin = %q without IncludeClassOrigin", c.Properties[0].ClassOrigin)
				}
			}},
		{"local only", Request{ClassName: "Test_SubSet", LocalOnly: true, IncludeQualifiers: true}, []string{"Extra"},
			func(t *testing.T, c *cim.Class) {
				if len(c.Methods) != 0 {
					t.Errorf("LocalOnly kept %d inherited methods", len(c.Methods))
				}
				if _, ok := c.Properties[0].Qualifiers.Get("Write"); !ok {
					t.Errorf("IncludeQualifiers lost the Write qualifier of Extra")
				}
			}},
		{"class origin", Request{ClassName: "Test_SubSet", IncludeClassOrigin: true, PropertyList: []string{"caption", "extra", "bogus"}},
			[]string{"Caption", "Extra"},
			func(t *testing.T, c *cim.Class) {
				if got := c.Properties[0].ClassOrigin; got != "Test_ManagedElement" {
					t.Errorf("Caption ClassOrigin = %q, want Test_ManagedElement", got)
				}
			}},
		{"empty property list", Request{ClassName: "Test_SubSet", PropertyList: []string{}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Op = GetClass
			resp, err := f.handle(t, &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range resp.Class.Properties {
				got = append(got, p.Name)
			}
			if diff := cmp.Diff(tt.wantProps, got); diff != "" {
				t.Errorf("properties (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, resp.Class)
			}
		})
	}
	t.Run("repository copy untouched", func(t *testing.T) {
		c, _ := f.d.repo.Class(testNS, "Test_SubSet")
		if len(c.Qualifiers) == 0 || c.Properties[0].ClassOrigin == "" {
			t.Errorf("GetClass changed the repository's class")
		}
	})
	t.Run("unknown class is not found", func(t *testing.T) {
		_, err := f.handle(t, &Request{Op: GetClass, ClassName: "Test_Nothing"})
		wantStatus(t, err, cim.StatusNotFound, "Test_Nothing")
	})
}

func TestEnumerateClasses(t *testing.T) {
	f := newFixture(t, Options{})
	tests := []struct {
		name      string
		req       Request
		want      []string
		wantClass cim.Status
	}{
		{"roots", Request{}, []string{"Test_ManagedElement", "Test_MemberOfCollection", "Test_Singleton"}, cim.StatusOK},
		{"all", Request{DeepInheritance: true}, []string{"Test_ManagedElement", "Test_Collection", "Test_RedundancySet", "Test_SubSet", "Test_ComputerSystem", "Test_Log", "Test_MemberOfCollection", "Test_Singleton"}, cim.StatusOK},
		{"direct subclasses", Request{ClassName: "Test_ManagedElement"}, []string{"Test_Collection", "Test_ComputerSystem", "Test_Log"}, cim.StatusOK},
		{"deep subclasses", Request{ClassName: "Test_Collection", DeepInheritance: true}, []string{"Test_RedundancySet", "Test_SubSet"}, cim.StatusOK},
		{"leaf", Request{ClassName: "Test_SubSet"}, nil, cim.StatusOK},
		{"unknown", Request{ClassName: "Test_Nothing"}, nil, cim.StatusInvalidClass},
	}
	for _, tt := range tests {
		for _, op := range []Operation{EnumerateClasses, EnumerateClassNames} {
			t.Run(tt.name+"/"+op.String(), func(t *testing.T) {
				req := tt.req
				req.Op = op
				resp, err := f.handle(t, &req)
				wantStatus(t, err, tt.wantClass)
				if err != nil {
					return
				}
				objs, err := collect(resp.Objects)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, o := range objs {
					got = append(got, o.Path.ClassName)
					if (o.Class != nil) != (op == EnumerateClasses) {
						t.Errorf("%s: Class set = %v", o.Path.ClassName, o.Class != nil)
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("classes (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestQualifiers(t *testing.T) {
	f := newFixture(t, Options{})
	t.Run("get", func(t *testing.T) {
		resp, err := f.handle(t, &Request{Op: GetQualifier, QualifierName: "key"})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Qualifiers) != 1 || resp.Qualifiers[0].Name != "Key" {
			t.Errorf("Qualifiers = %v, want [Key]", resp.Qualifiers)
		}
	})
	t.Run("get unknown", func(t *testing.T) {
		_, err := f.handle(t, &Request{Op: GetQualifier, QualifierName: "Bogus"})
		wantStatus(t, err, cim.StatusNotFound, "Bogus")
	})
	t.Run("enumerate", func(t *testing.T) {
		resp, err := f.handle(t, &Request{Op: EnumerateQualifiers})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(resp.Qualifiers); got != 2 {
			t.Errorf("got %d qualifier declarations, want 2", got)
		}
	})
}
