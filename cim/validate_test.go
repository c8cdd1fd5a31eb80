package cim

import (
	"strings"
	"testing"
)

func q(name string, v Value) Qualifier { return Qualifier{Name: name, Value: v} }

// redundancySetClass is a cut-down effective Msvm_RedundancySet.
func redundancySetClass() *Class {
	return &Class{Name: "Msvm_RedundancySet", Properties: []Property{
		{Name: "InstanceID", Type: String, Qualifiers: Qualifiers{boolQ("Key", true)}},
		{Name: "Caption", Type: String, Qualifiers: Qualifiers{q("MaxLen", MustUint32(64))}},
		{Name: "ElementName", Type: String, Qualifiers: Qualifiers{boolQ("Required", true), q("MinLen", MustUint32(1))}},
		{Name: "RedundancyStatus", Type: Uint16, Qualifiers: Qualifiers{
			q("ValueMap", NewStringArray([]string{"0", "1", "2", "3", "4", "5"}))}},
		{Name: "TypeOfSet", Type: Uint16, IsArray: true, Qualifiers: Qualifiers{
			q("ArrayType", NewString("Indexed")),
			q("ValueMap", NewStringArray([]string{"0", "1", "2", "3", "4", "5", "6..32767", "32768..65535"}))}},
		{Name: "OtherTypeOfSet", Type: String, IsArray: true, Qualifiers: Qualifiers{
			q("ArrayType", NewString("indexed")), q("MaxLen", MustUint32(8))}},
		{Name: "MinNumberNeeded", Type: Uint32, Qualifiers: Qualifiers{q("MinValue", MustSint64(1)), q("MaxValue", MustSint64(10))}},
		{Name: "LoadBalanceAlgorithm", Type: Uint16, Default: MustUint16(2), Qualifiers: Qualifiers{boolQ("Write", true),
			q("ValueMap", NewStringArray([]string{"0", "1", "2", "3", "4", "5", "6", "7"}))}},
		{Name: "OtherLoadBalanceAlgorithm", Type: String, Qualifiers: Qualifiers{boolQ("Write", true)}},
	}}
}

func validSet() Instance {
	return Instance{ClassName: "Msvm_RedundancySet", Properties: []PropertyValue{
		{"InstanceID", NewString("redset:a")},
		{"Caption", NewString("web")},
		{"ElementName", NewString("web")},
		{"RedundancyStatus", MustUint16(2)},
		{"TypeOfSet", MustUint16Array([]uint16{4, 40000})},
		{"MinNumberNeeded", MustUint32(1)},
	}}
}

func TestValidateInstanceValid(t *testing.T) {
	if err := ValidateInstance(redundancySetClass(), validSet()); err != nil {
		t.Errorf("ValidateInstance(valid) = %v, want nil", err)
	}
	if v := Violations(redundancySetClass(), validSet()); v != nil {
		t.Errorf("Violations(valid) = %v, want nil", v)
	}
}

func TestValidateInstanceViolations(t *testing.T) {
	tests := []struct {
		name   string
		set    string
		value  Value
		status Status
		frags  []string
	}{
		{"unknown property", "Bogus", NewString("x"), StatusNoSuchProperty, []string{"no property Bogus in class Msvm_RedundancySet"}},
		{"type mismatch", "Caption", MustUint16(1), StatusTypeMismatch, []string{"property Caption", "uint16 where string is declared"}},
		{"array for scalar", "Caption", NewStringArray(nil), StatusTypeMismatch, []string{"string[] where string"}},
		{"integer out of range", "RedundancyStatus", MustUint32(70000), StatusInvalidParameter, []string{"property RedundancyStatus", "70000 out of range for uint16"}},
		{"integer width", "RedundancyStatus", MustUint32(2), StatusTypeMismatch, []string{"uint32 where uint16"}},
		{"key null", "InstanceID", Null(String, false), StatusInvalidParameter, []string{"property InstanceID: Key must not be null"}},
		{"required null", "ElementName", Null(String, false), StatusInvalidParameter, []string{"property ElementName: Required must not be null"}},
		{"MaxLen", "Caption", NewString(strings.Repeat("x", 70)), StatusInvalidParameter, []string{"property Caption: MaxLen 64 exceeded by value of length 70"}},
		{"MaxLen counts characters", "Caption", NewString(strings.Repeat("é", 65)), StatusInvalidParameter, []string{"length 65"}},
		{"MinLen", "ElementName", NewString(""), StatusInvalidParameter, []string{"property ElementName: MinLen 1 not met by value of length 0"}},
		{"MaxLen array element", "OtherTypeOfSet", NewStringArray([]string{"ok", "much too long"}), StatusInvalidParameter, []string{"property OtherTypeOfSet: MaxLen 8 exceeded by element 1 of length 13"}},
		{"MinValue", "MinNumberNeeded", MustUint32(0), StatusInvalidParameter, []string{"property MinNumberNeeded: MinValue 1 not met by value 0"}},
		{"MaxValue", "MinNumberNeeded", MustUint32(11), StatusInvalidParameter, []string{"property MinNumberNeeded: MaxValue 10 exceeded by value 11"}},
		{"ValueMap", "RedundancyStatus", MustUint16(6), StatusInvalidParameter, []string{"property RedundancyStatus: value 6 not in ValueMap"}},
		{"ValueMap with default", "LoadBalanceAlgorithm", MustUint16(8), StatusInvalidParameter, []string{"property LoadBalanceAlgorithm: value 8 not in ValueMap"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst := validSet()
			inst.Set(tt.set, tt.value)
			err := ValidateInstance(redundancySetClass(), inst)
			wantError(t, err, tt.status, tt.frags...)
		})
	}
}

