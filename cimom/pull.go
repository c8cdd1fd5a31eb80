package cimom

import (
	"cmp"
	"context"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/wql"
)

// The pull operations (DSP0200). An Open* operation
// checks its arguments like its non-pull twin, starts the lazy sequence
// (applying FilterQueryLanguage/FilterQuery, given in QueryLanguage and
// Query, as a WQL or CQL filter), opens an enumeration context bound to
// the namespace and to the kind of results, and returns the first
// MaxObjectCount objects. The sequence runs under a context detached from
// the opening request's cancellation (its values stay) and cancelled when
// the enumeration context ends. EnumerationContext is empty once
// EndOfSequence is true: the context is then closed.

func (c *call) openEnumerateInstances() (*Response, error) {
	return c.open(KindInstancesWithPath, true, (*call).openedInstances)
}

func (c *call) openEnumerateInstancePaths() (*Response, error) {
	return c.open(KindInstancePaths, true, (*call).openedInstances)
}

func (c *call) openAssociatorInstances() (*Response, error) {
	return c.open(KindInstancesWithPath, true, (*call).openedAssociators)
}

func (c *call) openAssociatorInstancePaths() (*Response, error) {
	return c.open(KindInstancePaths, true, (*call).openedAssociators)
}

func (c *call) openReferenceInstances() (*Response, error) {
	return c.open(KindInstancesWithPath, true, (*call).openedReferences)
}

func (c *call) openReferenceInstancePaths() (*Response, error) {
	return c.open(KindInstancePaths, true, (*call).openedReferences)
}

// openQueryInstances runs QueryLanguage/Query as ExecQuery does; its
// context is pulled with PullInstances.
func (c *call) openQueryInstances() (*Response, error) {
	return c.open(KindInstances, false, func(cc *call) (Objects, propFilter, error) {
		objs, err := cc.queryObjects()
		return objs, propFilter{}, err
	})
}

// openedInstances enumerates ClassName, or the filter's FROM class when
// ClassName is empty.
func (c *call) openedInstances() (Objects, propFilter, error) {
	name := c.req.ClassName
	if c.filter != nil {
		name = cmp.Or(name, c.filter.ClassName())
	}
	class, err := c.class(name, cim.StatusInvalidClass)
	if err != nil {
		return nil, propFilter{}, err
	}
	objs, err := c.allInstances(class)
	f := newPropFilter(c.req.PropertyList)
	if !c.req.DeepInheritance {
		f.class = class
	}
	return objs, f, err
}

func (c *call) openedAssociators() (Objects, propFilter, error) {
	objs, err := c.associationObjects(false)
	return objs, newPropFilter(c.req.PropertyList), err
}

func (c *call) openedReferences() (Objects, propFilter, error) {
	objs, err := c.associationObjects(true)
	return objs, newPropFilter(c.req.PropertyList), err
}

// open runs the Open* steps; filtered says whether QueryLanguage/Query are
// a filter on the results.
func (c *call) open(kind EnumerationKind, filtered bool, build func(*call) (Objects, propFilter, error)) (*Response, error) {
	timeout, err := c.openChecks()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.ctx))
	cc := &call{d: c.d, ctx: ctx, req: c.req, ns: c.ns}
	objs, err := cc.openedObjects(kind, filtered, build)
	if err != nil {
		cancel()
		return nil, err
	}
	owner, _ := PrincipalFrom(c.ctx)
	id, err := c.d.enums.Open(objs, OpenOptions{Binding: Binding{c.ns, kind}, Timeout: timeout, Cancel: cancel, Owner: owner.User})
	if err != nil {
		cancel()
		return nil, err
	}
	return c.pullFrom(id, kind)
}

