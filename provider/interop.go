package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// The interop namespace tells a client what the server is (one
// CIM_ObjectManager), which namespaces it serves (a CIM_Namespace for
// each, linked to the object manager by CIM_NamespaceInManager) and which
// management profile it implements (one CIM_RegisteredProfile: redset's
// own "Redundancy Set" profile, registered by the organisation "redset"
// since it is no DMTF profile). These instances never change while the
// server runs; they are built and checked against the schema once, at
// registration.

// The interop classes redset serves.
const (
	classNamespace          = "CIM_Namespace"
	classObjectManager      = "CIM_ObjectManager"
	classRegisteredProfile  = "CIM_RegisteredProfile"
	classNamespaceInManager = "CIM_NamespaceInManager"
)

// Values of the interop instances.
const (
	objectManagerName = "redset"
	hostClass         = "CIM_ComputerSystem"
	profileID         = "redset:profile:RedundancySet"
	profileName       = "Redundancy Set"
	profileVersion    = "1.0.0"
	profileOrg        = "redset"
	schemaVersion     = "2.49.0"
)

// prop is one property of a static instance; its value's type must be the
// declared one.
type prop struct {
	name  string
	value cim.Value
}

// staticObject builds an instance of class from props, in the class's
// spelling, checks it against the class (types and qualifiers), and gives
// it its path in ns.
func staticObject(class *cim.Class, ns string, props ...prop) (cimom.Object, error) {
	fields := make([]field, len(props))
	for i, p := range props {
		fields[i] = field{name: p.name, typ: p.value.Type(), array: p.value.IsArray()}
	}
	lay, err := newLayout(class, fields)
	if err != nil {
		return cimom.Object{}, err
	}
	in := &cim.Instance{ClassName: class.Name, Properties: make([]cim.PropertyValue, len(props))}
	for i, p := range props {
		in.Properties[i] = cim.PropertyValue{Name: lay.names[i], Value: p.value}
	}
	if err := cim.ValidateInstance(class, *in); err != nil {
		return cimom.Object{}, fmt.Errorf("provider: %s instance: %w", class.Name, err)
	}
	path, err := in.Path(class, ns)
	if err != nil {
		return cimom.Object{}, fmt.Errorf("provider: %s instance: %w", class.Name, err)
	}
	return cimom.Object{Path: path, Instance: in}, nil
}

// interop builds the instances of the interop namespace.
type interop struct {
	c          classes
	opts       Options
	namespaces []string
	manager    cimom.Object
}

// objectManager is the one CIM_ObjectManager: redset itself.
func (b *interop) objectManager() (cimom.Object, error) {
	class, err := b.c.get(classObjectManager)
	if err != nil {
		return cimom.Object{}, err
	}
	desc := "redset " + b.opts.ProductVersion + ": CIM object manager for redundancy sets"
	return staticObject(class, b.c.ns,
		prop{"SystemCreationClassName", cim.NewString(hostClass)},
		prop{"SystemName", cim.NewString(b.opts.SystemName)},
		prop{"CreationClassName", cim.NewString(class.Name)},
		prop{"Name", cim.NewString(objectManagerName)},
		prop{"ElementName", cim.NewString(objectManagerName)},
		prop{"Description", cim.NewString(desc)},
		prop{"Started", cim.NewBool(true)},
		prop{"EnabledState", cim.MustUint16(enabledEnabled)},
		prop{"OperationalStatus", cim.MustUint16Array([]uint16{2})},
		prop{"HealthState", cim.MustUint16(5)},
		prop{"GatherStatisticalData", cim.NewBool(false)},
	)
}

