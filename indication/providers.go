package indication

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/wql"
)

// The cimom providers of the subscription classes in root/interop. They
// turn instances into the registry's records and back, and check what a
// client sends with the same errors as any instance:
//
//   - a query that does not parse, is too long (wql.MaxLength), or whose
//     FROM class is not an indication class of each source namespace:
//     CIM_ERR_INVALID_QUERY; a QueryLanguage other than WQL or DMTF:CQL:
//     CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED;
//   - a source namespace the server does not serve, a Destination that is
//     not an absolute http or https URL (see checkDestination), a
//     subscription whose Filter or Handler names nothing its creator may
//     use: CIM_ERR_INVALID_PARAMETER;
//   - a name already taken: CIM_ERR_ALREADY_EXISTS; deleting a filter or
//     destination a subscription uses, or a per-user bound reached:
//     CIM_ERR_FAILED.
//
// Keys a client leaves out are filled in (SystemCreationClassName,
// SystemName, CreationClassName; a destination's Name is made up).

// Class names of root/interop that the providers serve.
const (
	ClassFilter          = "CIM_IndicationFilter"
	ClassDestination     = "CIM_ListenerDestination"
	ClassDestinationXML  = "CIM_ListenerDestinationCIMXML"
	ClassSubscription    = "CIM_IndicationSubscription"
	ClassService         = "CIM_IndicationService"
	ClassCapabilities    = "CIM_IndicationServiceCapabilities"
	ClassElementCapabils = "CIM_ElementCapabilities"
	systemClass          = "CIM_ComputerSystem"
)

// protocolCIMXML is CIM_ListenerDestination.Protocol 2 (CIM-XML).
const protocolCIMXML uint16 = 2

// maxDuration bounds SubscriptionDuration: about a hundred years, far
// below what a time.Duration holds.
const maxDuration = 100 * 365 * 24 * 3600

// ProviderOptions configures Register.
type ProviderOptions struct {
	Registry *Registry
	// Classes is the schema: the FROM class of a filter's query must be
	// an indication class of each source namespace.
	Classes cimom.Repository
	// SystemName fills SystemName keys a client leaves empty (the host
	// name, as in the other interop instances).
	SystemName string
	Service    ServiceSettings
}

// Register makes the providers of the subscription classes, the
// indication service and its capabilities serve in namespace ns of d.
func Register(d *cimom.Dispatcher, ns string, o ProviderOptions) error {
	if o.Registry == nil || o.Classes == nil {
		return errors.New("indication: Register needs a registry and the schema")
	}
	b := base{o: o}
	static, err := serviceObjects(o, ns)
	if err != nil {
		return err
	}
	regs := []struct {
		class    string
		provider any
	}{
		{ClassFilter, &filterProvider{b}},
		{ClassDestinationXML, &destinationProvider{b}},
		{ClassSubscription, &subscriptionProvider{b}},
		{ClassService, &staticProvider{class: ClassService, objs: static[:1]}},
		{ClassCapabilities, &staticProvider{class: ClassCapabilities, objs: static[1:2]}},
		{ClassElementCapabils, &staticAssociation{staticProvider{class: ClassElementCapabils, objs: static[2:]}}},
	}
	for _, r := range regs {
		if err := d.Register(ns, r.class, r.provider); err != nil {
			return fmt.Errorf("indication: registering %s in %s: %w", r.class, ns, err)
		}
	}
	return nil
}

// base is what every provider of the registry's classes shares.
type base struct{ o ProviderOptions }

func (b base) reg() *Registry { return b.o.Registry }

// completeKeys fills the keys of a filter or destination a client left
// empty; a CreationClassName naming another class is refused.
func (b base) completeKeys(class *cim.Class, inst cim.Instance) (cim.Instance, error) {
	if ccn := str(inst, "CreationClassName"); ccn != "" && !strings.EqualFold(ccn, class.Name) {
		return cim.Instance{}, errorf(cim.StatusInvalidParameter, "CreationClassName %q is not the class of the instance, %s", ccn, class.Name)
	}
	fill(&inst, "SystemCreationClassName", systemClass)
	fill(&inst, "SystemName", b.o.SystemName)
	inst.Set("CreationClassName", cim.NewString(class.Name))
	return inst, nil
}

// fill sets a string property the instance leaves null or empty.
func fill(inst *cim.Instance, name, value string) {
	if str(*inst, name) == "" {
		inst.Set(name, cim.NewString(value))
	}
}

// filterProvider serves CIM_IndicationFilter.
type filterProvider struct{ base }

func (p *filterProvider) CompleteInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.Instance, error) {
	return p.completeKeys(class, inst)
}

