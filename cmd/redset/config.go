package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/redset/redset/api"
	"github.com/redset/redset/server"
	"github.com/spf13/cobra"
)

func newConfigCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check a configuration file, or make a running server reload its own"}
	cmd.AddCommand(newConfigCheckCmd(), newConfigReloadCmd(cf))
	return cmd
}

func newConfigCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check FILE...",
		Short: "Check configuration files without starting anything (exit 1 on a problem)",
		Long: `check reads each configuration file and checks it as "redset serve" would before
it changes anything: YAML syntax, unknown fields, every rule, and that the TLS
certificate and key load. It binds no port and opens no store, so it suits CI and
packaging scripts. Every problem is printed on its own line as file:line: field: message;
the command exits 1 if any file has one, else 0.`,
		Example: "  redset config check /etc/redset/redset.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bad := 0
			for _, path := range args {
				if err := checkConfigFile(path); err != nil {
					bad++
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", path)
			}
			if bad > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d files have problems", bad, len(args)), silent: true}
			}
			return nil
		},
	}
}

func checkConfigFile(path string) error {
	cfg, err := server.LoadConfig(path)
	if err != nil {
		return err
	}
	return cfg.Check()
}

func newConfigReloadCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:   "reload",
		Short: "Make the server re-read its configuration file and apply what changed (admin)",
		Long: `reload asks the server to re-read the configuration file it was started with, as
SIGHUP does. The file is checked whole first; an invalid file changes nothing and its
problems are printed (exit 1). Otherwise the differences are applied and printed:
sets and members created or updated, members added to sets, users, hooks, the TLS
certificate. Roles changed by failovers are kept, and nothing is deleted. Fields that
take effect only at the next start (listen, data, log ...) are named.`,
		Example: "  redset config reload",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		res, err := c.ReloadConfig(ctx)
		var p *api.Problem
		if errors.As(err, &p) && p.Type == api.ProblemInvalidConfig {
			fmt.Fprintln(cmd.ErrOrStderr(), "the server refused its configuration file and changed nothing:")
			fmt.Fprintln(cmd.ErrOrStderr(), p.Detail)
			return &exitError{code: 1, err: err, silent: true}
		}
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), res, func(tw *tabwriter.Writer) { printReload(tw, res) })
	})
}

func printReload(tw *tabwriter.Writer, r api.ConfigReload) {
	fmt.Fprintf(tw, "Changed:\t%s\n", map[bool]string{true: "yes", false: "no"}[r.Changed])
	fmt.Fprintf(tw, "Summary:\t%s\n", r.Summary)
	for _, row := range []struct {
		name  string
		items []string
	}{{"Created", r.Created}, {"Updated", r.Updated}, {"Added", r.Added}, {"Would delete", r.WouldDelete}, {"At next start", r.RestartNeeded}} {
		if len(row.items) > 0 {
			fmt.Fprintf(tw, "%s:\t%s\n", row.name, strings.Join(row.items, ", "))
		}
	}
}
