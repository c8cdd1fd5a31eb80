package mof

import (
	"strings"

	"github.com/redset/redset/cim"
)

// instance compiles an "instance of" declaration: the class must exist and
// not be abstract, every named property must exist in it and get a value
// of its type, and an alias names the instance's path for later
// references.
func (c *compiler) instance(n *InstanceNode) {
	class, ok := c.sink.Class(c.ns, n.ClassName)
	if !ok {
		c.errorf(n.ClassPos, "class "+n.ClassName+" is not defined")
		return
	}
	if class.IsAbstract() {
		c.errorf(n.ClassPos, "class "+class.Name+" is abstract and cannot have instances")
		return
	}
	_, ok = c.qualifiers(n.Qualifiers, cim.ScopeClass|cim.ScopeAssociation|cim.ScopeIndication, "instance")
	inst := cim.Instance{ClassName: class.Name}
	seen := make(map[string]Pos, len(n.Properties))
	for i := range n.Properties {
		pv, good := c.propertyValue(&n.Properties[i], class)
		good = c.unique(seen, pv.Name, n.Properties[i].Pos, "property") && good
		ok = ok && good
		inst.Properties = append(inst.Properties, pv)
	}
	if !ok || !c.checkKeys(n, class, inst) {
		return
	}
	if err := c.sink.AddInstance(c.ns, inst); err != nil {
		c.errorf(n.Pos, errText(err))
	}
}

// propertyValue compiles one "Name = value;" of an instance.
func (c *compiler) propertyValue(n *PropertyValueNode, class *cim.Class) (cim.PropertyValue, bool) {
	prop, ok := class.Property(n.Name)
	if !ok {
		c.errorf(n.Pos, "class "+class.Name+" has no property "+n.Name)
		return cim.PropertyValue{Name: n.Name}, false
	}
	scope, what := cim.ScopeProperty, "property"
	if prop.Type == cim.Reference {
		scope, what = cim.ScopeReference, "reference"
	}
	_, good := c.qualifiers(n.Qualifiers, scope, what)
	v, verr := c.value(n.Value, prop.Type, prop.IsArray, false)
	if verr != nil {
		c.errorf(verr.pos, "property "+prop.Name+": "+verr.msg)
		return cim.PropertyValue{Name: prop.Name}, false
	}
	return cim.PropertyValue{Name: prop.Name, Value: v}, good
}

// checkKeys makes sure every key has a value (given or defaulted) and
// records the alias, which must be new.
func (c *compiler) checkKeys(n *InstanceNode, class *cim.Class, inst cim.Instance) bool {
	p, err := inst.Path(class, c.ns)
	if err != nil {
		c.errorf(n.Pos, "instance of "+class.Name+": "+errText(err))
		return false
	}
	if n.Alias == "" {
		return true
	}
	key := strings.ToLower(n.Alias)
	if _, dup := c.aliases[key]; dup {
		c.errorf(n.Pos, "alias $"+n.Alias+" is already defined")
		return false
	}
	c.aliases[key] = p
	return true
}
