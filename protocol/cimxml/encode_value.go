package cimxml

import (
	"strconv"
	"strings"

	"github.com/redset/redset/cim"
)

// encoder writes CIM-XML elements for one response.
type encoder struct {
	w           *xmlWriter
	host        string // HOST of full paths that carry none
	ns          string // namespace of paths that carry none
	qualifiers  bool   // write qualifiers (IncludeQualifiers)
	classOrigin bool   // write CLASSORIGIN attributes (IncludeClassOrigin)
}

// value writes a non-null value as VALUE, VALUE.ARRAY, VALUE.REFERENCE or
// VALUE.REFARRAY; a null writes nothing.
//
//	<!ELEMENT VALUE (#PCDATA)>
//	<!ELEMENT VALUE.ARRAY (VALUE|VALUE.NULL)*>
//	<!ELEMENT VALUE.REFARRAY (VALUE.REFERENCE|VALUE.NULL)*>
func (e *encoder) value(v cim.Value) {
	switch {
	case v.IsNull():
	case v.IsArray() && v.Type() == cim.Reference:
		e.w.open("VALUE.REFARRAY")
		for i := range v.Len() {
			e.valueReference(v.Index(i).Ref())
		}
		e.w.close("VALUE.REFARRAY")
	case v.IsArray():
		e.w.open("VALUE.ARRAY")
		for i := range v.Len() {
			e.scalar(v.Index(i))
		}
		e.w.close("VALUE.ARRAY")
	case v.Type() == cim.Reference:
		e.valueReference(v.Ref())
	default:
		e.scalar(v)
	}
}

// scalar writes <VALUE>text</VALUE> for a non-null scalar.
func (e *encoder) scalar(v cim.Value) {
	e.w.open("VALUE")
	e.w.buf = appendScalar(e.w.buf, v)
	e.w.close("VALUE")
}

// appendScalar appends the DSP0201 text of a scalar: booleans as TRUE or
// FALSE, everything else as cim.Value.String writes it.
func appendScalar(b []byte, v cim.Value) []byte {
	t := v.Type()
	switch {
	case t == cim.String:
		return appendEscaped(b, v.Str(), false)
	case t == cim.Boolean && v.Bool():
		return append(b, "TRUE"...)
	case t == cim.Boolean:
		return append(b, "FALSE"...)
	case t.IsSigned():
		return strconv.AppendInt(b, v.Sint(), 10)
	case t.IsInteger():
		return strconv.AppendUint(b, v.Uint(), 10)
	}
	return appendEscaped(b, v.String(), false)
}

// valueReference writes a reference value. The path is written as
// precisely as it is known: with host and namespace as INSTANCEPATH (or
// CLASSPATH), with a namespace only as LOCALINSTANCEPATH (or
// LOCALCLASSPATH), bare as INSTANCENAME (or CLASSNAME).
//
//	<!ELEMENT VALUE.REFERENCE (CLASSPATH|LOCALCLASSPATH|CLASSNAME|
//	                           INSTANCEPATH|LOCALINSTANCEPATH|INSTANCENAME)>
func (e *encoder) valueReference(p cim.ObjectPath) {
	e.w.open("VALUE.REFERENCE")
	e.referencePath(p)
	e.w.close("VALUE.REFERENCE")
}

func (e *encoder) referencePath(p cim.ObjectPath) {
	inst := p.IsInstance()
	switch {
	case p.Host != "" && p.Namespace != "":
		e.fullPath(p)
	case p.Namespace != "" && inst:
		e.w.open("LOCALINSTANCEPATH")
		e.localNamespacePath(p.Namespace)
		e.instanceName(p)
		e.w.close("LOCALINSTANCEPATH")
	case p.Namespace != "":
		e.w.open("LOCALCLASSPATH")
		e.localNamespacePath(p.Namespace)
		e.className(p.ClassName)
		e.w.close("LOCALCLASSPATH")
	case inst:
		e.instanceName(p)
	default:
		e.className(p.ClassName)
	}
}

// fullPath writes the path of an instance or class with its host and
// namespace, taking the encoder's defaults for those the path lacks.
//
//	<!ELEMENT INSTANCEPATH (NAMESPACEPATH, INSTANCENAME)>
//	<!ELEMENT CLASSPATH (NAMESPACEPATH, CLASSNAME)>
func (e *encoder) fullPath(p cim.ObjectPath) {
	name := "CLASSPATH"
	if p.IsInstance() {
		name = "INSTANCEPATH"
	}
	e.w.open(name)
	e.namespacePath(p)
	if p.IsInstance() {
		e.instanceName(p)
	} else {
		e.className(p.ClassName)
	}
	e.w.close(name)
}

