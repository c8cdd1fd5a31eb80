package cim

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseValueRoundTrip(t *testing.T) {
	tests := []struct {
		typ  Type
		text string
	}{
		{Boolean, "true"}, {Boolean, "false"},
		{String, ""}, {String, "  spaced \"quoted\" \\ text  "},
		{Char16, "x"}, {Char16, "é"},
		{Datetime, "20240131235959.123456+060"}, {Datetime, "00000001020304.000005:000"},
		{Uint8, "0"}, {Uint8, "255"},
		{Sint8, "-128"}, {Sint8, "127"},
		{Uint16, "65535"}, {Sint16, "-32768"}, {Sint16, "32767"},
		{Uint32, "4294967295"}, {Sint32, "-2147483648"}, {Sint32, "2147483647"},
		{Uint64, "18446744073709551615"}, {Sint64, "-9223372036854775808"}, {Sint64, "9223372036854775807"},
		{Real32, "1.5"}, {Real32, "3.4028235e+38"}, {Real32, "-0.1"},
		{Real64, "0.1"}, {Real64, "1e+300"}, {Real64, "INF"}, {Real64, "-INF"}, {Real64, "NaN"},
		{Reference, `/root/cimv2:CIM_Foo.Name="a"`},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String()+"/"+tt.text, func(t *testing.T) {
			v, err := ParseValue(tt.typ, tt.text)
			if err != nil {
				t.Fatalf("ParseValue: %v", err)
			}
			if v.Type() != tt.typ || v.IsArray() || v.IsNull() {
				t.Errorf("got %s, want non-null scalar %s", v.describe(), tt.typ)
			}
			if got := v.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			back, err := ParseValue(tt.typ, v.String())
			if err != nil || !back.Equal(v) {
				t.Errorf("reparse = %v, %v; want %v", back, err, v)
			}
		})
	}
}

func TestParseValueAlternateForms(t *testing.T) {
	tests := []struct {
		name string
		typ  Type
		text string
		want Value
	}{
		{"bool upper", Boolean, "TRUE", NewBool(true)},
		{"bool spaced", Boolean, " False ", NewBool(false)},
		{"hex", Uint16, "0xFFFF", MustUint16(65535)},
		{"hex upper X", Uint8, "0X1f", MustUint8(31)},
		{"plus sign", Uint32, "+7", MustUint32(7)},
		{"negative hex", Sint32, "-0x10", MustSint32(-16)},
		{"minus zero unsigned", Uint8, "-0", MustUint8(0)},
		{"spaces", Uint32, " 42\n", MustUint32(42)},
		{"real exponent", Real64, "2.5E3", NewReal(Real64, 2500)},
		{"real integer text", Real64, "3", NewReal(Real64, 3)},
		{"inf lower", Real32, "inf", NewReal(Real32, math.Inf(1))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseValue(tt.typ, tt.text)
			if err != nil {
				t.Fatalf("ParseValue(%s, %q): %v", tt.typ, tt.text, err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("ParseValue(%s, %q) mismatch (-want +got):\n%s", tt.typ, tt.text, diff)
			}
		})
	}
}

