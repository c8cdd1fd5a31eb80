package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/spf13/cobra"
)

// failoverFlags are the options of redset failover.
type failoverFlags struct {
	from, to, at string
	dryRun, list bool
	cancel       uint64
}

func newFailoverCmd(cf *clientFlags) *cobra.Command {
	f := &failoverFlags{}
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "failover ID --to MEMBER [--from MEMBER] [--dry-run | --at TIME]",
		Short: "Fail a set over from one member to another (the CIM method Failover), now, later or as a dry run",
		Long: `failover asks the server to move service from one member to another, with the
checks of Msvm_RedundancySet.Failover. It prints the CIM return value and, for a
refusal, the reason: 0 Completed, 1 Not Supported, 2 Error, 3 Busy, 4 Parameter Error.
The command exits 0 only when the failover completed (or, with --dry-run, would),
2 when it was refused, and 3 when its outcome is unknown: the server's store (a
cluster's etcd that lost its quorum) did not say whether the failover was stored,
and may still store it. Then read the set back (redset set get ID) before
trying again.

Without --from, the set's one in-service member is failed over from.
--dry-run answers what the checks say now and changes nothing.
--at TIME schedules the failover: TIME is RFC 3339 (2030-01-02T03:04:05Z) or a
delay such as +5m; the server runs it then, as you, and records its outcome.
--list shows the scheduled failovers (of the set, or of every set without ID);
--cancel N cancels scheduled failover N of the set.`,
		Example: `  redset failover redset:demo-web --from web-a --to web-b
  redset failover redset:demo-web --to web-b --dry-run
  redset failover redset:demo-web --to web-b --at +1h
  redset failover --list
  redset failover redset:demo-web --cancel 42`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeArgs(cf, argSet),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		return f.run(ctx, c, cf, cmd, args)
	})
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "the in-service member to fail over from (default: the set's only one)")
	fl.StringVar(&f.to, "to", "", "the spare (or drained) member to fail over to")
	fl.BoolVar(&f.dryRun, "dry-run", false, "only say what the checks answer now; change nothing")
	fl.StringVar(&f.at, "at", "", "schedule the failover at TIME (RFC 3339, or +DURATION such as +5m)")
	fl.BoolVar(&f.list, "list", false, "list the scheduled failovers (of ID, or of every set)")
	fl.Uint64Var(&f.cancel, "cancel", 0, "cancel the scheduled failover with this number")
	cmd.MarkFlagsMutuallyExclusive("dry-run", "at", "list", "cancel")
	for _, flag := range []string{"from", "to"} {
		_ = cmd.RegisterFlagCompletionFunc(flag, func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeArgs(cf, argSet, argMember)(cmd, args[:1], "")
		})
	}
	return cmd
}

func (f *failoverFlags) run(ctx context.Context, c *api.Client, cf *clientFlags, cmd *cobra.Command, args []string) error {
	w := cmd.OutOrStdout()
	switch {
	case !f.list && len(args) != 1:
		return errors.New("name the set: redset failover ID --to MEMBER")
	case !f.list && f.cancel == 0 && f.to == "":
		return errors.New("--to is required: the member to fail over to")
	}
	if len(args) == 1 {
		id, err := resolveSet(ctx, c, args[0])
		if err != nil {
			return err
		}
		args = []string{id}
	}
	if f.list {
		return listScheduled(ctx, c, cf, w, args)
	}
	id := args[0]
	if f.cancel != 0 {
		if err := c.CancelScheduledFailover(ctx, id, f.cancel); err != nil {
			return err
		}
		fmt.Fprintf(w, "scheduled failover %d of %s cancelled\n", f.cancel, id)
		return nil
	}
	from, err := f.source(ctx, c, id)
	if err != nil {
		return err
	}
	if f.at != "" {
		return f.schedule(ctx, c, cf, w, id, from)
	}
	call := c.Failover
	if f.dryRun {
		call = c.CheckFailover
	}
	res, err := call(ctx, id, from, f.to)
	if err != nil {
		return err
	}
	if err := cf.render(w, res, func(tw *tabwriter.Writer) { printFailover(tw, res) }); err != nil {
		return err
	}
	if res.ReturnValue != 0 {
		return &exitError{code: 2, err: errors.New(res.Reason), silent: true}
	}
	return nil
}

// source is --from, or the set's only in-service member.
func (f *failoverFlags) source(ctx context.Context, c *api.Client, id string) (string, error) {
	if f.from != "" {
		return f.from, nil
	}
	s, err := c.GetSet(ctx, id)
	if err != nil {
		return "", err
	}
	var active []string
	for _, m := range s.Members {
		if m.Role == api.RoleInService {
			active = append(active, m.Name)
		}
	}
	if len(active) != 1 {
		return "", fmt.Errorf("set %s has %d members in service (%s); say which with --from", id, len(active), strings.Join(active, ", "))
	}
	return active[0], nil
}