// namespacePath writes the host and namespace of p.
//
//	<!ELEMENT NAMESPACEPATH (HOST, LOCALNAMESPACEPATH)>
//	<!ELEMENT HOST (#PCDATA)>
func (e *encoder) namespacePath(p cim.ObjectPath) {
	host, ns := p.Host, p.Namespace
	if host == "" {
		host = e.host
	}
	if ns == "" {
		ns = e.ns
	}
	e.w.open("NAMESPACEPATH")
	e.w.element("HOST", host)
	e.localNamespacePath(ns)
	e.w.close("NAMESPACEPATH")
}

// localNamespacePath writes a namespace as its segments.
//
//	<!ELEMENT LOCALNAMESPACEPATH (NAMESPACE+)>
//	<!ELEMENT NAMESPACE EMPTY>  NAME required
func (e *encoder) localNamespacePath(ns string) {
	e.w.open("LOCALNAMESPACEPATH")
	for part := range strings.SplitSeq(cim.NormalizeNamespace(ns), "/") {
		e.w.start("NAMESPACE")
		e.w.attr("NAME", part)
		e.w.gt()
		e.w.close("NAMESPACE")
	}
	e.w.close("LOCALNAMESPACEPATH")
}

// className writes <CLASSNAME NAME="..."></CLASSNAME>.
//
//	<!ELEMENT CLASSNAME EMPTY>  NAME required
func (e *encoder) className(name string) {
	e.w.start("CLASSNAME")
	e.w.attr("NAME", name)
	e.w.gt()
	e.w.close("CLASSNAME")
}

// instanceName writes the class and keys of an instance path.
//
//	<!ELEMENT INSTANCENAME (KEYBINDING*|KEYVALUE?|VALUE.REFERENCE?)>  CLASSNAME required
func (e *encoder) instanceName(p cim.ObjectPath) {
	e.w.start("INSTANCENAME")
	e.w.attr("CLASSNAME", p.ClassName)
	e.w.gt()
	for _, k := range p.Keys {
		e.keyBinding(k)
	}
	e.w.close("INSTANCENAME")
}

// keyBinding writes one key: references as VALUE.REFERENCE, everything
// else as KEYVALUE with VALUETYPE and TYPE.
//
//	<!ELEMENT KEYBINDING (KEYVALUE|VALUE.REFERENCE)>  NAME required
//	<!ELEMENT KEYVALUE (#PCDATA)>  VALUETYPE, TYPE
func (e *encoder) keyBinding(k cim.KeyBinding) {
	e.w.start("KEYBINDING")
	e.w.attr("NAME", k.Name)
	e.w.gt()
	v := k.Value
	if v.Type() == cim.Reference {
		e.valueReference(v.Ref())
	} else {
		e.w.start("KEYVALUE")
		e.w.attr("VALUETYPE", valueType(v.Type()))
		if v.Type().Valid() {
			e.w.attr("TYPE", v.Type().String())
		}
		e.w.gt()
		if !v.IsNull() && !v.IsArray() {
			e.w.buf = appendScalar(e.w.buf, v)
		}
		e.w.close("KEYVALUE")
	}
	e.w.close("KEYBINDING")
}

// valueType gives the VALUETYPE of a key of type t.
func valueType(t cim.Type) string {
	switch {
	case t == cim.Boolean:
		return "boolean"
	case t.IsNumeric():
		return "numeric"
	}
	return "string"
}

// instance writes an instance with its property values.
//
//	<!ELEMENT INSTANCE (QUALIFIER*, (PROPERTY|PROPERTY.ARRAY|PROPERTY.REFERENCE)*)>  CLASSNAME required
func (e *encoder) instance(inst *cim.Instance) {
	e.w.start("INSTANCE")
	e.w.attr("CLASSNAME", inst.ClassName)
	e.w.gt()
	for _, p := range inst.Properties {
		e.propertyValue(p.Name, p.Value)
	}
	e.w.close("INSTANCE")
}

// propertyValue writes one property of an instance; the element and TYPE
// follow the value. An untyped null is written as a null string.
func (e *encoder) propertyValue(name string, v cim.Value) {
	elem := propertyElement(v.Type() == cim.Reference, v.IsArray())
	e.w.start(elem)
	e.w.attr("NAME", name)
	if elem != "PROPERTY.REFERENCE" {
		e.w.attr("TYPE", typeName(v.Type()))
	}
	e.w.gt()
	e.value(v)
	e.w.close(elem)
}

// propertyElement names the element of a property.
func propertyElement(ref, array bool) string {
	switch {
	case ref && !array:
		return "PROPERTY.REFERENCE"
	case array:
		return "PROPERTY.ARRAY"
	}
	return "PROPERTY"
}

// typeName is the TYPE attribute of a value of type t; string stands in
// for the missing type of an untyped null.
func typeName(t cim.Type) string {
	if !t.Valid() {
		return "string"
	}
	return t.String()
}
