package wsman

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redset/redset/cim"
)

var errDuration = errors.New("not an xs:duration")

// parseDuration reads an xs:duration (XML Schema part 2, clause 3.2.6) such
// as "PT60S", "PT60.000S" or "P1DT2H". Years and months have no fixed
// length; they count as 365 and 30 days. Negative durations and values
// beyond time.Duration are refused.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, errDuration
	}
	datePart, timePart, hasT := strings.Cut(rest, "T")
	if hasT && timePart == "" {
		return 0, errDuration
	}
	total, err := durationFields(datePart, "YMD", []float64{365 * 86400, 30 * 86400, 86400})
	if err != nil {
		return 0, err
	}
	secs, err := durationFields(timePart, "HMS", []float64{3600, 60, 1})
	if err != nil {
		return 0, err
	}
	total += secs
	if total > float64(maxDuration/time.Second) {
		return 0, errDuration
	}
	return time.Duration(total * float64(time.Second)), nil
}

const maxDuration = time.Duration(1<<63 - 1)

// durationFields reads "nXnYnZ" where the designators appear in the order
// given; only the last (seconds) may have a fraction.
func durationFields(s, designators string, unit []float64) (float64, error) {
	total, next := 0.0, 0
	for s != "" {
		i := strings.IndexAny(s, designators)
		if i <= 0 {
			return 0, errDuration
		}
		d := strings.IndexByte(designators, s[i])
		if d < next {
			return 0, errDuration
		}
		n, err := durationNumber(s[:i], d == len(designators)-1 && designators == "HMS")
		if err != nil {
			return 0, err
		}
		total += n * unit[d]
		next, s = d+1, s[i+1:]
	}
	return total, nil
}

func durationNumber(s string, fraction bool) (float64, error) {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] == '.' && fraction) {
			return 0, errDuration
		}
	}
	return strconv.ParseFloat(s, 64)
}

// xsDateTime writes a CIM timestamp as an xs:dateTime with microseconds
// and the timestamp's UTC offset (DSP0230 clause 8.1, cim:Datetime).
func xsDateTime(d cim.DateTime) (string, bool) {
	t, ok := d.Time()
	if !ok {
		return "", false
	}
	return t.Format("2006-01-02T15:04:05.000000Z07:00"), true
}

// xsInterval writes a CIM interval as an xs:duration in days, hours,
// minutes and seconds (DSP0230 clause 8.1, cim:Interval).
func xsInterval(d cim.DateTime) (string, bool) {
	if !d.IsInterval() || d.HasWildcards() {
		return "", false
	}
	s := d.String()
	num := func(at, n int) string { return strings.TrimLeft(s[at:at+n], "0") }
	days, hours, mins, secs := num(0, 8), num(8, 2), num(10, 2), num(12, 2)
	frac := strings.TrimRight(s[15:21], "0")
	var b strings.Builder
	b.WriteString("P" + orZero(days) + "DT" + orZero(hours) + "H" + orZero(mins) + "M" + orZero(secs))
	if frac != "" {
		b.WriteString("." + frac)
	}
	b.WriteByte('S')
	return b.String(), true
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// parseXSDateTime reads an xs:dateTime into a CIM timestamp. A value without
// a time zone is taken as UTC.
func parseXSDateTime(s string) (cim.DateTime, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05.999999999", s)
	}
	if err != nil {
		return cim.DateTime{}, errors.New("not an xs:dateTime")
	}
	return cim.DateTimeFromTime(t), nil
}