func TestValidateInstanceAllViolations(t *testing.T) {
	inst := Instance{ClassName: "Other", Properties: []PropertyValue{
		{"Caption", NewString(strings.Repeat("x", 65))},
		{"caption", NewString("x")},
		{"Nope", NewBool(true)},
	}}
	got := Violations(redundancySetClass(), inst)
	want := []Status{StatusInvalidClass, StatusInvalidParameter, StatusNoSuchProperty,
		StatusInvalidParameter, StatusInvalidParameter, StatusInvalidParameter}
	if len(got) != len(want) {
		t.Fatalf("got %d violations %v, want %d", len(got), got, len(want))
	}
	for i, e := range got {
		if e.Status != want[i] {
			t.Errorf("violation %d = %v, want status %s", i, e, want[i])
		}
	}
	err := ValidateInstance(redundancySetClass(), inst)
	wantError(t, err, StatusInvalidClass, "instance of Other", "; property caption given twice", "Key must not be null", "Required must not be null")
}

func TestValidateArrayRules(t *testing.T) {
	tests := []struct {
		name  string
		prop  Property
		value Value
		frag  string
	}{
		{"ArraySize", Property{Name: "A", Type: Uint8, IsArray: true, ArraySize: 2},
			must(t)(NewArray(Uint8, []Value{MustUint8(1), MustUint8(2), MustUint8(3)})), "property A: ArraySize 2 exceeded by 3 elements"},
		{"ArrayType unknown", Property{Name: "A", Type: Uint8, IsArray: true, Qualifiers: Qualifiers{q("ArrayType", NewString("Set"))}},
			must(t)(NewArray(Uint8, nil)), `property A: ArrayType "Set" is not Bag, Ordered or Indexed`},
		{"ValueMap array element", Property{Name: "A", Type: Uint16, IsArray: true, Qualifiers: Qualifiers{q("ValueMap", NewStringArray([]string{"1", "2"}))}},
			MustUint16Array([]uint16{1, 3}), "property A: element 1 3 not in ValueMap"},
		{"ArrayType on scalar", Property{Name: "A", Type: Uint8, Qualifiers: Qualifiers{q("ArrayType", NewString("Bag"))}},
			MustUint8(1), `ArrayType "Bag" on a property that is not an array`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Class{Name: "C", Properties: []Property{tt.prop}}
			err := ValidateInstance(c, Instance{Properties: []PropertyValue{{"A", tt.value}}})
			wantError(t, err, StatusInvalidParameter, tt.frag)
		})
	}
	for _, at := range []string{"Bag", "ordered", "INDEXED"} {
		t.Run("ArrayType "+at, func(t *testing.T) {
			c := &Class{Name: "C", Properties: []Property{{Name: "A", Type: Uint8, IsArray: true,
				Qualifiers: Qualifiers{q("ArrayType", NewString(at))}}}}
			if err := ValidateInstance(c, Instance{Properties: []PropertyValue{{"A", must(t)(NewArray(Uint8, nil))}}}); err != nil {
				t.Errorf("ValidateInstance = %v, want nil", err)
			}
		})
	}
}

