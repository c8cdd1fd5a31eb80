// Package cim is redset's model of the DMTF Common Information Model
// (DSP0004): the data every protocol, the object manager and the providers
// share. It uses the standard library only.
//
// The pieces, bottom up:
//
//   - Type names the intrinsic types (boolean, string, char16, datetime,
//     the integers, reals and references). Datetime is the type; DateTime
//     is the Go type holding a datetime value in either of its two forms.
//   - Value is an immutable typed scalar, array or null. ParseValue and
//     Value.String read and write the CIM-XML text of a scalar; Value.MOF
//     writes a MOF literal; Convert assigns a literal or decoded value to a
//     declared type with range checks.
//   - ObjectPath names a class or instance: optional host, namespace, class
//     name and key bindings. ParseObjectPath and ObjectPath.String read and
//     write the untyped WBEM URI form of DSP0207; names compare ignoring case
//     and namespaces are normalised to slash-separated form.
//   - Qualifier, QualifierDecl, Flavor and Scope describe qualifiers; Class,
//     Property, Method and Parameter describe classes. A Class as written in
//     MOF holds only its own elements; Derive combines it with its
//     superclass into the effective class following DSP0004's inheritance
//     and qualifier propagation rules. Everything else in this package
//     expects effective classes.
//   - Instance holds property values of one class; Instance.Path builds its
//     object path from the class's keys. ValidateInstance and
//     ValidateModification check an instance, or a client's change to it,
//     against the class's qualifiers (Key, Required, MaxLen, MinValue,
//     MaxValue, ValueMap, Write ...).
//   - Status and Error carry DSP0200 status codes. Code inside redset
//     returns *Error; each protocol maps Status to its wire form with one
//     table.
//
// Names of classes, properties, methods, qualifiers and keys compare
// ignoring case everywhere, as DSP0004 requires. Values, paths, classes
// and instances are plain data: safe for concurrent reads, and not to be
// changed while shared (Clone first).
package cim
