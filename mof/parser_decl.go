package mof

// intrinsicTypes are the DSP0221 dataType keywords.
var intrinsicTypes = []string{
	"boolean", "string", "char16", "datetime", "uint8", "sint8", "uint16", "sint16",
	"uint32", "sint32", "uint64", "sint64", "real32", "real64",
}

// typeKeyword returns the canonical spelling of an intrinsic type name when
// the current token is one.
func (p *parser) typeKeyword() (string, bool) {
	for _, t := range intrinsicTypes {
		if p.isKeyword(t) {
			return t, true
		}
	}
	return "", false
}

// qualifierList parses an optional "[" qualifier *("," qualifier) "]".
// It returns nil when there is no list.
func (p *parser) qualifierList() []QualifierNode {
	if p.tok.kind != tLBrack {
		return nil
	}
	p.next()
	var list []QualifierNode
	for !p.failed {
		list = append(list, p.qualifier())
		if !p.accept(tComma) {
			break
		}
	}
	p.expect(tRBrack)
	if list == nil {
		list = []QualifierNode{}
	}
	return list
}

// qualifier parses: name [ "(" constant ")" | arrayInitializer ] [":" flavor...].
func (p *parser) qualifier() QualifierNode {
	var q QualifierNode
	q.Name, q.Pos = p.ident("qualifier name")
	switch {
	case p.failed:
	case p.tok.kind == tLParen:
		p.next()
		q.Value = p.literal(false)
		p.expect(tRParen)
	case p.tok.kind == tLBrace:
		q.Value = p.literal(false)
	}
	if p.accept(tColon) {
		for !p.failed && (len(q.Flavors) == 0 || p.tok.kind == tIdent) {
			name, pos := p.ident("flavor")
			q.Flavors = append(q.Flavors, Ident{Pos: pos, Name: name})
		}
	}
	return q
}

// qualifierDecl parses: "qualifier" name ":" type [array] ["=" value]
// "," "scope" "(" ... ")" ["," "flavor" "(" ... ")"] ";".
func (p *parser) qualifierDecl() Production {
	d := &QualifierDeclNode{Pos: p.pos(p.tok)}
	p.next()
	d.Name, _ = p.ident("qualifier name")
	p.expect(tColon)
	d.TypePos = p.pos(p.tok)
	if t, ok := p.typeKeyword(); ok && !p.failed {
		d.Type = t
		p.next()
	} else {
		p.expected("qualifier type")
	}
	d.IsArray, d.ArraySize = p.arraySuffix()
	if p.accept(tEquals) {
		d.Default = p.literal(false)
	}
	p.expect(tComma)
	d.Scopes = p.nameList("scope")
	if p.accept(tComma) {
		d.Flavors = p.nameList("flavor")
	}
	p.expect(tSemi)
	return d
}

// nameList parses: keyword "(" name *("," name) ")".
func (p *parser) nameList(keyword string) []Ident {
	p.expectKeyword(keyword)
	p.expect(tLParen)
	var list []Ident
	for !p.failed {
		name, pos := p.ident(keyword + " name")
		list = append(list, Ident{Pos: pos, Name: name})
		if !p.accept(tComma) {
			break
		}
	}
	p.expect(tRParen)
	return list
}

// arraySuffix parses an optional "[" [size] "]".
func (p *parser) arraySuffix() (isArray bool, size int) {
	if !p.accept(tLBrack) {
		return false, 0
	}
	if !p.failed && p.tok.kind == tInt {
		lit := p.literal(false)
		if lit != nil && (lit.Uint == 0 || lit.Uint > 1<<31-1) {
			p.failAt(lit.Pos, "array size must be between 1 and 2147483647")
		}
		if lit != nil {
			size = int(lit.Uint)
		}
	}
	p.expect(tRBrack)
	return true, size
}

// class parses: "class" name [":" superclass] "{" *feature "}" ";".
func (p *parser) class(start token, quals []QualifierNode) Production {
	c := &ClassNode{Pos: p.pos(start), Qualifiers: quals}
	p.next()
	c.Name, _ = p.ident("class name")
	if p.accept(tColon) {
		c.SuperClass, c.SuperPos = p.ident("superclass name")
	}
	p.expect(tLBrace)
	for !p.failed && p.tok.kind != tRBrace {
		p.feature(c)
	}
	p.expect(tRBrace)
	p.expect(tSemi)
	return c
}

// typeRef parses an intrinsic type name or "ClassName REF".
func (p *parser) typeRef() TypeRef {
	tr := TypeRef{Pos: p.pos(p.tok)}
	if t, ok := p.typeKeyword(); ok && !p.failed {
		tr.Name = t
		p.next()
		return tr
	}
	tr.RefClass, _ = p.ident("data type or class name")
	p.expectKeyword("ref")
	return tr
}

// feature parses one property, reference or method of a class.
func (p *parser) feature(c *ClassNode) {
	start := p.tok
	quals := p.qualifierList()
	tr := p.typeRef()
	name, _ := p.ident("property or method name")
	if p.failed {
		return
	}
	if p.tok.kind == tLParen {
		m := MethodNode{Pos: p.pos(start), Qualifiers: quals, ReturnType: tr, Name: name}
		m.Parameters = p.parameters()
		p.expect(tSemi)
		c.Methods = append(c.Methods, m)
		return
	}
	prop := PropertyNode{Pos: p.pos(start), Qualifiers: quals, Type: tr, Name: name}
	prop.IsArray, prop.ArraySize = p.arraySuffix()
	if p.accept(tEquals) {
		prop.Default = p.literal(true)
	}
	p.expect(tSemi)
	c.Properties = append(c.Properties, prop)
}

// parameters parses "(" [parameter *("," parameter)] ")".
func (p *parser) parameters() []ParameterNode {
	p.expect(tLParen)
	var list []ParameterNode
	for !p.failed && p.tok.kind != tRParen {
		start := p.tok
		par := ParameterNode{Pos: p.pos(start), Qualifiers: p.qualifierList()}
		par.Type = p.typeRef()
		par.Name, _ = p.ident("parameter name")
		par.IsArray, par.ArraySize = p.arraySuffix()
		list = append(list, par)
		if !p.accept(tComma) {
			break
		}
	}
	p.expect(tRParen)
	return list
}

// instance parses: "instance" "of" class ["as" $alias] "{" *valueInit "}" ";".
func (p *parser) instance(start token, quals []QualifierNode) Production {
	in := &InstanceNode{Pos: p.pos(start), Qualifiers: quals}
	p.next()
	p.expectKeyword("of")
	in.ClassName, in.ClassPos = p.ident("class name")
	if !p.failed && p.isKeyword("as") {
		p.next()
		if !p.failed && p.tok.kind != tAlias {
			p.expected("alias")
		} else if !p.failed {
			in.Alias = p.intern(p.src[p.tok.off+1 : p.tok.end])
			p.next()
		}
	}
	p.expect(tLBrace)
	for !p.failed && p.tok.kind != tRBrace {
		v := PropertyValueNode{Pos: p.pos(p.tok), Qualifiers: p.qualifierList()}
		v.Name, _ = p.ident("property name")
		p.expect(tEquals)
		v.Value = p.literal(true)
		p.expect(tSemi)
		in.Properties = append(in.Properties, v)
	}
	p.expect(tRBrace)
	p.expect(tSemi)
	return in
}
