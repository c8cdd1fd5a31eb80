package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

func newFlapGuardCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flap-guard",
		Short: "Work with a set's flap guard, the limit on automatic failovers",
	}
	cmd.AddCommand(setCmd(cf, &cobra.Command{
		Use:   "reset ID",
		Short: "Turn automatic failover back on after the flap guard stopped it",
		Long: `reset re-enables automatic failover of a set whose flap guard tripped, and
forgets its recent automatic failovers (operator). "redset set get" and
"redset status" show the flap guard.

` + setArgHelp,
		Example: "  redset flap-guard reset redset:demo-web",
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, id string) error {
		s, err := c.ResetFlapGuard(ctx, id)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), s, func(tw *tabwriter.Writer) {
			fmt.Fprintf(tw, "%s flap guard: %s\n", s.InstanceID, flapGuardWords(s))
		})
	}))
	return cmd
}
