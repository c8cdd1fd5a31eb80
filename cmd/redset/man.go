package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newManCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "man --dir DIR",
		Short: "Write redset's manual pages, one per command",
		Long: `man writes a manual page (man(7) format, section 1) for redset and for each of
its commands into DIR: redset.1, redset-serve.1, redset-set-get.1 and so on, made from
the same descriptions, flags and examples as --help. The date on the pages is today,
or SOURCE_DATE_EPOCH when set (for reproducible builds).`,
		Example: `  redset man --dir /usr/local/share/man/man1
  man -l /usr/local/share/man/man1/redset-serve.1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			date, err := manDate()
			if err != nil {
				return err
			}
			files, err := writeManPages(cmd.Root(), dir, date)
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), f)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "directory to write the pages into (created if missing; required)")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

// manDate is the date printed on the pages: SOURCE_DATE_EPOCH when set
// (https://reproducible-builds.org/specs/source-date-epoch/), else today.
func manDate() (time.Time, error) {
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		return time.Now().UTC(), nil
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", epoch)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// manCommands lists root and every command below it that --help shows.
func manCommands(root *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{root}
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" {
			out = append(out, manCommands(c)...)
		}
	}
	return out
}

// writeManPages writes one page per command into dir and returns the
// files written.
func writeManPages(root *cobra.Command, dir string, date time.Time) ([]string, error) {
	if dir == "" {
		return nil, errors.New("--dir is required")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, c := range manCommands(root) {
		var buf bytes.Buffer
		writeManPage(&buf, c, date)
		path := filepath.Join(dir, manName(c)+".1")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// manName is a command's page name: "redset set get" is redset-set-get.
func manName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-")
}

// writeManPage writes c's page: NAME, SYNOPSIS, DESCRIPTION, COMMANDS,
// OPTIONS, EXAMPLES, ENVIRONMENT and SEE ALSO, as far as c has them.
func writeManPage(w io.Writer, c *cobra.Command, date time.Time) {
	name := manName(c)
	fmt.Fprintf(w, ".TH %s 1 %s %s %s\n", roffArg(strings.ToUpper(name)), roffArg(date.Format("2006-01-02")),
		roffArg("redset "+version), roffArg("redset manual"))
	fmt.Fprintf(w, ".SH NAME\n%s \\- %s\n", roffCode(name), roffText(c.Short))
	fmt.Fprintf(w, ".SH SYNOPSIS\n.nh\n.ad l\n%s\n.ad\n.hy\n", synopsis(c))
	manDescription(w, c)
	manCommandList(w, c)
	manFlags(w, "OPTIONS", c.NonInheritedFlags())
	manFlags(w, "OPTIONS INHERITED FROM PARENT COMMANDS", c.InheritedFlags())
	if c.Example != "" {
		fmt.Fprintf(w, ".SH EXAMPLES\n.PP\n.RS\n.nf\n%s\n.fi\n.RE\n", roffCode(strings.Trim(dedent(c.Example), "\n")))
	}
	manEnvironment(w, c)
	manSeeAlso(w, c)
}

// synopsis is the usage line with the command path in bold.
func synopsis(c *cobra.Command) string {
	use := c.UseLine()
	path := c.CommandPath()
	rest := strings.TrimSpace(strings.TrimPrefix(use, path))
	if c.HasAvailableSubCommands() && !c.Runnable() {
		rest = "COMMAND"
	}
	return fmt.Sprintf("\\fB%s\\fR %s", roffCode(path), roffCode(rest))
}

func manDescription(w io.Writer, c *cobra.Command) {
	text := c.Long
	if text == "" {
		text = c.Short
	}
	fmt.Fprintln(w, ".SH DESCRIPTION")
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		fmt.Fprintf(w, ".PP\n%s\n", roffText(para))
	}
}

func manCommandList(w io.Writer, c *cobra.Command) {
	var subs []*cobra.Command
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() && s.Name() != "help" {
			subs = append(subs, s)
		}
	}
	if len(subs) == 0 {
		return
	}
	fmt.Fprintln(w, ".SH COMMANDS")
	for _, s := range subs {
		fmt.Fprintf(w, ".TP\n\\fB%s\\fR(1)\n%s\n", roffCode(manName(s)), roffText(s.Short))
	}
}

// envFlags are the client flags whose default comes from the environment
// of whoever runs redset; a page must not carry that person's values.
var envFlags = map[string]bool{"server": true, "user": true, "password": true, "cacert": true}

func manFlags(w io.Writer, title string, flags *pflag.FlagSet) {
	if !flags.HasAvailableFlags() {
		return
	}
	fmt.Fprintf(w, ".SH %s\n", title)
	flags.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		varname, usage := pflag.UnquoteUsage(f)
		head := "\\fB\\-\\-" + roffCode(f.Name) + "\\fR"
		if f.Shorthand != "" {
			head = "\\fB\\-" + roffCode(f.Shorthand) + "\\fR, " + head
		}
		if varname != "" {
			head += " \\fI" + roffCode(varname) + "\\fR"
		}
		if def := f.DefValue; !envFlags[f.Name] && def != "" && def != "false" && def != "[]" && def != "0" {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		fmt.Fprintf(w, ".TP\n%s\n%s\n", head, roffText(usage))
	})
}

// manEnvironment names the variables the root, the server and the client
// commands read.
func manEnvironment(w io.Writer, c *cobra.Command) {
	var vars [][2]string
	switch {
	case !c.HasParent():
		vars = [][2]string{{"REDSET_SERVER", "server URL of the client commands (--server)"},
			{"REDSET_USER", "user of the client commands (--user)"}, {"REDSET_PASSWORD", "password of the client commands (--password)"},
			{"REDSET_CACERT", "CA certificate file for an https server (--cacert)"}}
	case c.Name() == "serve":
		vars = [][2]string{{"REDSET_ADMIN_PASSWORD", "password of the administrator admin; without it the first start generates one"},
			{"STATE_DIRECTORY", "set by systemd (StateDirectory=): the default data directory"},
			{"NOTIFY_SOCKET", "set by systemd for Type=notify services: redset reports READY, RELOADING and STOPPING"}}
	}
	if len(vars) == 0 {
		return
	}
	fmt.Fprintln(w, ".SH ENVIRONMENT")
	for _, v := range vars {
		fmt.Fprintf(w, ".TP\n.B %s\n%s\n", v[0], roffText(v[1]))
	}
}

func manSeeAlso(w io.Writer, c *cobra.Command) {
	var refs []string
	if c.HasParent() {
		refs = append(refs, manName(c.Parent()))
	}
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() && s.Name() != "help" {
			refs = append(refs, manName(s))
		}
	}
	if len(refs) == 0 {
		return
	}
	fmt.Fprintln(w, ".SH SEE ALSO")
	for i, r := range refs {
		sep := ","
		if i == len(refs)-1 {
			sep = ""
		}
		fmt.Fprintf(w, ".BR %s (1)%s\n", roffCode(r), sep)
	}
}

// dedent removes the indentation cobra examples carry.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "  ")
	}
	return strings.Join(lines, "\n")
}

// roffText escapes prose: backslashes, and lines that would start with a
// control character. Hyphens stay hyphens; an em dash is groff's.
func roffText(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "—", `\(em`)
	return guardLines(s)
}

// roffCode escapes what a user types: hyphens are ASCII minus signs, so
// that a copied option works.
func roffCode(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	return guardLines(s)
}

// guardLines keeps lines that start with "." or "'" from being read as
// requests.
func guardLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// roffArg quotes a macro argument.
func roffArg(s string) string {
	return `"` + strings.ReplaceAll(roffText(s), `"`, `""`) + `"`
}
