package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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
		id := set
		if set != "" {
			var err error
			if id, err = resolveSet(ctx, c, set); err != nil {
				return err
			}
		}
		evs, err := c.History(ctx, api.HistoryQuery{Limit: limit, SetID: id})
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
	cmd.Flags().StringVar(&set, "set", "", "only events of this set (InstanceID or LocalID)")
	_ = cmd.RegisterFlagCompletionFunc("set", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return completeArgs(cf, argSet)(cmd, nil, "")
	})
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
	case e.Config != nil:
		return strings.TrimSpace(e.Config.Action + " " + e.Config.Detail)
	case e.Returned != nil:
		return map[bool]string{true: "returned to service by an operator", false: "returned to service by the set's policy"}[e.Returned.Operator]
	case e.Flap != nil:
		return fmt.Sprintf("flap guard tripped: over %d automatic failovers in %gs; automatic failover stopped", e.Flap.MaxFailovers, e.Flap.PeriodSeconds)
	case e.Hook != nil:
		h := e.Hook
		return fmt.Sprintf("hook %s on %s: %s after %d attempt(s) %s", h.Hook, h.Event, h.Outcome, h.Attempts, h.Error)
	}
	data, _ := json.Marshal(e)
	return string(data)
}

func newWatchCmd(cf *clientFlags) *cobra.Command {
	var recent int
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "watch",
		Short: "Follow live events until interrupted (shows the last few first; reconnects when the stream breaks)",
		Long: `watch shows the last few events, then follows live events until interrupted.
When the stream breaks (the server restarts, the network fails, or watch falls
behind) it reconnects with a growing pause of up to 5s and resumes after the
last event shown, so nothing is missed or shown twice.`,
		Example: "  redset watch\n  redset watch --recent 0 -o json",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		w, asJSON := cmd.OutOrStdout(), cf.output == "json"
		last, err := printRecent(ctx, c, w, asJSON, recent)
		if err != nil {
			return err
		}
		err = follow(ctx, c, w, cmd.ErrOrStderr(), asJSON, &last, newBackoff())
		if ctx.Err() != nil {
			return nil
		}
		return err
	})
	cmd.Flags().IntVar(&recent, "recent", 5, "how many past events to show before the live ones")
	return cmd
}

// backoff is a pause that doubles from min to max.
type backoff struct{ min, max, next time.Duration }

func newBackoff() *backoff {
	return &backoff{min: 100 * time.Millisecond, max: 5 * time.Second, next: 100 * time.Millisecond}
}

func (b *backoff) reset() { b.next = b.min }

// wait pauses for the next step, or until ctx ends.
func (b *backoff) wait(ctx context.Context) error {
	t := time.NewTimer(b.next)
	defer t.Stop()
	b.next = min(2*b.next, b.max)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// follow prints live events, reconnecting after every break that a retry
// can mend; it returns when ctx ends or the server refuses the stream
// (wrong credentials, say).
func follow(ctx context.Context, c *api.Client, w, errW io.Writer, asJSON bool, last *uint64, b *backoff) error {
	broken := false
	connected := func() {
		b.reset()
		if broken {
			fmt.Fprintf(errW, "redset: reconnected; resuming after event %d\n", *last)
			broken = false
		}
	}
	for {
		err := watchOnce(ctx, c, w, asJSON, last, connected)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case !retryable(err):
			return err
		case errors.Is(err, api.ErrLagged):
			continue // the server asks for a reconnection at once
		}
		if !broken {
			fmt.Fprintf(errW, "redset: the event stream broke (%v); reconnecting\n", err)
			broken = true
		}
		if err := b.wait(ctx); err != nil {
			return err
		}
	}
}

// retryable reports whether reconnecting may help: every break but an
// answer of the server that would be the same again.
func retryable(err error) bool {
	var p *api.Problem
	if errors.As(err, &p) {
		return p.Status >= 500 || p.Status == http.StatusTooManyRequests
	}
	return err != nil
}

// printRecent shows the newest n stored events and returns the last seq
// shown, from which the live stream continues.
func printRecent(ctx context.Context, c *api.Client, w io.Writer, asJSON bool, n int) (uint64, error) {
	if !asJSON {
		fmt.Fprintf(w, "%-8s  %-17s  %-16s  %-8s  %s\n", "TIME", "KIND", "SET", "MEMBER", "WHAT")
	}
	if n <= 0 {
		return 0, nil
	}
	evs, err := c.History(ctx, api.HistoryQuery{Limit: n})
	if err != nil {
		return 0, err
	}
	var last uint64
	for _, e := range evs {
		writeEvent(w, e, asJSON)
		last = e.Seq
	}
	return last, nil
}

// watchOnce prints events from one connection, remembering the last one
// so a reconnection resumes after it.
func watchOnce(ctx context.Context, c *api.Client, w io.Writer, asJSON bool, last *uint64, connected func()) error {
	stream, err := c.Events(ctx, *last)
	if err != nil {
		return err
	}
	defer stream.Close()
	connected()
	for {
		e, err := stream.Next()
		if err != nil {
			return err
		}
		*last = e.Seq
		writeEvent(w, e, asJSON)
	}
}

// writeEvent prints one event as a JSON line or an aligned text line.
func writeEvent(w io.Writer, e api.Event, asJSON bool) {
	if asJSON {
		_ = json.NewEncoder(w).Encode(e)
		return
	}
	fmt.Fprintf(w, "%-8s  %-17s  %-16s  %-8s  %s\n", e.Time.Local().Format(time.TimeOnly), e.Kind,
		dash(e.SetID), dash(e.Member), eventWords(e))
}