// openedObjects builds the sequence, filters it, and shapes it for kind.
func (c *call) openedObjects(kind EnumerationKind, filtered bool, build func(*call) (Objects, propFilter, error)) (Objects, error) {
	if filtered && (c.req.Query != "" || c.req.QueryLanguage != "") {
		q, err := c.filterQuery()
		if err != nil {
			return nil, err
		}
		c.filter = q
	}
	objs, f, err := build(c)
	if err != nil {
		return nil, err
	}
	if c.filter != nil {
		objs = c.applyQuery(objs, c.filter)
	}
	if kind == KindInstancePaths {
		return namesOnly(objs), nil
	}
	return mapObjects(objs, func(o Object) (Object, bool, error) {
		o.Instance = f.apply(o.Instance)
		return o, true, nil
	}), nil
}

// filterQuery parses FilterQueryLanguage/FilterQuery; both or neither must
// be given.
func (c *call) filterQuery() (*wql.Query, error) {
	if c.req.Query == "" || c.req.QueryLanguage == "" {
		return nil, c.errorf(cim.StatusInvalidParameter, "FilterQueryLanguage and FilterQuery must be given together")
	}
	q, _, err := c.parseQuery(c.req.QueryLanguage, c.req.Query)
	return q, err
}

// openChecks refuses ContinueOnError and checks OperationTimeout (seconds;
// nil means the default, 0 (no timeout) is not offered).
func (c *call) openChecks() (time.Duration, error) {
	if c.req.ContinueOnError {
		return 0, c.errorf(cim.StatusContinuationOnErrorNotSupported, "ContinueOnError is not supported: an enumeration ends at its first error")
	}
	t := c.req.OperationTimeout
	switch {
	case t == nil:
		return c.d.opts.OperationTimeout, nil
	case *t == 0:
		return 0, c.errorf(cim.StatusInvalidOperationTimeout, "an OperationTimeout of 0 (never expire) is not supported; the limit is %d seconds", c.maxTimeoutSeconds())
	case time.Duration(*t)*time.Second > c.d.opts.MaxOperationTimeout:
		return 0, c.errorf(cim.StatusInvalidOperationTimeout, "OperationTimeout %d seconds exceeds the limit of %d seconds", *t, c.maxTimeoutSeconds())
	}
	return time.Duration(*t) * time.Second, nil
}

func (c *call) maxTimeoutSeconds() int64 {
	return int64(c.d.opts.MaxOperationTimeout / time.Second)
}

func (c *call) pullInstancesWithPath() (*Response, error) {
	return c.pullFrom(c.req.EnumerationContext, KindInstancesWithPath)
}

func (c *call) pullInstancePaths() (*Response, error) {
	return c.pullFrom(c.req.EnumerationContext, KindInstancePaths)
}

func (c *call) pullInstances() (*Response, error) {
	return c.pullFrom(c.req.EnumerationContext, KindInstances)
}

// pullFrom returns the next chunk of context id, at most MaxObjectCount
// objects (capped by Options.MaxObjectCount).
func (c *call) pullFrom(id string, kind EnumerationKind) (*Response, error) {
	n := int(min(c.req.MaxObjectCount, c.d.opts.MaxObjectCount))
	objs, end, err := c.d.enums.Pull(id, n, Binding{Namespace: c.ns, Kind: kind})
	if err != nil {
		return nil, err
	}
	resp := &Response{Objects: sliceObjects(objs), EndOfSequence: end}
	if !end {
		resp.EnumerationContext = id
	}
	return resp, nil
}

// closeEnumeration serves CloseEnumeration (DSP0200).
func (c *call) closeEnumeration() (*Response, error) {
	if err := c.d.enums.Close(c.req.EnumerationContext, c.ns); err != nil {
		return nil, err
	}
	return &Response{}, nil
}

// enumerationCount serves EnumerationCount (DSP0200): the number
// of objects remaining, or a nil Count when it is unknown.
func (c *call) enumerationCount() (*Response, error) {
	n, err := c.d.enums.Count(c.req.EnumerationContext, Binding{Namespace: c.ns})
	if err != nil {
		return nil, err
	}
	return &Response{Count: n}, nil
}
