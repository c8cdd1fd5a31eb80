package cim

import (
	"testing"
	"time"
)

func FuzzParseObjectPath(f *testing.F) {
	for _, s := range []string{
		`/root/hypervcluster/v2:Msvm_RedundancySet.InstanceID="redset:a"`,
		`//host/ns:Class.k="v",k2=5`,
		`//h:5989/root/x:C.a=-1,b=TRUE,c=0x10,d=2e3`,
		`Class=@`, `Class`, `C.K="a\"b\\c"`, `Root\HyperVCluster\v2:C.K="v"`,
		`A.R="/root/x:M.Name=\"a\""`, `https://h/root:C.K=NaN`, `C.K=""`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseObjectPath(s)
		if err != nil {
			if StatusOf(err) != StatusInvalidParameter {
				t.Fatalf("error %v has status %s, want invalid parameter", err, StatusOf(err))
			}
			return
		}
		text := p.String()
		back, err := ParseObjectPath(text)
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", text, s, err)
		}
		if !back.Equal(p) {
			t.Fatalf("reparse of %q not Equal: %#v vs %#v", text, back, p)
		}
		if again := back.String(); again != text {
			t.Fatalf("String not stable: %q then %q", text, again)
		}
	})
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"20240131235959.123456+060", "20240131235959.123456-000", "****0229000000.000000+000",
		"00000001020304.000005:000", "99999999235959.999999:000", "20240131235959.12****+000",
		"00000001020304.******:000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDateTime(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("String() = %q, want %q", d.String(), s)
		}
		if tm, ok := d.Time(); ok && s[21:] != "-000" {
			if got := DateTimeFromTime(tm).String(); got != s {
				t.Fatalf("DateTimeFromTime(Time()) = %q, want %q", got, s)
			}
		}
		if dur, ok := d.Duration(); ok {
			if got := IntervalFromDuration(dur).String(); got != s {
				t.Fatalf("IntervalFromDuration(Duration()) = %q, want %q", got, s)
			}
		}
		_ = NewDateTime(d).MOF()
	})
}

func FuzzParseValue(f *testing.F) {
	seeds := []struct {
		typ  Type
		text string
	}{
		{Boolean, "TRUE"}, {String, "x\"y"}, {Char16, "é"}, {Datetime, "20240131235959.123456+060"},
		{Uint8, "0xff"}, {Sint8, "-128"}, {Uint16, "65535"}, {Sint16, "+1"}, {Uint32, "7"},
		{Sint32, "-0x10"}, {Uint64, "18446744073709551615"}, {Sint64, "-9223372036854775808"},
		{Real32, "3.4028235e+38"}, {Real64, "-INF"}, {Reference, `C.K="v"`},
	}
	for _, s := range seeds {
		f.Add(uint8(s.typ), s.text)
	}
	f.Fuzz(func(t *testing.T, typ uint8, s string) {
		tp := Type(typ % 16)
		v, err := ParseValue(tp, s)
		if err != nil {
			return
		}
		text := v.String()
		back, err := ParseValue(tp, text)
		if err != nil {
			t.Fatalf("reparse of %q (from %q) as %s: %v", text, s, tp, err)
		}
		if !back.Equal(v) {
			t.Fatalf("reparse of %q not Equal: %v vs %v", text, back, v)
		}
		if _, err := Convert(v, tp); err != nil {
			t.Fatalf("Convert to own type: %v", err)
		}
		_ = v.MOF()
	})
}

// TestFuzzSeedsRoundTripTime keeps a deterministic check of the datetime
// round trip through time.Time outside the fuzzer.
func TestFuzzSeedsRoundTripTime(t *testing.T) {
	in := time.Date(2020, 2, 29, 23, 59, 59, 999999000, time.FixedZone("", -(9*60+30)*60))
	d := DateTimeFromTime(in)
	back, err := ParseDateTime(d.String())
	if err != nil {
		t.Fatalf("ParseDateTime(%q): %v", d, err)
	}
	if got, ok := back.Time(); !ok || !got.Equal(in) {
		t.Errorf("round trip = %v, %v; want %v", got, ok, in)
	}
}