func TestParseValueErrors(t *testing.T) {
	tests := []struct {
		typ       Type
		text      string
		fragments []string
	}{
		{Uint8, "256", []string{"out of range for uint8", "256"}},
		{Uint8, "-1", []string{"out of range for uint8"}},
		{Sint8, "-129", []string{"out of range for sint8", "-129"}},
		{Sint8, "128", []string{"out of range for sint8"}},
		{Uint16, "65536", []string{"out of range for uint16"}},
		{Sint16, "-32769", []string{"out of range for sint16"}},
		{Uint32, "4294967296", []string{"out of range for uint32"}},
		{Sint32, "2147483648", []string{"out of range for sint32"}},
		{Uint64, "18446744073709551616", []string{"out of range for uint64"}},
		{Sint64, "9223372036854775808", []string{"out of range for sint64"}},
		{Sint64, "-9223372036854775809", []string{"out of range for sint64"}},
		{Real32, "1e39", []string{"out of range for real32"}},
		{Real64, "1e309", []string{"out of range for real64"}},
		{Uint16, "abc", []string{"invalid uint16 value", `"abc"`}},
		{Uint16, "", []string{"invalid uint16 value"}},
		{Uint16, "1_000", []string{"invalid uint16 value"}},
		{Sint16, "--1", []string{"invalid sint16 value"}},
		{Uint8, "0x", []string{"invalid uint8 value"}},
		{Real64, "1.2.3", []string{"invalid real64 value"}},
		{Real64, "0x1p3", []string{"invalid real64 value"}},
		{Real64, "Infinity", []string{"invalid real64 value"}},
		{Boolean, "yes", []string{"invalid boolean value", `"yes"`}},
		{Char16, "ab", []string{"invalid char16 value"}},
		{Char16, "", []string{"invalid char16 value"}},
		{Char16, "😀", []string{"invalid char16 value"}},
		{Datetime, "2024", []string{"invalid datetime"}},
		{Reference, "::", []string{"invalid object path"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String()+"/"+tt.text, func(t *testing.T) {
			_, err := ParseValue(tt.typ, tt.text)
			wantError(t, err, StatusInvalidParameter, tt.fragments...)
		})
	}
	t.Run("invalid type", func(t *testing.T) {
		_, err := ParseValue(Invalid, "1")
		wantError(t, err, StatusTypeMismatch, "invalid")
	})
}

func TestConstructorRanges(t *testing.T) {
	tests := []struct {
		name   string
		make   func() (Value, error)
		status Status
		frag   string
	}{
		{"uint8 256", func() (Value, error) { return NewUint(Uint8, 256) }, StatusInvalidParameter, "out of range for uint8"},
		{"uint32 max+1", func() (Value, error) { return NewUint(Uint32, 1<<32) }, StatusInvalidParameter, "out of range for uint32"},
		{"sint8 -129", func() (Value, error) { return NewSint(Sint8, -129) }, StatusInvalidParameter, "out of range for sint8"},
		{"sint16 32768", func() (Value, error) { return NewSint(Sint16, 32768) }, StatusInvalidParameter, "out of range for sint16"},
		{"uint with signed type", func() (Value, error) { return NewUint(Sint8, 1) }, StatusTypeMismatch, "not an unsigned"},
		{"sint with unsigned type", func() (Value, error) { return NewSint(Uint8, 1) }, StatusTypeMismatch, "not a signed"},
		{"array element type", func() (Value, error) { return NewArray(Uint8, []Value{MustUint16(1)}) }, StatusTypeMismatch, "element 0 is uint16"},
		{"array of null", func() (Value, error) { return NewArray(String, []Value{Null(String, false)}) }, StatusTypeMismatch, "null string"},
		{"array of arrays", func() (Value, error) { return NewArray(String, []Value{NewStringArray(nil)}) }, StatusTypeMismatch, "string[]"},
		{"array invalid type", func() (Value, error) { return NewArray(Invalid, nil) }, StatusTypeMismatch, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.make()
			wantError(t, err, tt.status, tt.frag)
		})
	}
	t.Run("limits accepted", func(t *testing.T) {
		for _, c := range []struct {
			typ Type
			u   uint64
		}{{Uint8, 255}, {Uint16, 65535}, {Uint32, 1<<32 - 1}, {Uint64, 1<<64 - 1}} {
			if v, err := NewUint(c.typ, c.u); err != nil || v.Uint() != c.u {
				t.Errorf("NewUint(%s, %d) = %v, %v", c.typ, c.u, v, err)
			}
		}
		for _, c := range []struct {
			typ Type
			s   int64
		}{{Sint8, -128}, {Sint16, 32767}, {Sint32, -1 << 31}, {Sint64, -1 << 63}} {
			if v, err := NewSint(c.typ, c.s); err != nil || v.Sint() != c.s {
				t.Errorf("NewSint(%s, %d) = %v, %v", c.typ, c.s, v, err)
			}
		}
	})
}

