package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

func newSubscriptionsCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "subscriptions",
		Aliases: []string{"subscription", "subs"},
		Short:   "List and delete subscriptions to indications (CIM-XML and WS-Management)",
		Long: `subscriptions shows who is subscribed to redset's indications (failovers and
the life of sets and members), over CIM-XML (CIM_IndicationSubscription in
root/interop) and WS-Management (WS-Eventing), and how their deliveries went.
An administrator sees and deletes every subscription; other users their own.`,
	}
	cmd.AddCommand(newSubscriptionsListCmd(cf), newSubscriptionsDeleteCmd(cf))
	return cmd
}

func newSubscriptionsListCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:     "list",
		Short:   "List subscriptions with their delivery counts",
		Example: "  redset subscriptions list\n  redset subscriptions list -o json",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		subs, err := c.ListSubscriptions(ctx)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), subs, func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "ID\tPROTOCOL\tOWNER\tMODE\tSTATE\tDESTINATION\tDELIVERED\tQUEUED\tFAILED\tDROPPED\tQUERY")
			for _, s := range subs {
				d := s.Delivery
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", s.ID, s.Protocol, s.Owner, s.DeliveryMode,
					subscriptionState(s), dash(s.Destination), d.Delivered, d.Queued, d.Failed, d.Dropped, s.Query)
			}
		})
	})
}

// subscriptionState is the state column: the state, and when the
// subscription expires.
func subscriptionState(s api.IndicationSubscription) string {
	if s.Expires == nil {
		return s.State
	}
	return s.State + " until " + s.Expires.Local().Format(time.DateTime)
}

func newSubscriptionsDeleteCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:     "delete ID...",
		Aliases: []string{"rm"},
		Short:   "End subscriptions: nothing more is delivered for them",
		Example: "  redset subscriptions delete 'cimxml:ops:failovers'",
		Args:    cobra.MinimumNArgs(1),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		for _, id := range args {
			if err := c.DeleteSubscription(ctx, id); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted subscription %s\n", id)
		}
		return nil
	})
}
