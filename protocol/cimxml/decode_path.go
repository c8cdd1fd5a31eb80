package cimxml

import (
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/redset/redset/cim"
)

// localNamespacePath reads a namespace given as its path segments.
//
//	<!ELEMENT LOCALNAMESPACEPATH (NAMESPACE+)>
//	<!ELEMENT NAMESPACE EMPTY>  NAME required
func (t *tokens) localNamespacePath(xml.StartElement) (string, error) {
	var parts []string
	for {
		se, ok, err := t.child()
		if err != nil {
			return "", err
		}
		if !ok {
			break
		}
		if se.Name.Local != "NAMESPACE" {
			return "", unexpected("LOCALNAMESPACEPATH", se)
		}
		name, err := needAttr(se, "NAME")
		if err != nil {
			return "", err
		}
		parts = append(parts, name)
		if err := t.empty(se); err != nil {
			return "", err
		}
	}
	if len(parts) == 0 {
		return "", cim.Errorf(cim.StatusInvalidNamespace, "LOCALNAMESPACEPATH names no namespace")
	}
	return cim.NormalizeNamespace(strings.Join(parts, "/")), nil
}

// namespacePath reads a namespace on a host.
//
//	<!ELEMENT NAMESPACEPATH (HOST, LOCALNAMESPACEPATH)>
//	<!ELEMENT HOST (#PCDATA)>
func (t *tokens) namespacePath() (host, ns string, err error) {
	if _, err = t.need("NAMESPACEPATH", "HOST"); err != nil {
		return "", "", err
	}
	if host, err = t.text("HOST"); err != nil {
		return "", "", err
	}
	se, err := t.need("NAMESPACEPATH", "LOCALNAMESPACEPATH")
	if err != nil {
		return "", "", err
	}
	if ns, err = t.localNamespacePath(se); err != nil {
		return "", "", err
	}
	return strings.TrimSpace(host), ns, t.end("NAMESPACEPATH")
}

// localPath reads a LOCALINSTANCEPATH or LOCALCLASSPATH.
//
//	<!ELEMENT LOCALINSTANCEPATH (LOCALNAMESPACEPATH, INSTANCENAME)>
//	<!ELEMENT LOCALCLASSPATH (LOCALNAMESPACEPATH, CLASSNAME)>
func (t *tokens) localPath(se xml.StartElement) (cim.ObjectPath, error) {
	ns, err := t.needNamespace(se.Name.Local)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	p, err := t.nameOf(se.Name.Local)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	p.Namespace = ns
	return p, t.end(se.Name.Local)
}

func (t *tokens) needNamespace(parent string) (string, error) {
	se, err := t.need(parent, "LOCALNAMESPACEPATH")
	if err != nil {
		return "", err
	}
	return t.localNamespacePath(se)
}

// fullPath reads an INSTANCEPATH or CLASSPATH.
//
//	<!ELEMENT INSTANCEPATH (NAMESPACEPATH, INSTANCENAME)>
//	<!ELEMENT CLASSPATH (NAMESPACEPATH, CLASSNAME)>
func (t *tokens) fullPath(se xml.StartElement) (cim.ObjectPath, error) {
	if _, err := t.need(se.Name.Local, "NAMESPACEPATH"); err != nil {
		return cim.ObjectPath{}, err
	}
	host, ns, err := t.namespacePath()
	if err != nil {
		return cim.ObjectPath{}, err
	}
	p, err := t.nameOf(se.Name.Local)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	p.Host, p.Namespace = host, ns
	return p, t.end(se.Name.Local)
}

// nameOf reads the INSTANCENAME of an instance path or the CLASSNAME of a
// class path.
func (t *tokens) nameOf(parent string) (cim.ObjectPath, error) {
	if strings.Contains(parent, "CLASS") {
		se, err := t.need(parent, "CLASSNAME")
		if err != nil {
			return cim.ObjectPath{}, err
		}
		name, err := t.className(se)
		return cim.ObjectPath{ClassName: name}, err
	}
	se, err := t.need(parent, "INSTANCENAME")
	if err != nil {
		return cim.ObjectPath{}, err
	}
	return t.instanceName(se)
}

// className reads a class name.
//
//	<!ELEMENT CLASSNAME EMPTY>  NAME required
func (t *tokens) className(se xml.StartElement) (string, error) {
	name, err := needAttr(se, "NAME")
	if err != nil {
		return "", err
	}
	return name, t.empty(se)
}

// instanceName reads the class and keys of an instance. The unnamed-key
// forms (a lone KEYVALUE or VALUE.REFERENCE) are not supported: without
// the class at hand the key's name is unknown.
//
//	<!ELEMENT INSTANCENAME (KEYBINDING*|KEYVALUE?|VALUE.REFERENCE?)>  CLASSNAME required
func (t *tokens) instanceName(se xml.StartElement) (cim.ObjectPath, error) {
	class, err := needAttr(se, "CLASSNAME")
	if err != nil {
		return cim.ObjectPath{}, err
	}
	var keys []cim.KeyBinding
	for {
		kb, ok, err := t.child()
		if err != nil {
			return cim.ObjectPath{}, err
		}
		if !ok {
			break
		}
		if kb.Name.Local != "KEYBINDING" {
			return cim.ObjectPath{}, notSupported("INSTANCENAME of %s: %s without a key name", class, kb.Name.Local)
		}
		k, err := t.keyBinding(kb)
		if err != nil {
			return cim.ObjectPath{}, err
		}
		if hasKey(keys, k.Name) {
			return cim.ObjectPath{}, invalidParam("INSTANCENAME of %s: key %s given twice", class, k.Name)
		}
		keys = append(keys, k)
	}
	p := cim.NewObjectPath("", class, keys...)
	p.Singleton = len(keys) == 0
	return p, nil
}

