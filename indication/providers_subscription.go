package indication

import (
	"context"
	"strings"
	"time"

	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
)

// subscriptionProvider serves CIM_IndicationSubscription: the association
// of a filter and a listener destination.
type subscriptionProvider struct{ base }

func (p *subscriptionProvider) CreateInstance(ctx context.Context, ns string, class *cim.Class, inst cim.Instance) (cim.ObjectPath, error) {
	s, err := subscriptionOf(ns, inst)
	if err != nil {
		p.reg().audit(ctx, "indication subscription created", "", err)
		return cim.ObjectPath{}, err
	}
	s, err = p.reg().AddSubscription(ctx, CallerFrom(ctx), s)
	if err != nil {
		return cim.ObjectPath{}, err
	}
	return subscriptionPath(ns, s), nil
}

// subscriptionOf reads a new subscription from a client's instance. The
// properties the server keeps (start, time remaining, last change) are
// not read.
func subscriptionOf(ns string, inst cim.Instance) (SubscriptionRecord, error) {
	filter, err := refKeys(ns, inst, "Filter")
	if err != nil {
		return SubscriptionRecord{}, err
	}
	handler, err := refKeys(ns, inst, "Handler")
	if err != nil {
		return SubscriptionRecord{}, err
	}
	s := SubscriptionRecord{
		Filter: filter, Handler: handler,
		OnFatalErrorPolicy: u16(inst, "OnFatalErrorPolicy"), OtherOnFatalErrorPolicy: str(inst, "OtherOnFatalErrorPolicy"),
		State: u16(inst, "SubscriptionState"), OtherState: str(inst, "OtherSubscriptionState"), Info: str(inst, "SubscriptionInfo"),
	}
	if v, ok := u64(inst, "FailureTriggerTimeInterval"); ok {
		s.FailureTriggerTimeInterval = &v
	}
	if err := applyWritable(&s, inst); err != nil {
		return SubscriptionRecord{}, err
	}
	if rp := u16(inst, "RepeatNotificationPolicy"); rp != 0 && rp != 2 {
		return SubscriptionRecord{}, errorf(cim.StatusNotSupported, "RepeatNotificationPolicy %d is not supported: every indication is sent (2, None)", rp)
	}
	if boolOr(inst, "AlertOnStateChange", false) {
		return SubscriptionRecord{}, errorf(cim.StatusNotSupported, "AlertOnStateChange is not supported")
	}
	return s, nil
}

// applyWritable takes the writable properties the instance carries:
// SubscriptionState (2 Enabled or 4 Disabled; unset on a new
// subscription: Enabled), SubscriptionDuration (seconds; 0 or null: no
// end) and SubscriptionInfo.
func applyWritable(s *SubscriptionRecord, inst cim.Instance) error {
	if v, ok := inst.Get("SubscriptionState"); ok && !v.IsNull() {
		st := uint16(v.Uint())
		if st != StateEnabled && st != StateDisabled {
			return errorf(cim.StatusInvalidParameter, "SubscriptionState %d: a subscription is Enabled (2) or Disabled (4)", st)
		}
		s.State = st
	}
	if v, ok := inst.Get("SubscriptionDuration"); ok {
		d := uint64(0)
		if !v.IsNull() {
			d = v.Uint()
		}
		if d > maxDuration {
			return errorf(cim.StatusInvalidParameter, "SubscriptionDuration %d: at most %d seconds", d, uint64(maxDuration))
		}
		s.Duration = d
	}
	if _, ok := inst.Get("SubscriptionInfo"); ok {
		s.Info = str(inst, "SubscriptionInfo")
	}
	return nil
}

// refKeys reads a reference property naming a filter or destination of
// namespace ns.
func refKeys(ns string, inst cim.Instance, name string) (Keys, error) {
	v, ok := inst.Get(name)
	if !ok || v.IsNull() || v.Type() != cim.Reference {
		return Keys{}, errorf(cim.StatusInvalidParameter, "a subscription needs its %s reference", name)
	}
	p := v.Ref()
	if p.Namespace != "" && !cim.SameNamespace(p.Namespace, ns) {
		return Keys{}, errorf(cim.StatusInvalidParameter, "%s names namespace %s; subscriptions join objects of %s", name, p.Namespace, ns)
	}
	k := pathKeys(p)
	if k.Name == "" {
		return Keys{}, errorf(cim.StatusInvalidParameter, "%s %s has no Name key", name, p)
	}
	if k.CreationClassName == "" {
		k.CreationClassName = p.ClassName
	}
	return k, nil
}

func (p *subscriptionProvider) EnumerateInstances(ctx context.Context, ns string, class *cim.Class) cimom.Objects {
	now := p.reg().o.Now()
	return objects(ctx, p.reg().Subscriptions(CallerFrom(ctx)), func(s SubscriptionRecord) cimom.Object { return subscriptionObject(ns, s, now) })
}

func (p *subscriptionProvider) GetInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) (*cim.Instance, error) {
	s, err := p.find(ctx, ns, path)
	if err != nil {
		return nil, err
	}
	return subscriptionObject(ns, s, p.reg().o.Now()).Instance, nil
}