func (p *filterProvider) CreateInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.ObjectPath, error) {
	f := FilterRecord{
		Keys: keysOf(inst), Element: elementOf(inst),
		Query: str(inst, "Query"), QueryLanguage: str(inst, "QueryLanguage"),
		SourceNamespace: str(inst, "SourceNamespace"), SourceNamespaces: strs(inst, "SourceNamespaces"),
		Individual: boolOr(inst, "IndividualSubscriptionSupported", true),
	}
	if err := p.checkFilter(f); err != nil {
		p.reg().audit(ctx, "indication filter created", f.Name, err)
		return cim.ObjectPath{}, err
	}
	if err := p.reg().AddFilter(ctx, CallerFrom(ctx), f); err != nil {
		return cim.ObjectPath{}, err
	}
	return keysPath(ns, f.Keys), nil
}

// checkFilter checks a new filter's name and query.
func (p *filterProvider) checkFilter(f FilterRecord) error {
	if f.Name == "" {
		return errorf(cim.StatusInvalidParameter, "a filter needs a Name")
	}
	return p.checkQuery(f)
}

// checkQuery parses a filter's query in its language and checks its FROM
// class in each source namespace.
func (p *filterProvider) checkQuery(f FilterRecord) error {
	q, err := wql.ParseLanguage(f.QueryLanguage, f.Query)
	if err != nil {
		return err
	}
	for _, ns := range p.reg().sourceNamespaces(f) {
		if !p.serves(ns) {
			return errorf(cim.StatusInvalidParameter, "source namespace %q is not served here", ns)
		}
		class, ok := p.o.Classes.Class(ns, q.ClassName())
		if !ok || !class.IsIndication() {
			return errorf(cim.StatusInvalidQuery, "%s is not an indication class of namespace %s", q.ClassName(), ns)
		}
		if err := q.Check(class); err != nil {
			return queryError(err)
		}
	}
	return nil
}

// queryError keeps a query check's CIM status, else makes it
// CIM_ERR_INVALID_QUERY.
func queryError(err error) error {
	var ce *cim.Error
	if errors.As(err, &ce) {
		return err
	}
	return errorf(cim.StatusInvalidQuery, "%v", err)
}

func (p *filterProvider) serves(ns string) bool {
	for _, n := range p.o.Classes.Namespaces() {
		if cim.SameNamespace(n, ns) {
			return true
		}
	}
	return false
}

func (p *filterProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	return objects(ctx, p.reg().Filters(CallerFrom(ctx)), func(f FilterRecord) cimom.Object { return filterObject(ns, f) })
}

func (p *filterProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	f, ok := p.reg().Filter(CallerFrom(ctx), pathKeys(path))
	if !ok {
		return nil, errorf(cim.StatusNotFound, "no filter %s", path)
	}
	return filterObject(ns, f).Instance, nil
}

func (p *filterProvider) DeleteInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) error {
	return p.reg().DeleteFilter(ctx, CallerFrom(ctx), pathKeys(path))
}

func filterObject(ns string, f FilterRecord) cimom.Object {
	in := keysInstance(ClassFilter, f.Keys, f.Element)
	in.Set("Query", cim.NewString(f.Query))
	in.Set("QueryLanguage", cim.NewString(f.QueryLanguage))
	if f.SourceNamespace != "" {
		in.Set("SourceNamespace", cim.NewString(f.SourceNamespace))
	}
	if len(f.SourceNamespaces) > 0 {
		in.Set("SourceNamespaces", cim.NewStringArray(f.SourceNamespaces))
	}
	in.Set("IndividualSubscriptionSupported", cim.NewBool(f.Individual))
	return cimom.Object{Path: keysPath(ns, f.Keys), Instance: in}
}

// destinationProvider serves CIM_ListenerDestinationCIMXML.
type destinationProvider struct{ base }

func (p *destinationProvider) CompleteInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.Instance, error) {
	fill(&inst, "Name", "redset:"+newID())
	return p.completeKeys(class, inst)
}

func (p *destinationProvider) CreateInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.ObjectPath, error) {
	d := DestinationRecord{
		Keys: keysOf(inst), Element: elementOf(inst), Destination: str(inst, "Destination"),
		PersistenceType: u16(inst, "PersistenceType"), OtherPersistenceType: str(inst, "OtherPersistenceType"),
		Protocol: u16(inst, "Protocol"), OtherProtocol: str(inst, "OtherProtocol"),
	}
	if d.Protocol == 0 {
		d.Protocol = protocolCIMXML
	}
	err := checkDestination(d.Destination)
	if d.Protocol != protocolCIMXML {
		err = errorf(cim.StatusInvalidParameter, "Protocol %d: a %s receives CIM-XML (2) only", d.Protocol, class.Name)
	}
	if err != nil {
		p.reg().audit(ctx, "listener destination created", d.Name+" "+clip(d.Destination), err)
		return cim.ObjectPath{}, err
	}
	if err := p.reg().AddDestination(ctx, CallerFrom(ctx), d); err != nil {
		return cim.ObjectPath{}, err
	}
	return keysPath(ns, d.Keys), nil
}

func (p *destinationProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	return objects(ctx, p.reg().Destinations(CallerFrom(ctx)), func(d DestinationRecord) cimom.Object { return destinationObject(ns, d) })
}

