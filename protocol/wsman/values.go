package wsman

import (
	"strings"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// readValues reads the children of a resource representation or a method's
// input element as named values (DSP0230 clauses 7 and 9): one child per
// scalar, the same name repeated for an array, xsi:nil for null, an
// endpoint reference for a reference, and cim:Datetime, cim:Interval or
// cim:CIM_DateTime for datetimes. Text stays untyped (a string value) and
// the object manager converts it to the declared type; a name given once is
// a scalar, which the object manager takes as a one-element array when the
// property is an array. Errors are wxf:InvalidRepresentation faults.
func readValues(el *element, ns string) ([]cimom.Param, error) {
	var out []cimom.Param
	groups := map[string]int{} // lower-cased name -> index in out
	var elems [][]cim.Value
	for _, k := range el.kids {
		v, err := readValue(k, ns)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(k.name.Local)
		i, seen := groups[key]
		if !seen {
			i = len(out)
			groups[key] = i
			out = append(out, cimom.Param{Name: k.name.Local})
			elems = append(elems, nil)
		}
		elems[i] = append(elems[i], v)
	}
	for i := range out {
		v, err := joinValues(out[i].Name, elems[i])
		if err != nil {
			return nil, err
		}
		out[i].Value = v
	}
	return out, nil
}

// joinValues makes the value of one name: a scalar when given once, an
// array of one type otherwise (null elements are not allowed in arrays).
func joinValues(name string, vs []cim.Value) (cim.Value, error) {
	if len(vs) == 1 {
		return vs[0], nil
	}
	v, err := cim.NewArray(vs[0].Type(), vs)
	if err != nil {
		return cim.Value{}, newFault(FaultInvalidRepresentation, "", "%s: array elements must be non-null values of one kind", name)
	}
	return v, nil
}

// readValue reads one value element.
func readValue(k *element, ns string) (cim.Value, error) {
	if k.isNil() {
		return cim.Null(cim.String, false), nil
	}
	if len(k.kids) == 0 {
		return cim.NewString(k.text), nil
	}
	if dt := k.child(nsCIM, "Datetime"); dt != nil {
		return datetimeValue(k.name.Local, dt)
	}
	for _, tag := range []string{"Interval", "CIM_DateTime"} {
		if dt := k.child(nsCIM, tag); dt != nil {
			return datetimeValue(k.name.Local, dt)
		}
	}
	if ref := eprElement(k); ref != nil {
		return referenceValue(k.name.Local, ref, ns)
	}
	return cim.Value{}, newFault(FaultInvalidRepresentation, "", "%s: embedded objects are not supported", k.name.Local)
}

// datetimeValue reads the cim:cimDateTime forms of DSP0230 clause 8.1.
func datetimeValue(name string, dt *element) (cim.Value, error) {
	var d cim.DateTime
	var err error
	switch dt.name.Local {
	case "Datetime":
		d, err = parseXSDateTime(dt.value())
	case "Interval":
		var dur time.Duration
		dur, err = parseDuration(dt.value())
		d = cim.IntervalFromDuration(dur)
	default:
		d, err = cim.ParseDateTime(dt.value())
	}
	if err != nil {
		return cim.Value{}, newFault(FaultInvalidRepresentation, "", "%s: %q is not a valid %s", name, dt.value(), dt.name.Local)
	}
	return cim.NewDateTime(d), nil
}

// referenceValue reads an endpoint reference into a reference value.
func referenceValue(name string, ref *element, ns string) (cim.Value, error) {
	epr, err := readEPR(ref)
	if err == nil {
		var p cim.ObjectPath
		if p, err = epr.path(ns); err == nil {
			return cim.NewReference(p), nil
		}
	}
	return cim.Value{}, newFault(FaultInvalidRepresentation, "", "%s: %v", name, reasonOf(err))
}

func reasonOf(err error) string {
	if f, ok := err.(*Fault); ok {
		return f.reason()
	}
	return err.Error()
}
