package mof

import (
	"strconv"
	"strings"

	"github.com/redset/redset/cim"
)

// FormatOptions adjusts how a class is written as MOF.
type FormatOptions struct {
	// Decl looks up qualifier declarations. With it, a qualifier's flavors
	// are written only where they differ from its declaration's; without
	// it, whatever flavors the qualifier holds are written.
	Decl func(name string) (cim.QualifierDecl, bool)
	// Inherited writes the elements and qualifiers an effective class got
	// from its superclasses too, each inherited property and method under a
	// comment naming the class it comes from. Without it, they are left
	// out, so an effective class prints like its own declaration.
	Inherited bool
}

// lineWidth is where the printer starts splitting strings and lists.
const lineWidth = 76

// Format writes c as a MOF class declaration that Compile reads back into
// an equal class. Inherited (propagated) elements and qualifiers are left
// out; see FormatClass for the other choices.
func Format(c *cim.Class) string { return FormatClass(c, FormatOptions{}) }

// FormatClass writes c as a MOF class declaration as opts says.
func FormatClass(c *cim.Class, opts FormatOptions) string {
	p := &printer{opts: opts}
	p.class(c)
	return p.b.String()
}

// FormatQualifierDecl writes d as a MOF qualifier declaration.
func FormatQualifierDecl(d cim.QualifierDecl) string {
	var b strings.Builder
	b.WriteString("Qualifier " + d.Name + " : " + d.Type.String())
	if d.IsArray {
		b.WriteString(arraySuffix(d.ArraySize))
	}
	if !d.Default.IsNull() {
		b.WriteString(" = " + valueMOF(d.Default))
	}
	b.WriteString(",\n    Scope(" + d.Scope.String() + ")")
	if d.Flavor != 0 {
		b.WriteString(",\n    Flavor(" + d.Flavor.String() + ")")
	}
	b.WriteString(";\n")
	return b.String()
}

func arraySuffix(size int) string {
	if size > 0 {
		return "[" + strconv.Itoa(size) + "]"
	}
	return "[]"
}

// printer accumulates the MOF text of one class.
type printer struct {
	b    strings.Builder
	opts FormatOptions
}

func (p *printer) class(c *cim.Class) {
	p.qualifierList(c.Qualifiers, "")
	p.b.WriteString("class " + c.Name)
	if c.SuperClass != "" {
		p.b.WriteString(" : " + c.SuperClass)
	}
	p.b.WriteString(" {\n")
	for i := range c.Properties {
		p.property(&c.Properties[i])
	}
	for i := range c.Methods {
		p.method(&c.Methods[i])
	}
	p.b.WriteString("};\n")
}

// skip reports whether an inherited element is left out.
func (p *printer) skip(propagated bool) bool { return propagated && !p.opts.Inherited }

func (p *printer) inheritedNote(propagated bool, origin string) {
	if propagated && origin != "" {
		p.b.WriteString("\n   // inherited from " + origin + "\n")
		return
	}
	p.b.WriteString("\n")
}

func (p *printer) property(prop *cim.Property) {
	if p.skip(prop.Propagated) {
		return
	}
	p.inheritedNote(prop.Propagated, prop.ClassOrigin)
	p.qualifierList(prop.Qualifiers, "   ")
	p.b.WriteString("   " + typeText(prop.Type, prop.RefClass) + " " + prop.Name)
	if prop.IsArray {
		p.b.WriteString(arraySuffix(prop.ArraySize))
	}
	if !prop.Default.IsNull() {
		p.b.WriteString(" = " + valueMOF(prop.Default))
	}
	p.b.WriteString(";\n")
}

func typeText(t cim.Type, refClass string) string {
	if t == cim.Reference {
		return refClass + " REF"
	}
	return t.String()
}

func (p *printer) method(m *cim.Method) {
	if p.skip(m.Propagated) {
		return
	}
	p.inheritedNote(m.Propagated, m.ClassOrigin)
	p.qualifierList(m.Qualifiers, "   ")
	p.b.WriteString("   " + m.ReturnType.String() + " " + m.Name + "(")
	for i := range m.Parameters {
		par := &m.Parameters[i]
		if i > 0 {
			p.b.WriteString(",")
		}
		p.b.WriteString("\n")
		p.qualifierList(par.Qualifiers, "      ")
		p.b.WriteString("      " + typeText(par.Type, par.RefClass) + " " + par.Name)
		if par.IsArray {
			p.b.WriteString(arraySuffix(par.ArraySize))
		}
	}
	p.b.WriteString(");\n")
}