func TestValueMapRanges(t *testing.T) {
	tests := []struct {
		name    string
		typ     Type
		entries []string
		allowed []int64
		refused []int64
	}{
		{"open low", Uint16, []string{"..2", "10"}, []int64{0, 2, 10}, []int64{3, 9, 11}},
		{"closed", Uint16, []string{"6..32767"}, []int64{6, 32767}, []int64{5, 32768}},
		{"open high hex", Uint16, []string{"0x8000.."}, []int64{32768, 65535}, []int64{32767, 0}},
		{"gap", Uint16, []string{"0", "1", "..", "16"}, []int64{0, 1, 2, 15, 16}, []int64{17}},
		{"gap first", Uint8, []string{"..", "10"}, []int64{0, 9, 10}, []int64{11}},
		{"gap last", Uint8, []string{"0", ".."}, []int64{0, 1, 255}, []int64{}},
		{"gap alone", Uint8, []string{".."}, []int64{0, 255}, []int64{}},
		{"gap after max", Uint8, []string{"255", ".."}, []int64{255}, []int64{0}},
		{"signed", Sint16, []string{"-5..-1", "3", ".."}, []int64{-5, -1, 3, 4, 32767}, []int64{-6, 0, 2, -32768}},
		{"signed open low", Sint8, []string{"..-100"}, []int64{-128, -100}, []int64{-99, 0}},
		{"junk entries ignored", Uint8, []string{"x", "1..y", "5", "300"}, []int64{5}, []int64{1, 44}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range tt.allowed {
				if !valueMapAllows(tt.entries, intValue(t, tt.typ, n)) {
					t.Errorf("%d refused by %q, want allowed", n, tt.entries)
				}
			}
			for _, n := range tt.refused {
				if valueMapAllows(tt.entries, intValue(t, tt.typ, n)) {
					t.Errorf("%d allowed by %q, want refused", n, tt.entries)
				}
			}
		})
	}
	t.Run("strings", func(t *testing.T) {
		if !valueMapAllows([]string{"a", "b"}, NewString("b")) || valueMapAllows([]string{"a", ".."}, NewString("B")) {
			t.Errorf("string ValueMap matching wrong")
		}
	})
}

func intValue(t *testing.T, typ Type, n int64) Value {
	if typ.IsSigned() {
		return must(t)(NewSint(typ, n))
	}
	return must(t)(NewUint(typ, uint64(n)))
}

func TestValuesWithoutValueMap(t *testing.T) {
	c := &Class{Name: "C", Properties: []Property{{Name: "S", Type: Sint8,
		Qualifiers: Qualifiers{q("Values", NewStringArray([]string{"Zero", "One"}))}}}}
	for _, tc := range []struct {
		n    int64
		frag string
	}{{0, ""}, {1, ""}, {2, "value 2 is not one of the 2 Values"}, {-1, "value -1 is not one of"}} {
		err := ValidateInstance(c, Instance{Properties: []PropertyValue{{"S", intValue(t, Sint8, tc.n)}}})
		if tc.frag == "" {
			if err != nil {
				t.Errorf("S=%d: %v, want nil", tc.n, err)
			}
			continue
		}
		wantError(t, err, StatusInvalidParameter, tc.frag)
	}
}

func TestValidateModification(t *testing.T) {
	old := validSet()
	tests := []struct {
		name  string
		new   []PropertyValue
		frags []string
	}{
		{"writable change", []PropertyValue{{"LoadBalanceAlgorithm", MustUint16(3)}}, nil},
		{"same read-only values", []PropertyValue{{"Caption", NewString("web")}, {"RedundancyStatus", MustUint16(2)}}, nil},
		{"absent null equals null", []PropertyValue{{"OtherTypeOfSet", Null(String, true)}}, nil},
		{"read-only change", []PropertyValue{{"Caption", NewString("new")}},
			[]string{`property Caption: read-only (no Write qualifier), cannot change from "web" to "new"`}},
		{"key change", []PropertyValue{{"InstanceID", NewString("redset:b")}},
			[]string{`property InstanceID: Key, cannot change from "redset:a" to "redset:b"`}},
		{"invalid writable value", []PropertyValue{{"LoadBalanceAlgorithm", MustUint16(9)}},
			[]string{"value 9 not in ValueMap"}},
		{"unknown property", []PropertyValue{{"Nope", NewString("x")}}, []string{"no property Nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateModification(redundancySetClass(), old, Instance{ClassName: old.ClassName, Properties: tt.new})
			if tt.frags == nil {
				if err != nil {
					t.Errorf("ValidateModification = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateModification = nil, want error with %q", tt.frags)
			}
			for _, f := range tt.frags {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not contain %q", err, f)
				}
			}
		})
	}
	if v, _ := old.Get("LoadBalanceAlgorithm"); !v.IsNull() {
		t.Errorf("ValidateModification changed old: LoadBalanceAlgorithm = %v", v)
	}
}
