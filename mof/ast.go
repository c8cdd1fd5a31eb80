package mof

import "strconv"

// Pos is a position in a MOF source: file name, 1-based line and 1-based
// column counted in characters.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", or just the file name when the line is
// unknown (0).
func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Production is one top-level MOF production: *Pragma, *QualifierDeclNode,
// *ClassNode or *InstanceNode.
type Production interface {
	production()
	Position() Pos
}

// Pragma is a compiler directive: #pragma name("value").
type Pragma struct {
	Pos   Pos
	Name  string // as written; compare case-insensitively
	Value string
}

// QualifierDeclNode is a qualifier type declaration (DSP0221
// qualifierDeclaration) as written.
type QualifierDeclNode struct {
	Pos       Pos
	Name      string
	Type      string // data type name as written, e.g. "uint32"
	TypePos   Pos
	IsArray   bool
	ArraySize int // 0 for variable-length arrays
	Default   *Literal
	Scopes    []Ident
	Flavors   []Ident
}

// Ident is a name with its position.
type Ident struct {
	Pos  Pos
	Name string
}

// QualifierNode is one qualifier applied to an element, e.g. Key,
// MaxLen(64) or ValueMap {"0", "1"}, with optional flavors after a colon.
type QualifierNode struct {
	Pos     Pos
	Name    string
	Value   *Literal // nil when only the name is given
	Flavors []Ident
}

// ClassNode is a class declaration.
type ClassNode struct {
	Pos        Pos
	Qualifiers []QualifierNode
	Name       string
	SuperClass string // "" when there is none
	SuperPos   Pos
	Properties []PropertyNode
	Methods    []MethodNode
}

// TypeRef is the declared type of a property, parameter or method result:
// either an intrinsic type name or, when RefClass is set, a reference.
type TypeRef struct {
	Pos      Pos
	Name     string // intrinsic type name as written; "" for references
	RefClass string // class of a reference ("CIM_Foo REF")
}

// PropertyNode is a property or reference declaration.
type PropertyNode struct {
	Pos        Pos
	Qualifiers []QualifierNode
	Type       TypeRef
	Name       string
	IsArray    bool
	ArraySize  int
	Default    *Literal
}

// MethodNode is a method declaration.
type MethodNode struct {
	Pos        Pos
	Qualifiers []QualifierNode
	ReturnType TypeRef
	Name       string
	Parameters []ParameterNode
}

// ParameterNode is one method parameter.
type ParameterNode struct {
	Pos        Pos
	Qualifiers []QualifierNode
	Type       TypeRef
	Name       string
	IsArray    bool
	ArraySize  int
}

// InstanceNode is an "instance of" declaration.
type InstanceNode struct {
	Pos        Pos
	Qualifiers []QualifierNode
	ClassName  string
	ClassPos   Pos
	Alias      string // without the '$'; "" when there is none
	Properties []PropertyValueNode
}

// PropertyValueNode is one "Name = value;" line of an instance.
type PropertyValueNode struct {
	Pos        Pos
	Qualifiers []QualifierNode
	Name       string
	Value      *Literal
}

// LiteralKind says which kind of constant a Literal holds.
type LiteralKind uint8

// The literal kinds.
const (
	LitNull LiteralKind = iota
	LitBool
	LitInt
	LitReal
	LitString
	LitChar
	LitAlias
	LitArray
)

// Literal is a constant as written in MOF: a scalar, an alias reference or
// an array of scalars.
type Literal struct {
	Pos   Pos
	Kind  LiteralKind
	Bool  bool
	Neg   bool   // LitInt: a minus sign was written
	Uint  uint64 // LitInt: the magnitude
	Real  float64
	Str   string // LitString: the decoded text; LitAlias: the alias name
	Char  rune
	Elems []Literal // LitArray
}

func (*Pragma) production()            {}
func (*QualifierDeclNode) production() {}
func (*ClassNode) production()         {}
func (*InstanceNode) production()      {}

// Position returns where the production starts.
func (p *Pragma) Position() Pos { return p.Pos }

// Position returns where the production starts.
func (d *QualifierDeclNode) Position() Pos { return d.Pos }

// Position returns where the production starts.
func (c *ClassNode) Position() Pos { return c.Pos }

// Position returns where the production starts.
func (i *InstanceNode) Position() Pos { return i.Pos }