// namespaceObjects are the CIM_Namespace instances, one per namespace.
func (b *interop) namespaceObjects() ([]cimom.Object, error) {
	class, err := b.c.get(classNamespace)
	if err != nil {
		return nil, err
	}
	out := make([]cimom.Object, 0, len(b.namespaces))
	for _, ns := range b.namespaces {
		o, err := staticObject(class, b.c.ns,
			prop{"SystemCreationClassName", cim.NewString(hostClass)},
			prop{"SystemName", cim.NewString(b.opts.SystemName)},
			prop{"ObjectManagerCreationClassName", cim.NewString(b.manager.Instance.ClassName)},
			prop{"ObjectManagerName", cim.NewString(objectManagerName)},
			prop{"CreationClassName", cim.NewString(class.Name)},
			prop{"Name", cim.NewString(ns)},
			prop{"ClassInfo", cim.MustUint16(1)}, // Other: the list stops at CIM 2.8
			prop{"DescriptionOfClassInfo", cim.NewString("CIM " + schemaVersion)},
			prop{"ClassType", cim.MustUint16(2)}, // CIM
			prop{"ClassTypeVersion", cim.NewString(schemaVersion)},
		)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// profile is the CIM_RegisteredProfile of redset's redundancy model.
func (b *interop) profile() (cimom.Object, error) {
	class, err := b.c.get(classRegisteredProfile)
	if err != nil {
		return cimom.Object{}, err
	}
	return staticObject(class, b.c.ns,
		prop{"InstanceID", cim.NewString(profileID)},
		prop{"ElementName", cim.NewString(profileName)},
		prop{"SpecificationType", cim.MustUint16(2)},      // Profile
		prop{"RegisteredOrganization", cim.MustUint16(1)}, // Other
		prop{"OtherRegisteredOrganization", cim.NewString(profileOrg)},
		prop{"RegisteredName", cim.NewString(profileName)},
		prop{"RegisteredVersion", cim.NewString(profileVersion)},
		prop{"AdvertiseTypes", cim.MustUint16Array([]uint16{2})}, // Not Advertised
	)
}

// links are the CIM_NamespaceInManager instances.
func (b *interop) links(namespaces []cimom.Object) ([]cimom.Object, error) {
	class, err := b.c.get(classNamespaceInManager)
	if err != nil {
		return nil, err
	}
	out := make([]cimom.Object, 0, len(namespaces))
	for _, n := range namespaces {
		o, err := staticObject(class, b.c.ns,
			prop{"Antecedent", cim.NewReference(b.manager.Path)},
			prop{"Dependent", cim.NewReference(n.Path)},
		)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// staticProvider serves a fixed list of instances of one class.
type staticProvider struct {
	class string
	objs  []cimom.Object
}

// staticAssociation serves a fixed list of instances of an association
// class, finding those whose references name a target.
type staticAssociation struct {
	staticProvider
}

// EnumerateInstances yields copies of the instances.
func (p *staticProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		if !strings.EqualFold(class.Name, p.class) {
			return
		}
		for _, o := range p.objs {
			if !yield(o.WithOwnInstance(), nil) {
				return
			}
		}
	}
}

// GetInstance returns a copy of the instance at path.
func (p *staticProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	if strings.EqualFold(class.Name, p.class) {
		for _, o := range p.objs {
			if sameInstance(o.Path, path) {
				return o.WithOwnInstance().Instance, nil
			}
		}
	}
	return nil, cim.Errorf(cim.StatusNotFound, "no instance %s", path)
}

// References yields the instances whose reference property role (any
// reference property when role is empty) names target.
func (p *staticAssociation) References(ctx context.Context, ns string, assoc *cim.Class, target cim.ObjectPath, role string) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		if !strings.EqualFold(assoc.Name, p.class) {
			return
		}
		for _, o := range p.objs {
			if refersTo(o.Instance, role, target) && !yield(o.WithOwnInstance(), nil) {
				return
			}
		}
	}
}

// refersTo reports whether a reference property of inst matching role
// names target.
func refersTo(inst *cim.Instance, role string, target cim.ObjectPath) bool {
	for _, pv := range inst.Properties {
		if pv.Value.Type() != cim.Reference || pv.Value.IsNull() || !roleMatches(role, pv.Name) {
			continue
		}
		if sameInstance(pv.Value.Ref(), target) {
			return true
		}
	}
	return false
}

// sameInstance reports whether two instance paths name the same instance:
// same namespace (when both name one) and equal keys. Class names are not
// compared, since a path may name an instance through a superclass; the
// keys of these classes name the class themselves (CreationClassName).
func sameInstance(a, b cim.ObjectPath) bool {
	if a.Namespace != "" && b.Namespace != "" && !cim.SameNamespace(a.Namespace, b.Namespace) {
		return false
	}
	a.Host, b.Host, a.Namespace, b.Namespace = "", "", "", ""
	b.ClassName = a.ClassName
	return a.Equal(b)
}
