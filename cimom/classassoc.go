package cimom

import (
	"slices"
	"strings"

	"github.com/redset/redset/cim"
)

// classAssociations answers an association operation whose source is a
// class: from the schema alone, References and ReferenceNames give the
// association classes that can refer to the class (or a superclass of it)
// through a reference matching Role, filtered by ResultClass;
// Associators and AssociatorNames give the classes at the other ends
// (matching ResultRole and ResultClass) of those associations, filtered by
// AssocClass.
func (c *call) classAssociations(refs bool) (Objects, error) {
	src, err := c.class(c.req.ObjectName.ClassName, cim.StatusInvalidParameter)
	if err == nil {
		err = c.checkFilterClasses()
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range c.assocClasses() {
		for _, role := range c.sourceRoles(a, src) {
			names = c.classResults(names, a, role, refs)
		}
	}
	return c.classObjects(names, false), nil
}

// classResults adds the results of association class a, reached through
// role, to names.
func (c *call) classResults(names []string, a *cim.Class, role string, refs bool) []string {
	if refs {
		return c.addClass(names, a.Name)
	}
	for _, p := range a.Properties {
		if p.Type != cim.Reference || strings.EqualFold(p.Name, role) || p.RefClass == "" {
			continue
		}
		if c.req.ResultRole == "" || strings.EqualFold(p.Name, c.req.ResultRole) {
			names = c.addClass(names, p.RefClass)
		}
	}
	return names
}

// addClass appends a class name that passes ResultClass and is not there
// yet.
func (c *call) addClass(names []string, name string) []string {
	if c.req.ResultClass != "" && !c.d.isa(c.ns, name, c.req.ResultClass) {
		return names
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) }) {
		return names
	}
	return append(names, name)
}
