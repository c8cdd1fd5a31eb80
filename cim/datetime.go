package cim

import (
	"strconv"
	"strings"
	"time"
)

// DateTime is a CIM datetime value (DSP0004 clause 5.2.4) in one of its two
// 25-character forms:
//
//	timestamp  yyyymmddhhmmss.mmmmmmsutc   s is '+' or '-', utc the offset in minutes
//	interval   ddddddddhhmmss.mmmmmm:000
//
// In both forms a field that is not significant may be written as asterisks
// ("2024****......"): every field other than microseconds must then be all
// digits or all asterisks, and microseconds may end in asterisks
// ("123***" is significant to the millisecond). The UTC offset and the
// ":000" suffix never hold asterisks.
//
// A DateTime is immutable and keeps the exact text it was parsed from, so
// String round-trips. The zero value is the zero interval
// "00000000000000.000000:000".
type DateTime struct {
	text string
}

const zeroInterval = "00000000000000.000000:000"

// dateTimeLen is the length of both datetime forms.
const dateTimeLen = 25

// field is one fixed-width numeric part of a datetime string.
type field struct {
	name   string
	at, n  int
	lo, hi int
}

var timestampFields = []field{
	{"year", 0, 4, 0, 9999}, {"month", 4, 2, 1, 12}, {"day", 6, 2, 1, 31},
	{"hours", 8, 2, 0, 23}, {"minutes", 10, 2, 0, 59}, {"seconds", 12, 2, 0, 59},
}

var intervalFields = []field{
	{"days", 0, 8, 0, 99999999}, {"hours", 8, 2, 0, 23},
	{"minutes", 10, 2, 0, 59}, {"seconds", 12, 2, 0, 59},
}

// ParseDateTime parses either datetime form. Errors are *Error with
// StatusInvalidParameter naming the offending text and field.
func ParseDateTime(s string) (DateTime, error) {
	if len(s) != dateTimeLen || s[14] != '.' {
		return DateTime{}, dtError(s, "want 25 characters yyyymmddhhmmss.mmmmmmsutc or ddddddddhhmmss.mmmmmm:000")
	}
	fields := timestampFields
	switch s[21] {
	case ':':
		if s[22:] != "000" {
			return DateTime{}, dtError(s, "interval must end in :000")
		}
		fields = intervalFields
	case '+', '-':
		if !allDigits(s[22:]) {
			return DateTime{}, dtError(s, "UTC offset must be three digits")
		}
	default:
		return DateTime{}, dtError(s, "character 22 must be '+', '-' or ':'")
	}
	if err := checkFields(s, fields); err != nil {
		return DateTime{}, err
	}
	if s[21] != ':' && !dayFitsMonth(s) {
		return DateTime{}, dtError(s, "day out of range for the month")
	}
	if !validMicros(s[15:21]) {
		return DateTime{}, dtError(s, "bad microseconds field")
	}
	return DateTime{text: s}, nil
}

// checkFields verifies every numeric field is all digits within range, or
// all asterisks.
func checkFields(s string, fields []field) error {
	for _, f := range fields {
		part := s[f.at : f.at+f.n]
		if strings.Trim(part, "*") == "" {
			continue
		}
		if !allDigits(part) {
			return dtError(s, "bad "+f.name+" field")
		}
		if v, _ := strconv.Atoi(part); v < f.lo || v > f.hi {
			return dtError(s, f.name+" out of range")
		}
	}
	return nil
}

// dayFitsMonth checks the day of a timestamp against its month (and year,
// for February) when those fields are given.
func dayFitsMonth(s string) bool {
	if !allDigits(s[4:8]) {
		return true
	}
	month, _ := strconv.Atoi(s[4:6])
	day, _ := strconv.Atoi(s[6:8])
	year := 2000 // a leap year, for a wildcard year
	if allDigits(s[0:4]) {
		year, _ = strconv.Atoi(s[0:4])
	}
	return day <= time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// validMicros accepts six digits of which any trailing ones may be '*'.
func validMicros(m string) bool {
	digits := strings.TrimRight(m, "*")
	return allDigits(digits)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func dtError(s, why string) *Error {
	return Errorf(StatusInvalidParameter, "invalid datetime %q: %s", s, why)
}

// String returns the 25-character text of the datetime.
func (d DateTime) String() string {
	if d.text == "" {
		return zeroInterval
	}
	return d.text
}

// IsInterval reports whether d is an interval rather than a timestamp.
func (d DateTime) IsInterval() bool { return d.String()[21] == ':' }

// HasWildcards reports whether any field of d is written with asterisks.
func (d DateTime) HasWildcards() bool { return strings.Contains(d.text, "*") }

// Time returns the instant of a timestamp in its own UTC offset. ok is
// false for intervals and for timestamps with asterisks.
func (d DateTime) Time() (t time.Time, ok bool) {
	s := d.String()
	if d.IsInterval() || d.HasWildcards() {
		return time.Time{}, false
	}
	n := func(at, width int) int { v, _ := strconv.Atoi(s[at : at+width]); return v }
	offset := n(22, 3) * 60
	if s[21] == '-' {
		offset = -offset
	}
	zone := time.FixedZone("", offset)
	return time.Date(n(0, 4), time.Month(n(4, 2)), n(6, 2), n(8, 2), n(10, 2), n(12, 2),
		n(15, 6)*1000, zone), true
}

// Duration returns the length of an interval. ok is false for timestamps,
// for intervals with asterisks and for intervals longer than a
// time.Duration can hold (about 292 years).
func (d DateTime) Duration() (time.Duration, bool) {
	s := d.String()
	if !d.IsInterval() || d.HasWildcards() {
		return 0, false
	}
	n := func(at, width int) time.Duration {
		v, _ := strconv.ParseInt(s[at:at+width], 10, 64)
		return time.Duration(v)
	}
	rest := n(8, 2)*time.Hour + n(10, 2)*time.Minute + n(12, 2)*time.Second + n(15, 6)*time.Microsecond
	days := n(0, 8)
	if days > maxDuration/(24*time.Hour) || days*24*time.Hour > maxDuration-rest {
		return 0, false
	}
	return days*24*time.Hour + rest, true
}

const maxDuration = time.Duration(1<<63 - 1)

// DateTimeFromTime returns the timestamp for t, keeping t's UTC offset in
// whole minutes and truncating to microseconds. Instants outside the years
// 0000..9999 are clamped to the first or last representable instant (UTC).
func DateTimeFromTime(t time.Time) DateTime {
	if y := t.Year(); y < 0 || y > 9999 {
		t = clampYear(y)
	}
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	var b strings.Builder
	b.WriteString(t.Format("20060102150405.000000"))
	b.WriteByte(sign)
	b.WriteString(pad(off/60, 3))
	return DateTime{text: b.String()}
}

func clampYear(y int) time.Time {
	if y < 0 {
		return time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
}

// IntervalFromDuration returns the interval for d truncated to
// microseconds. Negative durations give the zero interval.
func IntervalFromDuration(d time.Duration) DateTime {
	if d < 0 {
		d = 0
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h, m := d/time.Hour, d%time.Hour/time.Minute
	sec, us := d%time.Minute/time.Second, d%time.Second/time.Microsecond
	text := pad(int(days), 8) + pad(int(h), 2) + pad(int(m), 2) + pad(int(sec), 2) +
		"." + pad(int(us), 6) + ":000"
	return DateTime{text: text}
}

// pad formats a non-negative n in decimal, zero-padded to width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
