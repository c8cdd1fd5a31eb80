package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

func newHistoryCmd(cf *clientFlags) *cobra.Command {
	var limit int
	var set string
	cmd := clientCmd(cf, &cobra.Command{
		Use:     "history",
		Short:   "Show the recent events: failovers, health and status changes, configuration",
		Example: "  redset history --limit 20\n  redset history --set redset:demo-web",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		evs, err := c.History(ctx, api.HistoryQuery{Limit: limit, SetID: set})
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), evs, func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tSET\tMEMBER\tWHAT")
			for _, e := range evs {
				printEvent(tw, e)
			}
		})
	})
	cmd.Flags().IntVar(&limit, "limit", 50, "how many events at most")
	cmd.Flags().StringVar(&set, "set", "", "only events of this set")
	return cmd
}

func printEvent(w io.Writer, e api.Event) {
	fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Local().Format(time.DateTime), e.Kind,
		dash(e.SetID), dash(e.Member), eventWords(e))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// eventWords says what an event means in one line.
func eventWords(e api.Event) string {
	switch {
	case e.Failover != nil:
		f := e.Failover
		kind := map[bool]string{true: "planned", false: "unplanned"}[f.Planned]
		s := fmt.Sprintf("%s failover %s -> %s: %d %s", kind, f.From, f.To, f.ReturnValue, api.ReturnValueText(f.ReturnValue))
		if f.Reason != "" {
			s += " (" + f.Reason + ")"
		}
		return s
	case e.Health != nil:
		return fmt.Sprintf("health %s -> %s %s", e.Health.From, e.Health.To, e.Health.Detail)
	case e.Status != nil:
		return fmt.Sprintf("status %s -> %s", e.Status.FromText, e.Status.ToText)
	}
	data, _ := json.Marshal(e)
	return string(data)
}

func newWatchCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:   "watch",
		Short: "Follow live events until interrupted (reconnects if the stream falls behind)",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		var last uint64
		for {
			err := watchOnce(ctx, c, cmd.OutOrStdout(), cf.output == "json", &last)
			if !errors.Is(err, api.ErrLagged) {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	})
}

// watchOnce prints events from one connection, remembering the last one
// so a reconnection resumes after it.
func watchOnce(ctx context.Context, c *api.Client, w io.Writer, asJSON bool, last *uint64) error {
	stream, err := c.Events(ctx, *last)
	if err != nil {
		return err
	}
	defer stream.Close()
	enc := json.NewEncoder(w)
	for {
		e, err := stream.Next()
		if err != nil {
			return err
		}
		*last = e.Seq
		if asJSON {
			_ = enc.Encode(e)
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		printEvent(tw, e)
		tw.Flush()
	}
}