func TestAccessors(t *testing.T) {
	dt, _ := ParseDateTime("20240101000000.000000+000")
	path := NewObjectPath("root/x", "C", KeyBinding{"K", NewString("v")})
	arr := MustUint16Array([]uint16{1, 2, 3})
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Bool", NewBool(true).Bool(), true},
		{"Bool of string", NewString("true").Bool(), false},
		{"Str", NewString("s").Str(), "s"},
		{"Str of uint", MustUint16(1).Str(), ""},
		{"Char", NewChar16('q').Char(), 'q'},
		{"Char outside BMP", NewChar16(0x1F600).Char(), rune(0xFFFD)},
		{"Uint", MustUint32(7).Uint(), uint64(7)},
		{"Uint of sint", MustSint32(-1).Uint(), uint64(1<<64 - 1)},
		{"Sint", MustSint32(-5).Sint(), int64(-5)},
		{"Real", NewReal(Real64, 1.25).Real(), 1.25},
		{"Real of int", MustUint16(3).Real(), 3.0},
		{"Real of sint", MustSint64(-3).Real(), -3.0},
		{"Real32 rounds", NewReal(Real32, 0.1).Real(), float64(float32(0.1))},
		{"Real of invalid type is 64", NewReal(Uint8, 2).Type(), Real64},
		{"Time", NewDateTime(dt).Time().String(), dt.String()},
		{"Time of string", NewString("x").Time().String(), zeroInterval},
		{"Ref", NewReference(path).Ref().String(), path.String()},
		{"Ref of null", Null(Reference, false).Ref().String(), ""},
		{"Len", arr.Len(), 3},
		{"Len scalar", MustUint16(1).Len(), 0},
		{"Index", arr.Index(1).Uint(), uint64(2)},
		{"Index out of range", arr.Index(3).IsNull(), true},
		{"Index negative", arr.Index(-1).IsNull(), true},
		{"Elems", len(arr.Elems()), 3},
		{"Null", Null(Uint8, true).IsNull(), true},
		{"Null array", Null(Uint8, true).IsArray(), true},
		{"zero Value null", Value{}.IsNull(), true},
		{"String array", NewStringArray([]string{"a", "b"}).String(), "{a, b}"},
		{"empty array", must(t)(NewArray(Uint8, nil)).String(), "{}"},
		{"null String", Null(String, false).String(), "NULL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValuesAreImmutable(t *testing.T) {
	elems := []Value{MustUint8(1), MustUint8(2)}
	arr := must(t)(NewArray(Uint8, elems))
	elems[0] = MustUint8(9)
	out := arr.Elems()
	out[1] = MustUint8(9)
	if got := arr.String(); got != "{1, 2}" {
		t.Errorf("array changed through caller slices: %s, want {1, 2}", got)
	}
	p := NewObjectPath("", "C", KeyBinding{"K", MustUint8(1)})
	ref := NewReference(p)
	p.Keys[0].Value = MustUint8(2)
	r := ref.Ref()
	r.Keys[0].Value = MustUint8(3)
	if got := ref.Ref().String(); got != "C.K=1" {
		t.Errorf("reference changed through caller path: %s, want C.K=1", got)
	}
}

func TestValueEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b Value
		want bool
	}{
		{"same uint", MustUint16(1), MustUint16(1), true},
		{"other width", MustUint16(1), MustUint32(1), false},
		{"null vs value", Null(Uint16, false), MustUint16(0), false},
		{"nulls", Null(Uint16, false), Null(Uint16, false), true},
		{"null scalar vs array", Null(Uint16, false), Null(Uint16, true), false},
		{"NaN", NewReal(Real64, math.NaN()), NewReal(Real64, math.NaN()), true},
		{"zero signs", NewReal(Real64, 0), NewReal(Real64, math.Copysign(0, -1)), true},
		{"arrays", NewStringArray([]string{"a"}), NewStringArray([]string{"a"}), true},
		{"arrays differ", NewStringArray([]string{"a"}), NewStringArray([]string{"b"}), false},
		{"array vs empty", NewStringArray([]string{"a"}), NewStringArray(nil), false},
		{"refs case", NewReference(mustPath(t, `C.K="v"`)), NewReference(mustPath(t, `c.k="v"`)), true},
		{"strings", NewString("a"), NewString("A"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
			if got := tt.b.Equal(tt.a); got != tt.want {
				t.Errorf("Equal reversed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValueMOF(t *testing.T) {
	dt, _ := ParseDateTime("20240101000000.000000+000")
	tests := []struct {
		name string
		v    Value
		want string
	}{
		{"null", Null(String, false), "NULL"},
		{"string escapes", NewString("a\"b\\c\n\t'"), `"a\"b\\c\n\t'"`},
		{"control", NewString("\x01"), `"\x0001"`},
		{"char16", NewChar16('x'), "'x'"},
		{"char16 quote", NewChar16('\''), `'\''`},
		{"bool", NewBool(true), "true"},
		{"sint", MustSint32(-4), "-4"},
		{"real whole", NewReal(Real64, 2), "2.0"},
		{"real frac", NewReal(Real64, 2.5), "2.5"},
		{"real exp", NewReal(Real64, 1e300), "1e+300"},
		{"datetime", NewDateTime(dt), `"20240101000000.000000+000"`},
		{"reference", NewReference(mustPath(t, `C.K="v"`)), `"C.K=\"v\""`},
		{"array", NewStringArray([]string{"a", "b"}), `{"a", "b"}`},
		{"uint array", MustUint16Array([]uint16{1, 2}), "{1, 2}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.MOF(); got != tt.want {
				t.Errorf("MOF() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name string
		v    Value
		typ  Type
		want Value
	}{
		{"sint64 literal to uint16", MustSint64(5), Uint16, MustUint16(5)},
		{"uint64 to sint8", MustUint64(127), Sint8, must(t)(NewSint(Sint8, 127))},
		{"negative to sint16", MustSint64(-300), Sint16, must(t)(NewSint(Sint16, -300))},
		{"string to uint32", NewString("42"), Uint32, MustUint32(42)},
		{"string to bool", NewString("true"), Boolean, NewBool(true)},
		{"string to ref", NewString(`C.K=1`), Reference, NewReference(mustPath(t, "C.K=1"))},
		{"int to real", MustSint64(-2), Real32, NewReal(Real32, -2)},
		{"real64 to real32", NewReal(Real64, 0.5), Real32, NewReal(Real32, 0.5)},
		{"char to string", NewChar16('z'), String, NewString("z")},
		{"same type", NewString("x"), String, NewString("x")},
		{"null keeps array", Null(Sint64, true), Uint8, Null(Uint8, true)},
		{"array", must(t)(NewArray(Sint64, []Value{MustSint64(1), MustSint64(2)})), Uint16, MustUint16Array([]uint16{1, 2})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Convert(tt.v, tt.typ)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("Convert mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	tests := []struct {
		name   string
		v      Value
		typ    Type
		status Status
		frag   string
	}{
		{"uint8 256", MustSint64(256), Uint8, StatusInvalidParameter, "value 256 out of range for uint8"},
		{"sint8 -129", MustSint64(-129), Sint8, StatusInvalidParameter, "value -129 out of range for sint8"},
		{"negative to unsigned", MustSint64(-1), Uint64, StatusInvalidParameter, "out of range for uint64"},
		{"big to sint64", MustUint64(1 << 63), Sint64, StatusInvalidParameter, "out of range for sint64"},
		{"real to int", NewReal(Real64, 1), Uint8, StatusTypeMismatch, "cannot convert real64"},
		{"bool to string", NewBool(true), String, StatusTypeMismatch, "cannot convert boolean"},
		{"real32 overflow", NewReal(Real64, 1e300), Real32, StatusInvalidParameter, "out of range for real32"},
		{"bad string", NewString("x"), Uint8, StatusInvalidParameter, `invalid uint8 value "x"`},
		{"array element", NewStringArray([]string{"1", "300"}), Uint8, StatusInvalidParameter, "out of range for uint8"},
		{"invalid target", NewString("x"), Invalid, StatusTypeMismatch, "cannot convert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Convert(tt.v, tt.typ)
			wantError(t, err, tt.status, tt.frag)
		})
	}
}

func TestMOFControlEscapeKeepsFollowingHexDigit(t *testing.T) {
	got := NewString("\x01a").MOF()
	if want := `"\x0001a"`; got != want {
		t.Errorf("MOF() = %s, want %s (the escape must not swallow the following 'a')", got, want)
	}
}