func hasKey(keys []cim.KeyBinding, name string) bool {
	for _, k := range keys {
		if strings.EqualFold(k.Name, name) {
			return true
		}
	}
	return false
}

// keyBinding reads one key of an instance name.
//
//	<!ELEMENT KEYBINDING (KEYVALUE|VALUE.REFERENCE)>  NAME required
func (t *tokens) keyBinding(se xml.StartElement) (cim.KeyBinding, error) {
	name, err := needAttr(se, "NAME")
	if err != nil {
		return cim.KeyBinding{}, err
	}
	kv, err := t.need("KEYBINDING", "KEYVALUE", "VALUE.REFERENCE")
	if err != nil {
		return cim.KeyBinding{}, err
	}
	var v cim.Value
	if kv.Name.Local == "KEYVALUE" {
		v, err = t.keyValue(kv)
	} else {
		var p cim.ObjectPath
		p, err = t.valueReference()
		v = cim.NewReference(p)
	}
	if err != nil {
		return cim.KeyBinding{}, withContext("key "+name, err)
	}
	return cim.KeyBinding{Name: name, Value: v}, t.end("KEYBINDING")
}

// keyValue reads a key value; see the package comment for the values of
// keys without TYPE.
//
//	<!ELEMENT KEYVALUE (#PCDATA)>
//	VALUETYPE (string|boolean|numeric) "string", TYPE (a CIM type) optional
func (t *tokens) keyValue(se xml.StartElement) (cim.Value, error) {
	text, err := t.text("KEYVALUE")
	if err != nil {
		return cim.Value{}, err
	}
	if name, ok := attr(se, "TYPE"); ok {
		typ, err := parseType(name)
		if err != nil {
			return cim.Value{}, err
		}
		return cim.ParseValue(typ, text)
	}
	vt, _ := attr(se, "VALUETYPE")
	switch vt {
	case "", "string":
		return cim.NewString(text), nil
	case "boolean":
		return cim.ParseValue(cim.Boolean, text)
	case "numeric":
		return parseNumeric(text)
	}
	return cim.Value{}, invalidParam("KEYVALUE: unknown VALUETYPE %q", vt)
}

// parseNumeric reads an untyped number: uint64, sint64 when negative,
// real64 with a decimal point or exponent.
func parseNumeric(text string) (cim.Value, error) {
	s := strings.TrimSpace(text)
	isHex := len(s) > 2 && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") ||
		strings.HasPrefix(s, "-0x") || strings.HasPrefix(s, "-0X"))
	switch {
	case !isHex && strings.ContainsAny(s, ".eE"):
		return cim.ParseValue(cim.Real64, s)
	case strings.HasPrefix(s, "-"):
		return cim.ParseValue(cim.Sint64, s)
	}
	return cim.ParseValue(cim.Uint64, s)
}

// parseType reads a TYPE or PARAMTYPE attribute value.
func parseType(name string) (cim.Type, error) {
	t, ok := cim.ParseType(strings.TrimSpace(name))
	if !ok {
		return cim.Invalid, invalidParam("unknown type %q", name)
	}
	return t, nil
}

// valueReference reads the path a reference value holds; the caller has
// read the VALUE.REFERENCE start element.
//
//	<!ELEMENT VALUE.REFERENCE (CLASSPATH|LOCALCLASSPATH|CLASSNAME|
//	                           INSTANCEPATH|LOCALINSTANCEPATH|INSTANCENAME)>
func (t *tokens) valueReference() (cim.ObjectPath, error) {
	se, err := t.need("VALUE.REFERENCE", "CLASSPATH", "LOCALCLASSPATH", "CLASSNAME",
		"INSTANCEPATH", "LOCALINSTANCEPATH", "INSTANCENAME")
	if err != nil {
		return cim.ObjectPath{}, err
	}
	var p cim.ObjectPath
	switch se.Name.Local {
	case "CLASSPATH", "INSTANCEPATH":
		p, err = t.fullPath(se)
	case "LOCALCLASSPATH", "LOCALINSTANCEPATH":
		p, err = t.localPath(se)
	case "CLASSNAME":
		p.ClassName, err = t.className(se)
	default:
		p, err = t.instanceName(se)
	}
	if err != nil {
		return cim.ObjectPath{}, err
	}
	return p, t.end("VALUE.REFERENCE")
}

// parseUintAttr reads an optional non-negative integer attribute.
func parseUintAttr(se xml.StartElement, name string) (int, error) {
	s, ok := attr(se, name)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 31)
	if err != nil {
		return 0, invalidParam("%s: bad %s %q", se.Name.Local, name, s)
	}
	return int(n), nil
}
