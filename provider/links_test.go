package provider

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redset/redset/cim"
	"github.com/redset/redset/cimom"
	"github.com/redset/redset/engine"
)

// assocCase is one of the two association classes between sets and
// members, with the roles it links and its reference properties.
type assocCase struct {
	class      string
	keep       func(engine.RoleKind) bool
	setProp    string
	memberProp string
}

var assocCases = []assocCase{
	{"Msvm_MemberOfCollection", inCollection, "Collection", "Member"},
	{"CIM_IsSpare", isSpare, "Dependent", "Antecedent"},
}

// expectedLinks lists "set|member" for every role the association keeps,
// from the engine.
func expectedLinks(t testing.TB, s *stack, keep func(engine.RoleKind) bool) []string {
	t.Helper()
	sets, err := s.eng.ListSets()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range sets {
		for _, m := range v.Members {
			if keep(m.Role.Kind) {
				out = append(out, v.InstanceID+"|"+m.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkConsistency checks, for both associations, that enumeration agrees
// with the engine, that both ends of every instance exist, and that
// Associators and References agree with enumeration from either end.
func checkConsistency(t *testing.T, s *stack) {
	t.Helper()
	for _, ac := range assocCases {
		t.Run(ac.class, func(t *testing.T) {
			links := checkEnumeration(t, s, ac)
			checkFromSets(t, s, ac, links)
			checkFromMembers(t, s, ac, links)
		})
	}
}

// checkEnumeration enumerates the association, checks each instance and
// returns its links as "set|member".
func checkEnumeration(t *testing.T, s *stack, ac assocCase) []string {
	var got []string
	for _, o := range s.enumerate(testNS, ac.class) {
		setPath := propOf(t, o.Instance, ac.setProp).Ref()
		memberPath := propOf(t, o.Instance, ac.memberProp).Ref()
		for _, end := range []cim.ObjectPath{setPath, memberPath} {
			if _, err := s.get(end); err != nil {
				t.Errorf("%s %s refers to %s, which does not exist: %v", ac.class, o.Path, end, err)
			}
		}
		fetched, err := s.get(o.Path)
		if err != nil {
			t.Errorf("GetInstance(%s): %v", o.Path, err)
		} else if diff := cmp.Diff(o.Instance, fetched, cmpValues); diff != "" {
			t.Errorf("GetInstance differs from enumeration (-enum +get):\n%s", diff)
		}
		id, _ := setPath.Key("InstanceID")
		name, _ := memberPath.Key("Name")
		got = append(got, id.Str()+"|"+name.Str())
	}
	slices.Sort(got)
	if diff := cmp.Diff(expectedLinks(t, s, ac.keep), got); diff != "" {
		t.Errorf("%s instances disagree with the engine's roles (-engine +cim):\n%s", ac.class, diff)
	}
	return got
}

// linksOf returns the far ends of links whose near end (0: set, 1:
// member) is name.
func linksOf(links []string, end int, name string) []string {
	var out []string
	for _, l := range links {
		set, member, _ := strings.Cut(l, "|")
		if end == 0 && set == name {
			out = append(out, member)
		}
		if end == 1 && member == name {
			out = append(out, set)
		}
	}
	return out
}

func checkFromSets(t *testing.T, s *stack, ac assocCase, links []string) {
	sets, err := s.eng.ListSets()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range sets {
		var want []cim.ObjectPath
		for _, m := range linksOf(links, 0, v.InstanceID) {
			want = append(want, systemRef(m))
		}
		got := s.assocNames(cimom.AssociatorNames, setRef(v.InstanceID), ac.class)
		if diff := cmp.Diff(pathTexts(want), pathTexts(got)); diff != "" {
			t.Errorf("AssociatorNames(%s, %s) (-want +got):\n%s", v.InstanceID, ac.class, diff)
		}
		refs := s.assocNames(cimom.ReferenceNames, setRef(v.InstanceID), ac.class)
		if len(refs) != len(want) {
			t.Errorf("ReferenceNames(%s, %s) gave %d, want %d", v.InstanceID, ac.class, len(refs), len(want))
		}
	}
}

func checkFromMembers(t *testing.T, s *stack, ac assocCase, links []string) {
	members, err := s.eng.ListMembers()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		var want []cim.ObjectPath
		for _, id := range linksOf(links, 1, m.Name) {
			want = append(want, setRef(id))
		}
		got := s.assocNames(cimom.AssociatorNames, systemRef(m.Name), ac.class)
		if diff := cmp.Diff(pathTexts(want), pathTexts(got)); diff != "" {
			t.Errorf("AssociatorNames(%s, %s) (-want +got):\n%s", m.Name, ac.class, diff)
		}
		refs := s.assocNames(cimom.ReferenceNames, systemRef(m.Name), ac.class)
		if len(refs) != len(want) {
			t.Errorf("ReferenceNames(%s, %s) gave %d, want %d", m.Name, ac.class, len(refs), len(want))
		}
	}
}

func TestAssociationsAgreeWithInstances(t *testing.T) {
	s := newFixture(t)
	checkConsistency(t, s)
}

func TestAssociationsFollowFailover(t *testing.T) {
	s := newFixture(t)
	steps := []struct {
		name     string
		set      string
		from, to string
		moc      []string // web's Msvm_MemberOfCollection links afterwards
		spares   []string // web's CIM_IsSpare links afterwards
	}{
		{"to the hot spare", "redset:web", "web-a", "web-b", []string{"web-b"}, []string{"web-a", "web-c"}},
		{"and back", "redset:web", "web-b", "web-a", []string{"web-a"}, []string{"web-b", "web-c"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if code, err := s.failover(st.set, memberValue(st.from), memberValue(st.to)); err != nil || code != 0 {
				t.Fatalf("Failover = %d, %v; want 0", code, err)
			}
			moc := linksOf(expectedLinks(t, s, inCollection), 0, st.set)
			spares := linksOf(expectedLinks(t, s, isSpare), 0, st.set)
			if diff := cmp.Diff(st.moc, moc); diff != "" {
				t.Errorf("in-service members (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(st.spares, spares); diff != "" {
				t.Errorf("spares (-want +got):\n%s", diff)
			}
			checkConsistency(t, s)
		})
	}
}

func TestNPlus1FailoverDrains(t *testing.T) {
	s := newFixture(t)
	if code, err := s.failover("redset:lb", memberValue("lb-1"), memberValue("lb-2")); err != nil || code != 0 {
		t.Fatalf("Failover = %d, %v; want 0", code, err)
	}
	got := s.assocNames(cimom.AssociatorNames, setRef("redset:lb"), "Msvm_MemberOfCollection")
	want := []cim.ObjectPath{systemRef("lb-1"), systemRef("lb-2"), systemRef("web-a")}
	if diff := cmp.Diff(pathTexts(want), pathTexts(got)); diff != "" {
		t.Errorf("a drained member must stay linked by MemberOfCollection (-want +got):\n%s", diff)
	}
	in, err := s.get(systemRef("lb-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := propOf(t, in, "EnabledState").Uint(); got != uint64(enabledDisabled) {
		t.Errorf("drained lb-1 EnabledState = %d, want %d", got, enabledDisabled)
	}
	checkConsistency(t, s)
}

func TestIsSpareProperties(t *testing.T) {
	s := newFixture(t)
	tests := []struct {
		member            string
		status, supported uint16
	}{
		{"web-b", engine.SpareHot, engine.FailoverBoth},
		{"web-c", engine.SpareCold, engine.FailoverAutomatic},
	}
	for _, tt := range tests {
		t.Run(tt.member, func(t *testing.T) {
			resp, err := s.handle(&cimom.Request{Op: cimom.References, Namespace: testNS, ObjectName: systemRef(tt.member), ResultClass: "CIM_IsSpare"})
			objs := collect(t, resp, err)
			if len(objs) != 1 {
				t.Fatalf("References gave %d CIM_IsSpare instances, want 1", len(objs))
			}
			in := objs[0].Instance
			if got := propOf(t, in, "SpareStatus").Uint(); got != uint64(tt.status) {
				t.Errorf("SpareStatus = %d, want %d", got, tt.status)
			}
			if got := propOf(t, in, "FailoverSupported").Uint(); got != uint64(tt.supported) {
				t.Errorf("FailoverSupported = %d, want %d", got, tt.supported)
			}
		})
	}
}

func TestAssociationGetErrors(t *testing.T) {
	s := newFixture(t)
	link := func(class, setProp, memberProp, set, member string) cim.ObjectPath {
		return cim.NewObjectPath(testNS, class,
			cim.KeyBinding{Name: setProp, Value: cim.NewReference(setRef(set))},
			cim.KeyBinding{Name: memberProp, Value: cim.NewReference(systemRef(member))})
	}
	foreign := setRef("redset:web").WithNamespace("root/elsewhere")
	tests := []struct {
		name string
		path cim.ObjectPath
		want cim.Status
	}{
		{"in service", link("Msvm_MemberOfCollection", "Collection", "Member", "redset:web", "web-a"), cim.StatusOK},
		{"a spare is no collection member", link("Msvm_MemberOfCollection", "Collection", "Member", "redset:web", "web-b"), cim.StatusNotFound},
		{"in service is no spare", link("CIM_IsSpare", "Dependent", "Antecedent", "redset:web", "web-a"), cim.StatusNotFound},
		{"spare", link("CIM_IsSpare", "Dependent", "Antecedent", "redset:web", "web-b"), cim.StatusOK},
		{"unknown set", link("Msvm_MemberOfCollection", "Collection", "Member", "redset:nope", "web-a"), cim.StatusNotFound},
		{"member of another set", link("Msvm_MemberOfCollection", "Collection", "Member", "redset:web", "lb-1"), cim.StatusNotFound},
		{"reference to another namespace", cim.NewObjectPath(testNS, "Msvm_MemberOfCollection",
			cim.KeyBinding{Name: "Collection", Value: cim.NewReference(foreign)},
			cim.KeyBinding{Name: "Member", Value: cim.NewReference(systemRef("web-a"))}), cim.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.get(tt.path)
			if got := statusOf(err); got != tt.want {
				t.Errorf("GetInstance: status %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}
