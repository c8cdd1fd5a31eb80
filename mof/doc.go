// Package mof reads and writes the Managed Object Format, the text form of
// CIM schemas (DMTF DSP0221, with the object model of DSP0004).
//
// Parse turns one source into productions (pragmas, qualifier
// declarations, classes, instances) with a hand-written lexer and a
// recursive-descent parser. Compile goes further: it reads files from an
// fs.FS, follows #pragma include relative to the including file, checks
// every element against the qualifier declarations and classes already
// known, and sends the result to a Sink. Repository is the in-memory Sink
// the object manager uses as its class repository. Format and FormatClass
// write classes back as MOF; CheckFiles and Show serve the command line.
//
// Every problem is reported as "file:line:col: message" in an *ErrorList.
// No input makes the parser panic or loop: each step consumes input or
// stops, and a compilation stops after MaxErrors diagnostics.
package mof
