package mof

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// seedFiles adds the MOF files of testdata as fuzz seeds.
func seedFiles(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.mof")
	for _, name := range files {
		if src, err := os.ReadFile(name); err == nil {
			f.Add(src)
		}
	}
	for _, s := range []string{
		"", "#pragma include(\"x\")", "class A : B { [Key] C REF d; };",
		"instance of A as $x { B = {1, -2, 0x3, 04, 1b, 1.5e3, 'c', \"s\" \"t\", null, true}; };",
		"Qualifier Q : uint8[2] = {1}, Scope(any), Flavor(ToSubclass);",
		"class A { uint32 M([IN] string s[], B REF r); };", "/* unterminated", "\"\\x", "'\\X12345'",
		"[A(\"\xff\")] class B {};", "}}}};;;", "class A {{{{{", "0x 09 1e 1.e5 $ @",
	} {
		f.Add([]byte(s))
	}
}

// FuzzLexer checks that the lexer never panics, always advances and ends
// at EOF with positions inside the input.
func FuzzLexer(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		l := newLexer(src)
		last := -1
		for i := 0; ; i++ {
			tok := l.next()
			if tok.off < 0 || tok.end > len(src) || tok.off > tok.end || tok.lineStart > tok.off {
				t.Fatalf("token %d: bad span %d..%d (line start %d) in %d bytes", i, tok.off, tok.end, tok.lineStart, len(src))
			}
			if tok.kind == tEOF {
				return
			}
			if tok.end <= last || i > len(src)+1 {
				t.Fatalf("token %d: no progress (end %d after %d)", i, tok.end, last)
			}
			last = tok.end
		}
	})
}

// FuzzParse checks that parsing and compiling any input ends without a
// panic, and that errors come as an *ErrorList.
func FuzzParse(f *testing.F) {
	seedFiles(f)
	qual, err := os.ReadFile("testdata/qualifiers.mof")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, err := Parse("f.mof", src); err != nil {
			if _, ok := err.(*ErrorList); !ok {
				t.Fatalf("Parse error is %T, want *ErrorList", err)
			}
		}
		fsys := fstest.MapFS{"q.mof": {Data: qual}, "f.mof": {Data: src}}
		if err := Compile(NewRepository(), fsys, Options{}, "q.mof", "f.mof"); err != nil {
			if _, ok := err.(*ErrorList); !ok {
				t.Fatalf("Compile error is %T, want *ErrorList", err)
			}
		}
	})
}
