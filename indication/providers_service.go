package indication

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// ServiceSettings are the indication service's settings, shown by its
// CIM_IndicationService instance and its capabilities (from the server's
// configuration, indications:).
type ServiceSettings struct {
	DeliveryRetryAttempts uint16
	DeliveryRetryInterval time.Duration
	// SubscriptionRemovalAction is what happens to a subscription whose
	// destination keeps failing when it names no OnFatalErrorPolicy: 2
	// Remove, 3 Disable, 4 Ignore (CIM_IndicationService's numbering).
	// 0: Ignore, as redset does.
	SubscriptionRemovalAction       uint16
	SubscriptionRemovalTimeInterval time.Duration
}

// The names of the indication service's instances.
const (
	serviceName      = "redset:IndicationService"
	capabilitiesID   = "redset:IndicationServiceCapabilities"
	removalIgnore    = 4 // CIM_IndicationService.SubscriptionRemovalAction Ignore
	characteristicOf = 2 // CIM_ElementCapabilities.Characteristics Default
)

// serviceObjects are the one CIM_IndicationService, its
// CIM_IndicationServiceCapabilities and the CIM_ElementCapabilities
// between them, in that order.
func serviceObjects(o ProviderOptions, ns string) ([]cimom.Object, error) {
	s := o.Service
	svc := &cim.Instance{ClassName: ClassService}
	svc.Set("SystemCreationClassName", cim.NewString(systemClass))
	svc.Set("SystemName", cim.NewString(o.SystemName))
	svc.Set("CreationClassName", cim.NewString(ClassService))
	svc.Set("Name", cim.NewString(serviceName))
	svc.Set("ElementName", cim.NewString("redset indication service"))
	svc.Set("Started", cim.NewBool(true))
	svc.Set("EnabledState", cim.MustUint16(2))
	svc.Set("FilterCreationEnabled", cim.NewBool(true))
	svc.Set("DeliveryRetryAttempts", cim.MustUint16(s.DeliveryRetryAttempts))
	svc.Set("DeliveryRetryInterval", cim.MustUint32(seconds(s.DeliveryRetryInterval)))
	svc.Set("SubscriptionRemovalAction", cim.MustUint16(cmp.Or(s.SubscriptionRemovalAction, removalIgnore)))
	svc.Set("SubscriptionRemovalTimeInterval", cim.MustUint32(seconds(s.SubscriptionRemovalTimeInterval)))
	svcPath := keysPath(ns, Keys{SystemCreationClassName: systemClass, SystemName: o.SystemName, CreationClassName: ClassService, Name: serviceName})

	capa := &cim.Instance{ClassName: ClassCapabilities}
	capa.Set("InstanceID", cim.NewString(capabilitiesID))
	capa.Set("ElementName", cim.NewString("redset indication service capabilities"))
	for _, name := range []string{"FilterCreationEnabledIsSettable", "DeliveryRetryAttemptsIsSettable", "DeliveryRetryIntervalIsSettable",
		"SubscriptionRemovalActionIsSettable", "SubscriptionRemovalTimeIntervalIsSettable"} {
		capa.Set(name, cim.NewBool(false))
	}
	limit := uint32(max(o.Registry.MaxPerUser(), 1))
	capa.Set("MaxListenerDestinations", cim.MustUint32(limit))
	capa.Set("MaxActiveSubscriptions", cim.MustUint32(limit))
	capa.Set("SubscriptionsPersisted", cim.NewBool(true))
	capaPath := cim.NewObjectPath(ns, ClassCapabilities, cim.KeyBinding{Name: "InstanceID", Value: cim.NewString(capabilitiesID)})

	link := &cim.Instance{ClassName: ClassElementCapabils}
	link.Set("ManagedElement", cim.NewReference(svcPath))
	link.Set("Capabilities", cim.NewReference(capaPath))
	link.Set("Characteristics", cim.MustUint16Array([]uint16{characteristicOf}))
	linkPath := cim.NewObjectPath(ns, ClassElementCapabils,
		cim.KeyBinding{Name: "ManagedElement", Value: cim.NewReference(svcPath)},
		cim.KeyBinding{Name: "Capabilities", Value: cim.NewReference(capaPath)})

	objs := []cimom.Object{{Path: svcPath, Instance: svc}, {Path: capaPath, Instance: capa}, {Path: linkPath, Instance: link}}
	for _, obj := range objs {
		class, ok := o.Classes.Class(ns, obj.Instance.ClassName)
		if !ok {
			return nil, errorf(cim.StatusInvalidClass, "indication: the schema of %s has no class %s", ns, obj.Instance.ClassName)
		}
		if err := cim.ValidateInstance(class, *obj.Instance); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// seconds is d in whole seconds, within uint32.
func seconds(d time.Duration) uint32 {
	return uint32(min(max(d/time.Second, 0), 1<<32-1))
}

// staticProvider serves fixed instances of one class.
type staticProvider struct {
	class string
	objs  []cimom.Object
}

func (p *staticProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	if !strings.EqualFold(class.Name, p.class) {
		return objects[cimom.Object](ctx, nil, cimom.Object.WithOwnInstance)
	}
	return objects(ctx, p.objs, cimom.Object.WithOwnInstance)
}

func (p *staticProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	for _, o := range p.objs {
		if sameKeys(o.Path, path) {
			return o.WithOwnInstance().Instance, nil
		}
	}
	return nil, errorf(cim.StatusNotFound, "no instance %s", path)
}

// staticAssociation is a staticProvider of an association class.
type staticAssociation struct{ staticProvider }

func (p *staticAssociation) References(ctx context.Context, ns string, assoc *cim.Class, target cim.ObjectPath, role string) cimom.Objects {
	var out []cimom.Object
	for _, o := range p.objs {
		for _, pv := range o.Instance.Properties {
			if pv.Value.Type() == cim.Reference && !pv.Value.IsNull() && (role == "" || strings.EqualFold(role, pv.Name)) &&
				sameKeys(pv.Value.Ref(), target) {
				out = append(out, o)
				break
			}
		}
	}
	return objects(ctx, out, cimom.Object.WithOwnInstance)
}

// sameKeys compares two instance paths by their keys alone.
func sameKeys(a, b cim.ObjectPath) bool {
	a.Host, b.Host, a.Namespace, b.Namespace = "", "", "", ""
	b.ClassName = a.ClassName
	return a.Equal(b)
}
