package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"text/tabwriter"

	"github.com/redset/redset/api"
	"github.com/redset/redset/auth"
	"github.com/spf13/cobra"
)

func newFailoverCmd(cf *clientFlags) *cobra.Command {
	var from, to string
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "failover ID --from MEMBER --to MEMBER",
		Short: "Fail a set over from one member to another (the CIM method Failover)",
		Long: `failover asks the server to move service from one member to another, with the
checks of Msvm_RedundancySet.Failover. It prints the CIM return value and, for a
refusal, the reason: 0 Completed, 1 Not Supported, 2 Error, 3 Busy, 4 Parameter Error.
The command exits 0 only when the failover completed.`,
		Example:           "  redset failover redset:demo-web --from web-a --to web-b",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(cf, argSet),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		id, err := resolveSet(ctx, c, args[0])
		if err != nil {
			return err
		}
		res, err := c.Failover(ctx, id, from, to)
		if err != nil {
			return err
		}
		if err := cf.render(cmd.OutOrStdout(), res, func(tw *tabwriter.Writer) { printFailover(tw, res) }); err != nil {
			return err
		}
		if res.ReturnValue != 0 {
			return &exitError{code: 2, err: errors.New(res.Reason), silent: true}
		}
		return nil
	})
	cmd.Flags().StringVar(&from, "from", "", "the in-service member to fail over from (required)")
	cmd.Flags().StringVar(&to, "to", "", "the spare (or drained) member to fail over to (required)")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
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

func printFailover(tw *tabwriter.Writer, r api.FailoverResult) {
	fmt.Fprintf(tw, "ReturnValue:\t%d %s\n", r.ReturnValue, api.ReturnValueText(r.ReturnValue))
	if r.Reason != "" {
		fmt.Fprintf(tw, "Reason:\t%s\n", r.Reason)
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
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		id, err := resolveSet(ctx, c, args[0])
		if err != nil {
			return err
		}
		s, err := c.EnableMember(ctx, id, args[1])
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), s, func(tw *tabwriter.Writer) { printSet(tw, s) })
	})
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
