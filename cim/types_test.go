package cim

import "testing"

func TestTypeNamesRoundTrip(t *testing.T) {
	for typ := Boolean; typ <= Reference; typ++ {
		t.Run(typ.String(), func(t *testing.T) {
			got, ok := ParseType(typ.String())
			if !ok || got != typ {
				t.Errorf("ParseType(%q) = %v, %v; want %v, true", typ.String(), got, ok, typ)
			}
		})
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		want Type
		ok   bool
	}{
		{"UINT16", Uint16, true},
		{"DateTime", Datetime, true},
		{"ref", Reference, true},
		{"Reference", Reference, true},
		{"invalid", Invalid, false},
		{"uint128", Invalid, false},
		{"", Invalid, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseType(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseType(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTypeProperties(t *testing.T) {
	tests := []struct {
		typ             Type
		integer, signed bool
		bits            int
		wantName        string
	}{
		{Boolean, false, false, 0, "boolean"},
		{Char16, false, false, 16, "char16"},
		{Uint8, true, false, 8, "uint8"},
		{Sint8, true, true, 8, "sint8"},
		{Uint16, true, false, 16, "uint16"},
		{Sint32, true, true, 32, "sint32"},
		{Uint64, true, false, 64, "uint64"},
		{Sint64, true, true, 64, "sint64"},
		{Real32, false, false, 32, "real32"},
		{Real64, false, false, 64, "real64"},
		{Datetime, false, false, 0, "datetime"},
		{Reference, false, false, 0, "reference"},
		{Type(99), false, false, 0, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.wantName, func(t *testing.T) {
			if got := tt.typ.IsInteger(); got != tt.integer {
				t.Errorf("IsInteger = %v, want %v", got, tt.integer)
			}
			if got := tt.typ.IsSigned(); got != tt.signed {
				t.Errorf("IsSigned = %v, want %v", got, tt.signed)
			}
			if got := tt.typ.Bits(); got != tt.bits {
				t.Errorf("Bits = %d, want %d", got, tt.bits)
			}
			if got := tt.typ.String(); got != tt.wantName {
				t.Errorf("String = %q, want %q", got, tt.wantName)
			}
		})
	}
}
