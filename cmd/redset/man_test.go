package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// TestManPages: one page per command, each with the command's name,
// synopsis, description and every flag; well-formed for groff when it is
// installed.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	t.Setenv("REDSET_PASSWORD", "do-not-print-me")
	r := runCLI(context.Background(), "man", "--dir", dir)
	if r.code != 0 {
		t.Fatalf("redset man: exit %d\n%s", r.code, r.err)
	}
	root := newRootCmd()
	root.InitDefaultCompletionCmd() // as Execute does
	cmds := manCommands(root)
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(cmds) || len(cmds) < 15 {
		t.Errorf("%d pages for %d commands", len(entries), len(cmds))
	}
	macro := regexp.MustCompile(`^\.(TH|SH|PP|TP|B|BR|RS|RE|nf|fi|nh|hy|ad)( |$)`)
	for _, c := range cmds {
		t.Run(manName(c), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, manName(c)+".1"))
			if err != nil {
				t.Fatal(err)
			}
			page := string(data)
			wantIn := []string{
				`.TH "` + strings.ToUpper(manName(c)) + `" 1 "2023-11-14" "redset ` + version + `"`,
				".SH NAME\n" + roffCode(manName(c)) + ` \- ` + roffText(c.Short) + "\n",
				".SH SYNOPSIS\n", `\fB` + roffCode(c.CommandPath()) + `\fR`, ".SH DESCRIPTION\n",
			}
			c.Flags().VisitAll(func(f *pflag.Flag) { wantIn = append(wantIn, `\fB\-\-`+roffCode(f.Name)+`\fR`) })
			if c.Example != "" {
				wantIn = append(wantIn, ".SH EXAMPLES\n")
			}
			for _, w := range wantIn {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %q", w)
				}
			}
			for i, line := range strings.Split(page, "\n") {
				if strings.HasPrefix(line, ".") && !macro.MatchString(line) || strings.HasPrefix(line, "'") {
					t.Errorf("line %d is an unexpected request: %q", i+1, line)
				}
			}
			if strings.Contains(page, "do-not-print-me") {
				t.Errorf("the page carries REDSET_PASSWORD from the environment")
			}
		})
	}
	t.Run("groff reads every page without a warning", func(t *testing.T) {
		groff, err := exec.LookPath("groff")
		if err != nil {
			t.Skip("groff is not installed (apt-get install groff); the pages' structure is checked above")
		}
		for _, e := range entries {
			out, err := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", filepath.Join(dir, e.Name())).CombinedOutput()
			if err != nil || len(out) > 0 {
				t.Errorf("%s: %v\n%s", e.Name(), err, out)
			}
		}
	})
}

func TestRoffEscaping(t *testing.T) {
	tests := []struct{ in, text, code string }{
		{`a\b`, `a\eb`, `a\eb`},
		{".starts with a dot", `\&.starts with a dot`, `\&.starts with a dot`},
		{"x\n'quote", "x\n\\&'quote", "x\n\\&'quote"},
		{"--flag — dash", `--flag \(em dash`, `\-\-flag — dash`},
	}
	for _, tc := range tests {
		if got := roffText(tc.in); got != tc.text {
			t.Errorf("roffText(%q) = %q, want %q", tc.in, got, tc.text)
		}
		if got := roffCode(tc.in); got != tc.code {
			t.Errorf("roffCode(%q) = %q, want %q", tc.in, got, tc.code)
		}
	}
}

func TestManDate(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "86400")
	if d, err := manDate(); err != nil || !d.Equal(time.Unix(86400, 0)) {
		t.Errorf("manDate = %v, %v; want 1970-01-02", d, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := manDate(); err == nil {
		t.Errorf("a SOURCE_DATE_EPOCH that is not a number was accepted")
	}
}