func (p *destinationProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	d, ok := p.reg().Destination(CallerFrom(ctx), pathKeys(path))
	if !ok {
		return nil, errorf(cim.StatusNotFound, "no listener destination %s", path)
	}
	return destinationObject(ns, d).Instance, nil
}

func (p *destinationProvider) DeleteInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) error {
	return p.reg().DeleteDestination(ctx, CallerFrom(ctx), pathKeys(path))
}

func destinationObject(ns string, d DestinationRecord) cimom.Object {
	in := keysInstance(ClassDestinationXML, d.Keys, d.Element)
	in.Set("Destination", cim.NewString(d.Destination))
	in.Set("Protocol", cim.MustUint16(d.Protocol))
	setIf(in, "PersistenceType", d.PersistenceType != 0, cim.MustUint16(d.PersistenceType))
	setIf(in, "OtherPersistenceType", d.OtherPersistenceType != "", cim.NewString(d.OtherPersistenceType))
	setIf(in, "OtherProtocol", d.OtherProtocol != "", cim.NewString(d.OtherProtocol))
	return cimom.Object{Path: keysPath(ns, d.Keys), Instance: in}
}

// objects yields one object per record.
func objects[T any](ctx context.Context, recs []T, obj func(T) cimom.Object) cimom.Objects {
	return func(yield func(cimom.Object, error) bool) {
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				yield(cimom.Object{}, err)
				return
			}
			if !yield(obj(r), nil) {
				return
			}
		}
	}
}

// keysInstance starts an instance with its four keys and element
// properties.
func keysInstance(class string, k Keys, e Element) *cim.Instance {
	in := &cim.Instance{ClassName: class}
	in.Set("SystemCreationClassName", cim.NewString(k.SystemCreationClassName))
	in.Set("SystemName", cim.NewString(k.SystemName))
	in.Set("CreationClassName", cim.NewString(k.CreationClassName))
	in.Set("Name", cim.NewString(k.Name))
	setIf(in, "Caption", e.Caption != "", cim.NewString(e.Caption))
	setIf(in, "Description", e.Description != "", cim.NewString(e.Description))
	setIf(in, "ElementName", e.ElementName != "", cim.NewString(e.ElementName))
	return in
}

func setIf(in *cim.Instance, name string, ok bool, v cim.Value) {
	if ok {
		in.Set(name, v)
	}
}

// keysPath is the instance path of a filter or destination.
func keysPath(ns string, k Keys) cim.ObjectPath {
	return cim.NewObjectPath(ns, k.CreationClassName,
		cim.KeyBinding{Name: "SystemCreationClassName", Value: cim.NewString(k.SystemCreationClassName)},
		cim.KeyBinding{Name: "SystemName", Value: cim.NewString(k.SystemName)},
		cim.KeyBinding{Name: "CreationClassName", Value: cim.NewString(k.CreationClassName)},
		cim.KeyBinding{Name: "Name", Value: cim.NewString(k.Name)},
	)
}

// pathKeys reads the four keys of a path (empty where it has none).
func pathKeys(p cim.ObjectPath) Keys {
	get := func(name string) string {
		v, ok := p.Key(name)
		if !ok || v.IsNull() || v.Type() != cim.String {
			return ""
		}
		return v.Str()
	}
	return Keys{SystemCreationClassName: get("SystemCreationClassName"), SystemName: get("SystemName"),
		CreationClassName: get("CreationClassName"), Name: get("Name")}
}

func keysOf(inst cim.Instance) Keys {
	return Keys{SystemCreationClassName: str(inst, "SystemCreationClassName"), SystemName: str(inst, "SystemName"),
		CreationClassName: str(inst, "CreationClassName"), Name: str(inst, "Name")}
}

func elementOf(inst cim.Instance) Element {
	return Element{Caption: str(inst, "Caption"), Description: str(inst, "Description"), ElementName: str(inst, "ElementName")}
}

// Typed reads of an instance's properties; null and absent read as the
// zero value. The dispatcher has already checked the types.
func str(inst cim.Instance, name string) string {
	v, ok := inst.Get(name)
	if !ok || v.IsNull() || v.IsArray() {
		return ""
	}
	return v.Str()
}

func strs(inst cim.Instance, name string) []string {
	v, ok := inst.Get(name)
	if !ok || v.IsNull() || !v.IsArray() {
		return nil
	}
	out := make([]string, 0, v.Len())
	for _, e := range v.Elems() {
		out = append(out, e.Str())
	}
	return out
}

func u16(inst cim.Instance, name string) uint16 {
	v, ok := inst.Get(name)
	if !ok || v.IsNull() {
		return 0
	}
	return uint16(v.Uint())
}

func u64(inst cim.Instance, name string) (uint64, bool) {
	v, ok := inst.Get(name)
	if !ok || v.IsNull() {
		return 0, false
	}
	return v.Uint(), true
}

func boolOr(inst cim.Instance, name string, def bool) bool {
	v, ok := inst.Get(name)
	if !ok || v.IsNull() {
		return def
	}
	return v.Bool()
}
