// Package wql parses and evaluates the SELECT queries of WQL, the query
// language of WMI, and the matching subset of DMTF CQL (DSP0202).
//
// Grammar (keywords and property names in any case):
//
//	query     = SELECT ( "*" | name { "," name } ) FROM class [ WHERE or ]
//	or        = and { OR and }
//	and       = unary { AND unary }
//	unary     = NOT unary | "(" or ")" | predicate
//	predicate = operand ( op operand
//	                    | IS [ NOT ] NULL
//	                    | ISA ( class | string )
//	                    | [ NOT ] LIKE string )
//	op        = "=" | "<>" | "!=" | "<" | "<=" | ">" | ">="
//	operand   = name | path | string | [ "+" | "-" ] number | TRUE | FALSE | NULL
//	path      = name "." name
//
// Strings take single or double quotes; a backslash escapes the next
// character (as in WMI) and a doubled quote stands for itself (as in CQL).
// Numbers are decimal or 0x hexadecimal integers, or reals with a fraction
// or exponent. "x = NULL" and "x <> NULL" mean IS NULL and IS NOT NULL, as
// in WMI. The pseudo-property __CLASS (and the FROM class's own name used as
// an operand) stands for the instance's class name, so "__CLASS ISA
// 'CIM_Collection'" tests the instance's class. The nesting depth and the
// query length are bounded (MaxLength).
//
// A path Head.Prop names property Prop of the instance embedded under
// property Head (an indication's SourceInstance.RedundancyStatus, say); it
// stands only as an operand in WHERE, one level deep. A name qualified by
// the FROM class ("Test_Set.ElementName", as CQL writes it) is the
// instance's own property. Match takes every
// path as NULL; MatchEmbedded is given the embedded instances, and with it
// "Head ISA Class" tests the embedded instance's class and "Head IS NULL"
// holds when nothing is embedded under Head. Check accepts a path whose
// head is a string property with the EmbeddedInstance or EmbeddedObject
// qualifier; CheckEmbedded, told the embedded classes, checks Prop too.
// Two properties may be compared with each other, paths included
// ("SourceInstance.RedundancyStatus <> PreviousInstance.RedundancyStatus").
//
// Evaluation rules:
//
//   - Three-valued logic: a comparison with a NULL or absent property is
//     unknown; AND, OR and NOT follow SQL; only true matches.
//   - Numbers compare by value whatever their CIM width or signedness;
//     a string literal compared with a number is read as a number.
//   - Strings compare ignoring case in the WQL dialect (WMI's behaviour)
//     and case-sensitively in the CQL dialect (DSP0202's).
//   - Datetimes compare as instants or as durations; a string literal is
//     read as a datetime. Booleans and references compare only with = and
//     <>; a reference equals a string holding its object path, and a side
//     without host or namespace ignores the other side's.
//   - Arrays: a predicate on an array property is true when it is true for
//     any element (so "A <> 1" is true when some element is not 1, and
//     "NOT A = 1" when no element is 1); an empty array matches nothing.
//   - LIKE takes WMI's patterns: % any run, _ one character, [abc], [a-f]
//     (or [a=f]) and [^abc]; it follows the dialect's case rule.
//   - ISA on a reference tests the referenced class, on __CLASS the
//     instance's class, through a caller-supplied IsaFunc.
//
// Errors are *cim.Error: StatusInvalidQuery with the column
// ("wql: col 17: expected FROM, found WHERE"), and
// StatusQueryLanguageNotSupported from ParseLanguage.
package wql
