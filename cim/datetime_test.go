package cim

import (
	"testing"
	"time"
)

func TestParseDateTimeRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		interval bool
		wildcard bool
	}{
		{"timestamp utc", "20240131235959.123456+000", false, false},
		{"timestamp east", "19991231120000.000000+060", false, false},
		{"timestamp west", "20000229000000.000001-300", false, false},
		{"february 29 wildcard year", "****0229000000.000000+000", false, true},
		{"timestamp year wildcard", "****0131235959.123456+000", false, true},
		{"timestamp all wildcards", "**************.******+000", false, true},
		{"timestamp micro wildcards", "20240131235959.12****+000", false, true},
		{"timestamp time wildcards", "20240131******.******+000", false, true},
		{"interval", "00000001020304.000005:000", true, false},
		{"interval large", "99999999235959.999999:000", true, false},
		{"interval micro wildcards", "00000001020304.******:000", true, true},
		{"interval days wildcard", "********020304.000000:000", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDateTime(tt.text)
			if err != nil {
				t.Fatalf("ParseDateTime(%q): %v", tt.text, err)
			}
			if got := d.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			if got := d.IsInterval(); got != tt.interval {
				t.Errorf("IsInterval() = %v, want %v", got, tt.interval)
			}
			if got := d.HasWildcards(); got != tt.wildcard {
				t.Errorf("HasWildcards() = %v, want %v", got, tt.wildcard)
			}
		})
	}
}

func TestParseDateTimeErrors(t *testing.T) {
	tests := []struct {
		name, text, frag string
	}{
		{"empty", "", "want 25 characters"},
		{"short", "20240131235959.123456+00", "want 25 characters"},
		{"no dot", "20240131235959,123456+000", "want 25 characters"},
		{"bad sign", "20240131235959.123456*000", "character 22"},
		{"offset wildcard", "20240131235959.123456+0*0", "UTC offset"},
		{"interval suffix", "00000001020304.000005:001", ":000"},
		{"month 13", "20241301000000.000000+000", "month out of range"},
		{"month 0", "20240001000000.000000+000", "month out of range"},
		{"day 32", "20240132000000.000000+000", "day out of range"},
		{"february 30", "20240230000000.000000+000", "day out of range for the month"},
		{"february 29 common year", "20230229000000.000000+000", "day out of range for the month"},
		{"april 31 any year", "****0431000000.000000+000", "day out of range for the month"},
		{"hour 24", "20240101240000.000000+000", "hours out of range"},
		{"minute 60", "20240101006000.000000+000", "minutes out of range"},
		{"second 60", "20240101000060.000000+000", "seconds out of range"},
		{"interval hour 24", "00000001240000.000000:000", "hours out of range"},
		{"partial field wildcard", "20**0101000000.000000+000", "bad year field"},
		{"letters", "2024a101000000.000000+000", "bad month field"},
		{"micro wildcard then digit", "20240101000000.*12345+000", "microseconds"},
		{"micro letter", "20240101000000.12345x+000", "microseconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDateTime(tt.text)
			wantError(t, err, StatusInvalidParameter, "invalid datetime", tt.frag)
		})
	}
}

func TestDateTimeTime(t *testing.T) {
	d, err := ParseDateTime("20240131235959.123456-090")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := d.Time()
	want := time.Date(2024, 1, 31, 23, 59, 59, 123456000, time.FixedZone("", -90*60))
	if !ok || !got.Equal(want) {
		t.Errorf("Time() = %v, %v; want %v, true", got, ok, want)
	}
	if _, off := got.Zone(); off != -90*60 {
		t.Errorf("offset = %d, want %d", off, -90*60)
	}
	for _, s := range []string{"****0131235959.123456+000", "00000001020304.000005:000"} {
		d, _ := ParseDateTime(s)
		if _, ok := d.Time(); ok {
			t.Errorf("Time() of %q ok = true, want false", s)
		}
	}
}

func TestDateTimeDuration(t *testing.T) {
	tests := []struct {
		text string
		want time.Duration
		ok   bool
	}{
		{"00000001020304.000005:000", 26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Microsecond, true},
		{"00000000000000.000000:000", 0, true},
		{"00106750000000.000000:000", 106750 * 24 * time.Hour, true},
		{"00106751234716.854775:000", time.Duration(1<<63-1) / time.Microsecond * time.Microsecond, true},
		{"00106751234716.854776:000", 0, false},
		{"99999999000000.000000:000", 0, false},
		{"00000001020304.******:000", 0, false},
		{"20240101000000.000000+000", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			d, err := ParseDateTime(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := d.Duration()
			if got != tt.want || ok != tt.ok {
				t.Errorf("Duration() = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestDateTimeFromTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"utc", time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.UTC), "20240229131415.123456+000"},
		{"east", time.Date(2024, 2, 29, 13, 14, 15, 0, time.FixedZone("", 5*3600+30*60)), "20240229131415.000000+330"},
		{"west", time.Date(1999, 12, 31, 0, 0, 0, 0, time.FixedZone("", -8*3600)), "19991231000000.000000-480"},
		{"early year", time.Date(5, 1, 2, 3, 4, 5, 0, time.UTC), "00050102030405.000000+000"},
		{"too late", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "99991231235959.999999+000"},
		{"too early", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), "00000101000000.000000+000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DateTimeFromTime(tt.in)
			if got := d.String(); got != tt.want {
				t.Errorf("DateTimeFromTime = %q, want %q", got, tt.want)
			}
			if _, err := ParseDateTime(d.String()); err != nil {
				t.Errorf("result does not parse: %v", err)
			}
		})
	}
	t.Run("time round trip", func(t *testing.T) {
		in := time.Date(2023, 7, 1, 8, 9, 10, 11000, time.FixedZone("", 120*60))
		got, ok := DateTimeFromTime(in).Time()
		if !ok || !got.Equal(in) {
			t.Errorf("round trip = %v, %v; want %v", got, ok, in)
		}
	})
}

func TestIntervalFromDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "00000000000000.000000:000"},
		{-time.Second, "00000000000000.000000:000"},
		{90*time.Minute + 1500*time.Millisecond, "00000000013001.500000:000"},
		{49*time.Hour + 999, "00000002010000.000000:000"},
		{time.Duration(1<<63 - 1), "00106751234716.854775:000"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			d := IntervalFromDuration(tt.in)
			if got := d.String(); got != tt.want {
				t.Errorf("IntervalFromDuration(%v) = %q, want %q", tt.in, got, tt.want)
			}
			if _, err := ParseDateTime(d.String()); err != nil {
				t.Errorf("result does not parse: %v", err)
			}
		})
	}
	if got := (DateTime{}).String(); got != zeroInterval {
		t.Errorf("zero DateTime = %q, want %q", got, zeroInterval)
	}
}
