package cim

import "testing"

const benchPath = `/root/hypervcluster/v2:Msvm_MemberOfCollection.Collection="/root/hypervcluster/v2:Msvm_RedundancySet.InstanceID=\"redset:demo-web\"",Member="/root/hypervcluster/v2:Msvm_ComputerSystem.CreationClassName=\"Msvm_ComputerSystem\",Name=\"web-a\""`

func BenchmarkParseObjectPath(b *testing.B) {
	for _, bc := range []struct{ name, path string }{
		{"simple", `/root/hypervcluster/v2:Msvm_RedundancySet.InstanceID="redset:demo-web"`},
		{"association", benchPath},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseObjectPath(bc.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkObjectPathString(b *testing.B) {
	p := mustPath(b, benchPath)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.String()
	}
}

func BenchmarkValueString(b *testing.B) {
	dt, _ := ParseDateTime("20240131235959.123456+060")
	for _, bc := range []struct {
		name string
		v    Value
	}{
		{"uint16", MustUint16(65535)},
		{"real64", NewReal(Real64, 3.14159)},
		{"string", NewString("redset:demo-web")},
		{"datetime", NewDateTime(dt)},
		{"uint16 array", MustUint16Array([]uint16{2, 3, 4})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = bc.v.String()
			}
		})
	}
}

func BenchmarkValidateInstance(b *testing.B) {
	c, inst := redundancySetClass(), validSet()
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidateInstance(c, inst); err != nil {
			b.Fatal(err)
		}
	}
}
