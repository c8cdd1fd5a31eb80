package provider

import (
	"cmp"
	"errors"
	"fmt"
	"os"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// Options configures Register. The zero value gives the defaults.
type Options struct {
	// Namespace is where Msvm_RedundancySet and its companions are served;
	// default "root/hypervcluster/v2".
	Namespace string
	// InteropNamespace holds the discovery classes; default "root/interop".
	InteropNamespace string
	// ProductVersion is redset's version, shown in the description of the
	// CIM_ObjectManager instance; default "dev".
	ProductVersion string
	// SystemName names the host in the keys of the interop instances
	// (SystemName of CIM_ObjectManager and CIM_Namespace); default the
	// host name, or "localhost" when it cannot be read.
	SystemName string
}

// The default namespaces.
const (
	DefaultNamespace        = "root/hypervcluster/v2"
	DefaultInteropNamespace = "root/interop"
)

func (o Options) withDefaults() Options {
	o.Namespace = cim.NormalizeNamespace(cmp.Or(o.Namespace, DefaultNamespace))
	o.InteropNamespace = cim.NormalizeNamespace(cmp.Or(o.InteropNamespace, DefaultInteropNamespace))
	o.ProductVersion = cmp.Or(o.ProductVersion, "dev")
	if o.SystemName == "" {
		o.SystemName = hostName()
	}
	return o
}

// hostName is the machine's host name, or "localhost".
func hostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}

// Register makes the providers of redset's CIM classes serve through d:
// Msvm_RedundancySet, Msvm_ComputerSystem, Msvm_MemberOfCollection and
// CIM_IsSpare in opts.Namespace from eng, and CIM_ObjectManager,
// CIM_Namespace, CIM_RegisteredProfile and CIM_NamespaceInManager in
// opts.InteropNamespace.
//
// Register first reads every class from d's schema (through GetClass) and
// checks that it declares each property a provider fills with the type
// the provider produces; any mismatch fails Register before anything is
// registered. It fails afterwards only when a class already has a
// provider, and then the providers registered before stay.
func Register(d *cimom.Dispatcher, eng *engine.Engine, opts Options) error {
	if d == nil || eng == nil {
		return errors.New("provider: Register needs a dispatcher and an engine")
	}
	regs, err := registrations(d, eng, opts.withDefaults())
	if err != nil {
		return err
	}
	for _, r := range regs {
		if err := d.Register(r.ns, r.class, r.provider); err != nil {
			return fmt.Errorf("provider: registering %s in %s: %w", r.class, r.ns, err)
		}
	}
	return nil
}

// registration is one provider for one class of one namespace.
type registration struct {
	ns, class string
	provider  any
}

func registrations(d *cimom.Dispatcher, eng *engine.Engine, opts Options) ([]registration, error) {
	ns := opts.Namespace
	dom, err := loadDomain(classes{d: d, ns: ns})
	if err != nil {
		return nil, err
	}
	regs := []registration{
		{ns, dom.set.class, &redundancySet{dom: dom, eng: eng}},
		{ns, dom.system.class, &computerSystem{dom: dom, eng: eng}},
		{ns, dom.member.class, newMemberOfCollection(dom, eng)},
		{ns, dom.spare.class, newIsSpare(dom, eng)},
	}
	more, err := interopRegistrations(classes{d: d, ns: opts.InteropNamespace}, opts)
	if err != nil {
		return nil, err
	}
	return append(regs, more...), nil
}

// interopRegistrations builds the interop instances and their providers.
func interopRegistrations(c classes, opts Options) ([]registration, error) {
	b := &interop{c: c, opts: opts, namespaces: []string{opts.Namespace, opts.InteropNamespace}}
	var err error
	if b.manager, err = b.objectManager(); err != nil {
		return nil, err
	}
	namespaces, err := b.namespaceObjects()
	if err != nil {
		return nil, err
	}
	profile, err := b.profile()
	if err != nil {
		return nil, err
	}
	links, err := b.links(namespaces)
	if err != nil {
		return nil, err
	}
	return []registration{
		{c.ns, classObjectManager, &staticProvider{class: classObjectManager, objs: []cimom.Object{b.manager}}},
		{c.ns, classNamespace, &staticProvider{class: classNamespace, objs: namespaces}},
		{c.ns, classRegisteredProfile, &staticProvider{class: classRegisteredProfile, objs: []cimom.Object{profile}}},
		{c.ns, classNamespaceInManager, &staticAssociation{staticProvider{class: classNamespaceInManager, objs: links}}},
	}, nil
}
