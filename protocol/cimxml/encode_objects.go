package cimxml

import (
	"fmt"
	"strconv"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// objectWriter writes one element of an enumeration result.
type objectWriter func(e *encoder, o *cimom.Object) error

// objectWriters gives, per enumerating operation, the element of each
// result object (DSP0200 clause 5.3.2).
var objectWriters = map[cimom.Operation]objectWriter{
	cimom.EnumerateClasses:            (*encoder).classObject,
	cimom.EnumerateClassNames:         (*encoder).classNameObject,
	cimom.EnumerateInstances:          (*encoder).namedInstance,
	cimom.EnumerateInstanceNames:      (*encoder).instanceNameObject,
	cimom.Associators:                 (*encoder).objectWithPath,
	cimom.References:                  (*encoder).objectWithPath,
	cimom.ExecQuery:                   (*encoder).objectWithPath,
	cimom.AssociatorNames:             (*encoder).objectPath,
	cimom.ReferenceNames:              (*encoder).objectPath,
	cimom.OpenEnumerateInstances:      (*encoder).instanceWithPath,
	cimom.OpenAssociatorInstances:     (*encoder).instanceWithPath,
	cimom.OpenReferenceInstances:      (*encoder).instanceWithPath,
	cimom.PullInstancesWithPath:       (*encoder).instanceWithPath,
	cimom.OpenEnumerateInstancePaths:  (*encoder).instancePathObject,
	cimom.OpenAssociatorInstancePaths: (*encoder).instancePathObject,
	cimom.OpenReferenceInstancePaths:  (*encoder).instancePathObject,
	cimom.PullInstancePaths:           (*encoder).instancePathObject,
	cimom.OpenQueryInstances:          (*encoder).instanceObject,
	cimom.PullInstances:               (*encoder).instanceObject,
}

// objects writes every object of seq, flushing between objects. It stops
// at the first error, of the sequence or of a malformed object.
func (e *encoder) objects(op cimom.Operation, seq cimom.Objects) error {
	write, ok := objectWriters[op]
	if !ok {
		return fmt.Errorf("%s: no result encoding", op)
	}
	var cur cimom.Object // one variable for all objects: taking its address does not allocate each time
	key := e.encodingKey(op)
	for o, err := range seq {
		if err == nil {
			cur = o
			err = e.kept(write, &cur, key)
		}
		if err != nil {
			return err
		}
		e.w.maybeFlush()
		if e.w.err != nil {
			return e.w.err
		}
	}
	return nil
}

// kept writes o with write, or the bytes written for it before when o
// carries its encodings (see cimom.Encodings), and keeps what it wrote
// there for the next answer.
func (e *encoder) kept(write objectWriter, o *cimom.Object, key string) error {
	if !o.Encodings.For(o) {
		return write(e, o)
	}
	if b, ok := o.Encodings.Get(key); ok {
		e.w.buf = append(e.w.buf, b...)
		return nil
	}
	start := len(e.w.buf)
	if err := write(e, o); err != nil {
		return err
	}
	o.Encodings.Put(key, e.w.buf[start:])
	return nil
}

// encodingKey names everything but the object that an object's bytes
// depend on in this answer: the protocol, the operation (which gives the
// element) and the encoder's defaults and options.
func (e *encoder) encodingKey(op cimom.Operation) string {
	return "cimxml " + strconv.Itoa(int(op)) + " " + strconv.FormatBool(e.qualifiers) + " " +
		strconv.FormatBool(e.classOrigin) + " " + e.host + "\x00" + e.ns
}

// objectPathOf returns o's path with its class name filled in from the
// instance or class when missing.
func objectPathOf(o *cimom.Object) cim.ObjectPath {
	p := o.Path
	if p.ClassName == "" && o.Instance != nil {
		p.ClassName = o.Instance.ClassName
	}
	if p.ClassName == "" && o.Class != nil {
		p.ClassName = o.Class.Name
	}
	return p
}

func needInstance(o *cimom.Object) error {
	if o.Instance == nil {
		return fmt.Errorf("result object %s: %w", o.Path, errNoResult)
	}
	return nil
}

// classObject writes a class of EnumerateClasses.
func (e *encoder) classObject(o *cimom.Object) error {
	if o.Class == nil {
		return fmt.Errorf("result object %s: %w", o.Path, errNoResult)
	}
	e.class(o.Class)
	return nil
}

// classNameObject writes a class name of EnumerateClassNames.
func (e *encoder) classNameObject(o *cimom.Object) error {
	e.className(objectPathOf(o).ClassName)
	return nil
}

// namedInstance writes an instance of EnumerateInstances.
//
//	<!ELEMENT VALUE.NAMEDINSTANCE (INSTANCENAME, INSTANCE)>
func (e *encoder) namedInstance(o *cimom.Object) error {
	if err := needInstance(o); err != nil {
		return err
	}
	e.w.open("VALUE.NAMEDINSTANCE")
	e.instanceName(objectPathOf(o))
	e.instance(o.Instance)
	e.w.close("VALUE.NAMEDINSTANCE")
	return nil
}

// instanceNameObject writes an instance name of EnumerateInstanceNames.
func (e *encoder) instanceNameObject(o *cimom.Object) error {
	e.instanceName(objectPathOf(o))
	return nil
}

// objectWithPath writes an instance or class with its full path
// (Associators, References, ExecQuery).
//
//	<!ELEMENT VALUE.OBJECTWITHPATH ((CLASSPATH, CLASS)|(INSTANCEPATH, INSTANCE))>
func (e *encoder) objectWithPath(o *cimom.Object) error {
	if o.Class == nil {
		if err := needInstance(o); err != nil {
			return err
		}
	}
	e.w.open("VALUE.OBJECTWITHPATH")
	e.fullPath(objectPathOf(o))
	if o.Class != nil {
		e.class(o.Class)
	} else {
		e.instance(o.Instance)
	}
	e.w.close("VALUE.OBJECTWITHPATH")
	return nil
}

// objectPath writes a full path (AssociatorNames, ReferenceNames).
//
//	<!ELEMENT OBJECTPATH (INSTANCEPATH|CLASSPATH)>
func (e *encoder) objectPath(o *cimom.Object) error {
	e.w.open("OBJECTPATH")
	e.fullPath(objectPathOf(o))
	e.w.close("OBJECTPATH")
	return nil
}

// instanceWithPath writes an instance with its full path (the Open and
// Pull operations returning instances with paths).
//
//	<!ELEMENT VALUE.INSTANCEWITHPATH (INSTANCEPATH, INSTANCE)>
func (e *encoder) instanceWithPath(o *cimom.Object) error {
	if err := needInstance(o); err != nil {
		return err
	}
	e.w.open("VALUE.INSTANCEWITHPATH")
	e.fullPath(objectPathOf(o))
	e.instance(o.Instance)
	e.w.close("VALUE.INSTANCEWITHPATH")
	return nil
}

// instancePathObject writes a full instance path (the Open and Pull
// operations returning paths).
func (e *encoder) instancePathObject(o *cimom.Object) error {
	e.fullPath(objectPathOf(o))
	return nil
}

// instanceObject writes an instance without path (OpenQueryInstances,
// PullInstances).
func (e *encoder) instanceObject(o *cimom.Object) error {
	if err := needInstance(o); err != nil {
		return err
	}
	e.instance(o.Instance)
	return nil
}