func (f *failoverFlags) schedule(ctx context.Context, c *api.Client, cf *clientFlags, w io.Writer, id, from string) error {
	at, err := parseAt(f.at, time.Now())
	if err != nil {
		return err
	}
	sf, err := c.ScheduleFailover(ctx, id, api.ScheduleRequest{From: from, To: f.to, At: at})
	if err != nil {
		return err
	}
	return cf.render(w, sf, func(tw *tabwriter.Writer) {
		fmt.Fprintf(tw, "scheduled failover %d: %s %s -> %s at %s\n", sf.ID, sf.SetID, sf.From, sf.To,
			sf.At.Local().Format(time.RFC3339))
	})
}

// parseAt reads --at: an RFC 3339 time, or +DURATION from now.
func parseAt(s string, now time.Time) (time.Time, error) {
	if d, ok := strings.CutPrefix(s, "+"); ok {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return time.Time{}, fmt.Errorf("--at %q: after + give a positive duration such as +90s, +5m or +2h", s)
		}
		return now.Add(dur), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: give an RFC 3339 time such as 2030-01-02T03:04:05Z or a delay such as +5m", s)
	}
	return t, nil
}

func listScheduled(ctx context.Context, c *api.Client, cf *clientFlags, w io.Writer, args []string) error {
	set := ""
	if len(args) == 1 {
		set = args[0]
	}
	list, err := c.ScheduledFailovers(ctx, set)
	if err != nil {
		return err
	}
	return cf.render(w, list, func(tw *tabwriter.Writer) {
		fmt.Fprintln(tw, "ID\tAT\tSET\tFROM\tTO\tBY")
		for _, sf := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", sf.ID, sf.At.Local().Format(time.DateTime), sf.SetID, sf.From, sf.To,
				actorWords(&sf.By))
		}
	})
}

func printFailover(tw *tabwriter.Writer, r api.FailoverResult) {
	fmt.Fprintf(tw, "ReturnValue:\t%d %s\n", r.ReturnValue, api.ReturnValueText(r.ReturnValue))
	if r.DryRun {
		fmt.Fprintln(tw, "DryRun:\tnothing was changed; a pre-failover hook, if any, was not asked")
	}
	if r.Reason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", r.Reason)
	}
}

// setCmd makes cmd a command of the form "CMD ID": one argument naming a
// set (completed from the server), resolved as the server knows it before
// run is called with it.
func setCmd(cf *clientFlags, cmd *cobra.Command, run func(ctx context.Context, c *api.Client, cmd *cobra.Command, id string) error) *cobra.Command {
	cmd.Args = cobra.ExactArgs(1)
	cmd.ValidArgsFunction = completeArgs(cf, argSet)
	return clientCmd(cf, cmd, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		id, err := resolveSet(ctx, c, args[0])
		if err != nil {
			return err
		}
		return run(ctx, c, cmd, id)
	})
}

// onSetMember runs a command of the form "CMD SET MEMBER": it names the set
// as the server knows it, calls change, and shows the set as it is now.
func onSetMember(cf *clientFlags, change func(*api.Client, context.Context, string, string) (api.Set, error)) func(context.Context, *api.Client, *cobra.Command, []string) error {
	return func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		id, err := resolveSet(ctx, c, args[0])
		if err != nil {
			return err
		}
		s, err := change(c, ctx, id, args[1])
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), s, func(tw *tabwriter.Writer) { printSet(tw, s) })
	}
}

func newEnableCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:               "enable ID MEMBER",
		Short:             "Return a drained member of a set to service",
		Long:              "Return a drained member of a set to service (operator).\n\n" + setArgHelp,
		Example:           "  redset enable redset:demo-db db-1",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeArgs(cf, argSet, argMember),
	}, onSetMember(cf, (*api.Client).EnableMember))
}

func newDemoCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Break and mend the demo's member services (server started with --demo)",
	}
	for _, action := range []string{"fail", "heal"} {
		cmd.AddCommand(clientCmd(cf, &cobra.Command{
			Use:     action + " MEMBER",
			Short:   map[string]string{"fail": "Stop a demo member's service; its probe then fails", "heal": "Start a demo member's service again"}[action],
			Example: "  redset demo " + action + " web-a",
			Args:    cobra.ExactArgs(1),
		}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
			if err := c.Do(ctx, http.MethodPost, "/demo/members/"+args[0]+"/"+action, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: service %s\n", args[0], map[string]string{"fail": "stopped", "heal": "running"}[action])
			return nil
		}))
	}
	return cmd
}

func newHashPasswordCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-password PASSWORD",
		Short: "Print the bcrypt hash of a password, for the users of a configuration file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			h, err := auth.HashPassword(args[0])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), h)
			return nil
		},
	}
}
