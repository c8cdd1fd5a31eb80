package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redset/redset/cim"
)

// A reference names a set or a member when it is in this namespace (or
// names none), its class is the served class or one of its superclasses,
// and its keys are exactly those of the served class with the values an
// instance here has. The host is not checked: redset cannot know every
// name clients use for it.

// errNoRef is the reason for a missing reference.
var errNoRef = errors.New("no reference given")

// setID returns the InstanceID of the redundancy set p names.
func (d *domain) setID(ns string, p cim.ObjectPath) (string, error) {
	if err := d.checkRef(ns, p, d.sets, 1); err != nil {
		return "", err
	}
	return keyString(p, d.set.names[setInstanceID])
}

// memberName returns the name of the member p names as an
// Msvm_ComputerSystem.
func (d *domain) memberName(ns string, p cim.ObjectPath) (string, error) {
	if err := d.checkRef(ns, p, d.systems, 2); err != nil {
		return "", err
	}
	ccn, err := keyString(p, d.system.names[sysCreationClassName])
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(ccn, d.system.class) {
		return "", fmt.Errorf("%s: CreationClassName must be %s", p, d.system.class)
	}
	return keyString(p, d.system.names[sysName])
}

// checkRef checks the namespace, class and number of keys of p.
func (d *domain) checkRef(ns string, p cim.ObjectPath, lin lineage, keys int) error {
	switch {
	case p.ClassName == "" && len(p.Keys) == 0:
		return errNoRef
	case p.Namespace != "" && !cim.SameNamespace(p.Namespace, ns):
		return fmt.Errorf("%s is in namespace %s, not %s", p, cim.NormalizeNamespace(p.Namespace), ns)
	case !lin.has(p.ClassName):
		return fmt.Errorf("%s: class %s is not %s or one of its superclasses", p, p.ClassName, lin[0])
	case len(p.Keys) != keys:
		return fmt.Errorf("%s: an instance of %s has %d keys", p, lin[0], keys)
	}
	return nil
}

// keyString returns the non-empty string value of key name of p.
func keyString(p cim.ObjectPath, name string) (string, error) {
	v, ok := p.Key(name)
	switch {
	case !ok:
		return "", fmt.Errorf("%s: key %s is missing", p, name)
	case v.IsNull() || v.IsArray() || v.Type() != cim.String:
		return "", fmt.Errorf("%s: key %s must be a string", p, name)
	case v.Str() == "":
		return "", fmt.Errorf("%s: key %s is empty", p, name)
	}
	return v.Str(), nil
}

// refValue reads a reference from a value: a reference, or a string
// holding an object path. A null value gives the zero path.
func refValue(v cim.Value) (cim.ObjectPath, error) {
	switch {
	case v.IsNull():
		return cim.ObjectPath{}, nil
	case v.IsArray():
		return cim.ObjectPath{}, fmt.Errorf("an array is not a reference")
	case v.Type() == cim.Reference:
		return v.Ref(), nil
	case v.Type() == cim.String:
		return cim.ParseObjectPath(v.Str())
	}
	return cim.ObjectPath{}, fmt.Errorf("a %s value is not a reference", v.Type())
}

// refKey reads the reference held by key name of an association path.
func refKey(p cim.ObjectPath, name string) (cim.ObjectPath, error) {
	v, ok := p.Key(name)
	if !ok {
		return cim.ObjectPath{}, fmt.Errorf("%s: key %s is missing", p, name)
	}
	ref, err := refValue(v)
	if err == nil && !ref.IsInstance() {
		err = fmt.Errorf("%s: key %s does not name an instance", p, name)
	}
	return ref, err
}
