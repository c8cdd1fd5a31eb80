package cimxml

import (
	"encoding/xml"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// stringArray reads the texts of an array; the caller has read the
// VALUE.ARRAY start element. Null elements cannot be held by a cim.Value
// array and are refused.
//
//	<!ELEMENT VALUE.ARRAY (VALUE|VALUE.NULL)*>
func (t *tokens) stringArray() ([]string, error) {
	list := []string{}
	for {
		se, ok, err := t.child()
		if err != nil || !ok {
			return list, err
		}
		switch se.Name.Local {
		case "VALUE":
			s, err := t.text("VALUE")
			if err != nil {
				return nil, err
			}
			list = append(list, s)
		case "VALUE.NULL":
			return nil, notSupported("arrays with NULL elements are not supported")
		default:
			return nil, unexpected("VALUE.ARRAY", se)
		}
	}
}

// refArray reads the paths of a reference array; the caller has read the
// VALUE.REFARRAY start element.
//
//	<!ELEMENT VALUE.REFARRAY (VALUE.REFERENCE|VALUE.NULL)*>
func (t *tokens) refArray() (cim.Value, error) {
	var elems []cim.Value
	for {
		se, ok, err := t.child()
		if err != nil {
			return cim.Value{}, err
		}
		if !ok {
			return cim.NewArray(cim.Reference, elems)
		}
		if se.Name.Local != "VALUE.REFERENCE" {
			return cim.Value{}, unexpected("VALUE.REFARRAY", se)
		}
		p, err := t.valueReference()
		if err != nil {
			return cim.Value{}, err
		}
		elems = append(elems, cim.NewReference(p))
	}
}

// scalar parses the text of a VALUE as type typ; Invalid keeps the raw
// text as a string (see the package comment).
func scalar(typ cim.Type, text string) (cim.Value, error) {
	if typ == cim.Invalid {
		return cim.NewString(text), nil
	}
	return cim.ParseValue(typ, text)
}

// array parses the texts of a VALUE.ARRAY as elements of type typ.
func array(typ cim.Type, list []string) (cim.Value, error) {
	if typ == cim.Invalid {
		typ = cim.String
	}
	elems := make([]cim.Value, len(list))
	for i, s := range list {
		v, err := cim.ParseValue(typ, s)
		if err != nil {
			return cim.Value{}, err
		}
		elems[i] = v
	}
	return cim.NewArray(typ, elems)
}

// valueOf reads a VALUE, VALUE.ARRAY, VALUE.REFERENCE or VALUE.REFARRAY
// whose start element se has been read.
func (t *tokens) valueOf(se xml.StartElement, typ cim.Type) (cim.Value, error) {
	switch se.Name.Local {
	case "VALUE":
		s, err := t.text("VALUE")
		if err != nil {
			return cim.Value{}, err
		}
		return scalar(typ, s)
	case "VALUE.ARRAY":
		list, err := t.stringArray()
		if err != nil {
			return cim.Value{}, err
		}
		return array(typ, list)
	case "VALUE.REFERENCE":
		p, err := t.valueReference()
		return cim.NewReference(p), err
	}
	return t.refArray()
}

// instance reads an instance; qualifiers on instances are read and
// dropped.
//
//	<!ELEMENT INSTANCE (QUALIFIER*, (PROPERTY|PROPERTY.ARRAY|PROPERTY.REFERENCE)*)>
//	CLASSNAME required, xml:lang optional
func (t *tokens) instance(se xml.StartElement) (*cim.Instance, error) {
	class, err := needAttr(se, "CLASSNAME")
	if err != nil {
		return nil, err
	}
	inst := &cim.Instance{ClassName: class}
	for {
		ch, ok, err := t.child()
		if err != nil || !ok {
			return inst, err
		}
		if err := t.instanceChild(ch, inst); err != nil {
			return nil, withContext("INSTANCE of "+class, err)
		}
	}
}

func (t *tokens) instanceChild(se xml.StartElement, inst *cim.Instance) error {
	switch se.Name.Local {
	case "QUALIFIER":
		_, err := t.qualifier(se)
		return err
	case "PROPERTY", "PROPERTY.ARRAY", "PROPERTY.REFERENCE":
		p, v, err := t.property(se)
		if err != nil {
			return err
		}
		if _, dup := inst.Get(p.Name); dup {
			return invalidParam("property %s given twice", p.Name)
		}
		inst.Properties = append(inst.Properties, cim.PropertyValue{Name: p.Name, Value: v})
		return nil
	}
	return unexpected("INSTANCE", se)
}

// namedInstance reads an instance with its name; the caller has read the
// VALUE.NAMEDINSTANCE start element.
//
//	<!ELEMENT VALUE.NAMEDINSTANCE (INSTANCENAME, INSTANCE)>
func (t *tokens) namedInstance() (cim.ObjectPath, *cim.Instance, error) {
	se, err := t.need("VALUE.NAMEDINSTANCE", "INSTANCENAME")
	if err != nil {
		return cim.ObjectPath{}, nil, err
	}
	p, err := t.instanceName(se)
	if err != nil {
		return cim.ObjectPath{}, nil, err
	}
	if se, err = t.need("VALUE.NAMEDINSTANCE", "INSTANCE"); err != nil {
		return cim.ObjectPath{}, nil, err
	}
	inst, err := t.instance(se)
	if err != nil {
		return cim.ObjectPath{}, nil, err
	}
	return p, inst, t.end("VALUE.NAMEDINSTANCE")
}

// property reads a property declaration or value: the declaration's
// attributes and qualifiers, and its value (null when absent).
//
//	<!ELEMENT PROPERTY (QUALIFIER*, VALUE?)>  NAME, TYPE required; CLASSORIGIN, PROPAGATED, EmbeddedObject
//	<!ELEMENT PROPERTY.ARRAY (QUALIFIER*, VALUE.ARRAY?)>  NAME, TYPE required; ARRAYSIZE, CLASSORIGIN, PROPAGATED
//	<!ELEMENT PROPERTY.REFERENCE (QUALIFIER*, VALUE.REFERENCE?)>  NAME required; REFERENCECLASS, CLASSORIGIN, PROPAGATED
func (t *tokens) property(se xml.StartElement) (cim.Property, cim.Value, error) {
	p, err := propertyDecl(se)
	if err != nil {
		return p, cim.Value{}, err
	}
	valueElem := map[string]string{"PROPERTY": "VALUE", "PROPERTY.ARRAY": "VALUE.ARRAY",
		"PROPERTY.REFERENCE": "VALUE.REFERENCE"}[se.Name.Local]
	if p.IsArray && p.Type == cim.Reference {
		valueElem = "VALUE.REFARRAY"
	}
	v, seen := cim.Null(p.Type, p.IsArray), false
	for {
		ch, ok, err := t.child()
		if err != nil || !ok {
			return p, v, withContext("property "+p.Name, err)
		}
		switch {
		case ch.Name.Local == "QUALIFIER" && !seen:
			q, err := t.qualifier(ch)
			if err != nil {
				return p, v, withContext("property "+p.Name, err)
			}
			p.Qualifiers = append(p.Qualifiers, q)
		case ch.Name.Local == valueElem && !seen:
			if v, err = t.valueOf(ch, p.Type); err != nil {
				return p, v, withContext("property "+p.Name, err)
			}
			seen = true
		default:
			return p, v, unexpected(se.Name.Local+" "+p.Name, ch)
		}
	}
}

// propertyDecl reads the attributes of a PROPERTY element.
func propertyDecl(se xml.StartElement) (cim.Property, error) {
	var p cim.Property
	var err error
	if p.Name, err = needAttr(se, "NAME"); err != nil {
		return p, err
	}
	p.ClassOrigin, _ = attr(se, "CLASSORIGIN")
	p.Propagated = boolAttr(se, "PROPAGATED")
	p.RefClass, _ = attr(se, "REFERENCECLASS")
	p.IsArray = se.Name.Local == "PROPERTY.ARRAY"
	if p.ArraySize, err = parseUintAttr(se, "ARRAYSIZE"); err != nil {
		return p, err
	}
	if se.Name.Local == "PROPERTY.REFERENCE" {
		p.Type = cim.Reference
		return p, nil
	}
	typ, err := needAttr(se, "TYPE")
	if err != nil {
		return p, err
	}
	p.Type, err = parseType(typ)
	if err == nil && p.Type == cim.Reference && !p.IsArray {
		err = invalidParam("%s %s: use PROPERTY.REFERENCE for references", se.Name.Local, p.Name)
	}
	return p, err
}

// boolAttr reads an optional "true"/"false" attribute (false when absent).
func boolAttr(se xml.StartElement, name string) bool {
	v, _ := attr(se, name)
	return strings.EqualFold(strings.TrimSpace(v), "true")
}

// paramValue reads one argument of an extrinsic method call; see the
// package comment for arguments without PARAMTYPE.
//
//	<!ELEMENT PARAMVALUE (VALUE|VALUE.REFERENCE|VALUE.ARRAY|VALUE.REFARRAY|
//	                      CLASSNAME|INSTANCENAME|CLASS|INSTANCE|VALUE.NAMEDINSTANCE)?>
//	NAME required, PARAMTYPE optional, EmbeddedObject optional
func (t *tokens) paramValue(se xml.StartElement) (cimom.Param, error) {
	name, err := needAttr(se, "NAME")
	if err != nil {
		return cimom.Param{}, err
	}
	typ := cim.Invalid
	if pt, ok := attr(se, "PARAMTYPE"); ok {
		if typ, err = parseType(pt); err != nil {
			return cimom.Param{}, withContext("parameter "+name, err)
		}
	}
	v, err := t.paramContent(typ)
	if err != nil {
		return cimom.Param{}, withContext("parameter "+name, err)
	}
	return cimom.Param{Name: name, Value: v}, nil
}

// paramContent reads the optional child of a PARAMVALUE and its end.
func (t *tokens) paramContent(typ cim.Type) (cim.Value, error) {
	se, ok, err := t.child()
	if err != nil || !ok {
		return cim.Null(typ, false), err
	}
	v, err := t.paramChild(se, typ)
	if err != nil {
		return cim.Value{}, err
	}
	if isRef := v.Type() == cim.Reference; typ != cim.Invalid && isRef != (typ == cim.Reference) {
		return cim.Value{}, invalidParam("PARAMTYPE %s does not match %s", typ, se.Name.Local)
	}
	return v, t.end("PARAMVALUE")
}

func (t *tokens) paramChild(se xml.StartElement, typ cim.Type) (cim.Value, error) {
	switch se.Name.Local {
	case "VALUE", "VALUE.ARRAY", "VALUE.REFERENCE", "VALUE.REFARRAY":
		return t.valueOf(se, typ)
	case "CLASSNAME":
		name, err := t.className(se)
		return cim.NewReference(cim.ObjectPath{ClassName: name}), err
	case "INSTANCENAME":
		p, err := t.instanceName(se)
		return cim.NewReference(p), err
	case "CLASS", "INSTANCE", "VALUE.NAMEDINSTANCE":
		return cim.Value{}, notSupported("embedded objects are not supported")
	}
	return cim.Value{}, unexpected("PARAMVALUE", se)
}