// find returns the subscription at path, if the caller may see it.
func (p *subscriptionProvider) find(ctx context.Context, ns string, path cim.ObjectPath) (SubscriptionRecord, error) {
	filter, err1 := pathRef(ns, path, "Filter")
	handler, err2 := pathRef(ns, path, "Handler")
	if err1 == nil && err2 == nil {
		if s, ok := p.reg().Subscription(CallerFrom(ctx), filter, handler); ok {
			return s, nil
		}
	}
	return SubscriptionRecord{}, errorf(cim.StatusNotFound, "no subscription %s", path)
}

// pathRef reads a reference key of a subscription's path.
func pathRef(ns string, path cim.ObjectPath, name string) (Keys, error) {
	v, ok := path.Key(name)
	if !ok {
		return Keys{}, errorf(cim.StatusNotFound, "no %s key", name)
	}
	in := cim.Instance{}
	in.Set(name, v)
	return refKeys(ns, in, name)
}

func (p *subscriptionProvider) DeleteInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath) error {
	s, err := p.find(ctx, ns, path)
	if err != nil {
		return err
	}
	return p.reg().DeleteSubscription(ctx, CallerFrom(ctx), s.Filter, s.Handler)
}

// ModifyInstance changes SubscriptionState (enabling or disabling the
// subscription), SubscriptionDuration (counted from the subscription's
// start) and SubscriptionInfo, the properties the class lets a client
// write; the dispatcher has refused changes of any other.
func (p *subscriptionProvider) ModifyInstance(ctx context.Context, ns string, class *cim.Class, path cim.ObjectPath, inst cim.Instance, propertyList []string) error {
	s, err := p.find(ctx, ns, path)
	if err != nil {
		return err
	}
	return p.reg().ModifySubscription(ctx, CallerFrom(ctx), s.Filter, s.Handler, func(n *SubscriptionRecord) error {
		return applyWritable(n, inst)
	})
}

// References yields the subscriptions that name target (a filter or a
// destination) through role, among those the caller may see.
func (p *subscriptionProvider) References(ctx context.Context, ns string, assoc *cim.Class, target cim.ObjectPath, role string) cimom.Objects {
	now := p.reg().o.Now()
	k := pathKeys(target)
	var out []SubscriptionRecord
	for _, s := range p.reg().Subscriptions(CallerFrom(ctx)) {
		filterSide := (role == "" || strings.EqualFold(role, "Filter")) && isClass(target, ClassFilter) && s.Filter.same(k)
		handlerSide := (role == "" || strings.EqualFold(role, "Handler")) && !isClass(target, ClassFilter) && s.Handler.same(k)
		if filterSide || handlerSide {
			out = append(out, s)
		}
	}
	return objects(ctx, out, func(s SubscriptionRecord) cimom.Object { return subscriptionObject(ns, s, now) })
}

func isClass(p cim.ObjectPath, class string) bool { return strings.EqualFold(p.ClassName, class) }

// subscriptionPath is a subscription's path: its two references.
func subscriptionPath(ns string, s SubscriptionRecord) cim.ObjectPath {
	return cim.NewObjectPath(ns, ClassSubscription,
		cim.KeyBinding{Name: "Filter", Value: cim.NewReference(keysPath(ns, s.Filter))},
		cim.KeyBinding{Name: "Handler", Value: cim.NewReference(keysPath(ns, s.Handler))},
	)
}

// subscriptionObject is the instance of a subscription as seen at now.
func subscriptionObject(ns string, s SubscriptionRecord, now time.Time) cimom.Object {
	in := &cim.Instance{ClassName: ClassSubscription}
	in.Set("Filter", cim.NewReference(keysPath(ns, s.Filter)))
	in.Set("Handler", cim.NewReference(keysPath(ns, s.Handler)))
	setIf(in, "OnFatalErrorPolicy", s.OnFatalErrorPolicy != 0, cim.MustUint16(s.OnFatalErrorPolicy))
	setIf(in, "OtherOnFatalErrorPolicy", s.OtherOnFatalErrorPolicy != "", cim.NewString(s.OtherOnFatalErrorPolicy))
	if s.FailureTriggerTimeInterval != nil {
		in.Set("FailureTriggerTimeInterval", cim.MustUint64(*s.FailureTriggerTimeInterval))
	}
	in.Set("SubscriptionState", cim.MustUint16(s.State))
	setIf(in, "OtherSubscriptionState", s.OtherState != "", cim.NewString(s.OtherState))
	in.Set("TimeOfLastStateChange", cim.NewDateTime(cim.DateTimeFromTime(s.StateChanged)))
	in.Set("SubscriptionStartTime", cim.NewDateTime(cim.DateTimeFromTime(s.Start)))
	if left, ok := s.Remaining(now); ok {
		in.Set("SubscriptionDuration", cim.MustUint64(s.Duration))
		in.Set("SubscriptionTimeRemaining", cim.MustUint64(uint64(left.Seconds())))
	}
	in.Set("RepeatNotificationPolicy", cim.MustUint16(2)) // None: every indication is sent
	setIf(in, "SubscriptionInfo", s.Info != "", cim.NewString(s.Info))
	in.Set("AlertOnStateChange", cim.NewBool(false))
	return cimom.Object{Path: subscriptionPath(ns, s), Instance: in}
}
