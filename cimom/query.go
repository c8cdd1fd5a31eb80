package cimom

import (
	"github.com/redset/redset/cim"
	"github.com/redset/redset/wql"
)

// execQuery serves ExecQuery (DSP0200) in WQL or the DMTF:CQL
// subset the wql package reads: the instances of the FROM class and its
// subclasses that match the WHERE clause, projected to the select list,
// with their paths. Another language is
// CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED; a malformed query, an unknown
// class or property, or a comparison that does not suit a property's type
// is CIM_ERR_INVALID_QUERY.
func (c *call) execQuery() (*Response, error) {
	objs, err := c.queryObjects()
	if err != nil {
		return nil, err
	}
	return &Response{Objects: objs}, nil
}

func (c *call) queryObjects() (Objects, error) {
	q, class, err := c.parseQuery(c.req.QueryLanguage, c.req.Query)
	if err != nil {
		return nil, err
	}
	objs, err := c.allInstances(class)
	if err != nil {
		return nil, err
	}
	return c.applyQuery(objs, q), nil
}

// parseQuery parses a query and checks it against its FROM class.
func (c *call) parseQuery(lang, text string) (*wql.Query, *cim.Class, error) {
	q, err := wql.ParseLanguage(lang, text)
	if err != nil {
		return nil, nil, err
	}
	class, ok := c.d.repo.Class(c.ns, q.ClassName())
	if !ok {
		return nil, nil, c.errorf(cim.StatusInvalidQuery, "wql: class %s does not exist in namespace %s", q.ClassName(), c.ns)
	}
	if err := q.Check(class); err != nil {
		return nil, nil, err
	}
	return q, class, nil
}

// applyQuery keeps the instances of the query's class that match it, each
// projected to the select list.
func (c *call) applyQuery(objs Objects, q *wql.Query) Objects {
	return mapObjects(objs, func(o Object) (Object, bool, error) {
		if o.Instance == nil || !c.d.isa(c.ns, o.Instance.ClassName, q.ClassName()) {
			return o, false, nil
		}
		ok, err := q.Match(*o.Instance, c.isaFunc)
		if err != nil || !ok {
			return o, false, err
		}
		p := q.Project(*o.Instance)
		o.Instance = &p
		return o, true, nil
	})
}
