package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

// eventFilter holds the filter flags history and watch share.
type eventFilter struct {
	set, member, user string
	kinds             []string
}

func (f *eventFilter) flags(cf *clientFlags, cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.set, "set", "", "only events of this set (InstanceID or LocalID)")
	fl.StringVar(&f.member, "member", "", "only events naming this member")
	fl.StringSliceVar(&f.kinds, "kind", nil, "only events of these kinds (repeat or separate by commas), e.g. FailoverSucceeded,ConfigChanged")
	fl.StringVar(&f.user, "by", "", "only events caused by this user")
	_ = cmd.RegisterFlagCompletionFunc("set", func(cmd *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		return completeArgs(cf, argSet)(cmd, nil, "")
	})
}

// query makes the filter, resolving a set's LocalID.
func (f *eventFilter) query(ctx context.Context, c *api.Client) (api.HistoryQuery, error) {
	q := api.HistoryQuery{SetID: f.set, Member: f.member, Kinds: f.kinds, User: f.user}
	if f.set == "" {
		return q, nil
	}
	var err error
	q.SetID, err = resolveSet(ctx, c, f.set)
	return q, err
}

func newHistoryCmd(cf *clientFlags) *cobra.Command {
	var limit int
	var f eventFilter
	var since, until string
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "history",
		Short: "Show the recent events: failovers, health and status changes, configuration, who did what",
		Long: `history shows the most recent stored events that pass every filter given, oldest
first. --since and --until take an RFC 3339 time or a duration back from now
(--since 1h: the last hour).`,
		Example: "  redset history --limit 20\n  redset history --set redset:demo-web\n" +
			"  redset history --kind FailoverSucceeded,FailoverRefused --since 24h\n  redset history --by admin --member web-a",
		Args: cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		q, err := f.query(ctx, c)
		if err != nil {
			return err
		}
		q.Limit = limit
		now := time.Now()
		if q.Since, err = parseWhen("--since", since, now); err != nil {
			return err
		}
		if q.Until, err = parseWhen("--until", until, now); err != nil {
			return err
		}
		evs, err := c.History(ctx, q)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), evs, func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "SEQ\tTIME\tKIND\tSET\tMEMBER\tBY\tWHAT")
			for _, e := range evs {
				printEvent(tw, e)
			}
		})
	})
	cmd.Flags().IntVar(&limit, "limit", 50, "how many events at most")
	f.flags(cf, cmd)
	cmd.Flags().StringVar(&since, "since", "", "only events at or after this time (RFC 3339, or a duration back from now such as 1h)")
	cmd.Flags().StringVar(&until, "until", "", "only events before this time (RFC 3339, or a duration back from now)")
	return cmd
}

// parseWhen reads a time flag: RFC 3339, or a duration back from now.
func parseWhen(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: give an RFC 3339 time such as 2030-01-02T03:04:05Z or a duration back from now such as 90m", flag, s)
	}
	return t, nil
}

func printEvent(w io.Writer, e api.Event) {
	fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Local().Format(time.DateTime), e.Kind,
		dash(e.SetID), dash(e.Member), actorWords(e.Actor), eventWords(e))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// eventWords says what an event means in one line: the sentence the API
// gives it, or its data for a server that gives none.
func eventWords(e api.Event) string {
	if e.Text != "" {
		return e.Text
	}
	data, _ := json.Marshal(e)
	return string(data)
}

func newWatchCmd(cf *clientFlags) *cobra.Command {
	var recent int
	var f eventFilter
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "watch",
		Short: "Follow live events until interrupted (shows the last few first; reconnects when the stream breaks)",
		Long: `watch shows the last few events, then follows live events until interrupted.
When the stream breaks (the server restarts, the network fails, or watch falls
behind) it reconnects with a growing pause of up to 5s and resumes after the
last event shown, so nothing is missed or shown twice.`,
		Example: "  redset watch\n  redset watch --set redset:demo-web\n  redset watch --recent 0 -o json",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		w, asJSON := cmd.OutOrStdout(), cf.output == "json"
		q, err := f.query(ctx, c)
		if err != nil {
			return err
		}
		last, err := printRecent(ctx, c, w, asJSON, recent, q)
		if err != nil {
			return err
		}
		err = follow(ctx, c, w, cmd.ErrOrStderr(), asJSON, &last, newBackoff(), q)
		if ctx.Err() != nil {
			return nil
		}
		return err
	})
	cmd.Flags().IntVar(&recent, "recent", 5, "how many past events to show before the live ones")
	f.flags(cf, cmd)
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
func follow(ctx context.Context, c *api.Client, w, errW io.Writer, asJSON bool, last *uint64, b *backoff, q api.HistoryQuery) error {
	broken := false
	connected := func() {
		b.reset()
		if broken {
			fmt.Fprintf(errW, "redset: reconnected; resuming after event %d\n", *last)
			broken = false
		}
	}
	for {
		err := watchOnce(ctx, c, w, asJSON, last, connected, q)
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
func printRecent(ctx context.Context, c *api.Client, w io.Writer, asJSON bool, n int, q api.HistoryQuery) (uint64, error) {
	if !asJSON {
		fmt.Fprintf(w, "%-8s  %-17s  %-16s  %-8s  %s\n", "TIME", "KIND", "SET", "MEMBER", "WHAT")
	}
	if n <= 0 {
		return 0, nil
	}
	q.Limit = n
	evs, err := c.History(ctx, q)
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
func watchOnce(ctx context.Context, c *api.Client, w io.Writer, asJSON bool, last *uint64, connected func(), q api.HistoryQuery) error {
	stream, err := c.EventsOf(ctx, *last, q)
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
