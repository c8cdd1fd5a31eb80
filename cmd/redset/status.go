package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

// statusHistory is how many recent events status reads to find each set's
// last failover.
const statusHistory = 1000

// setStatus is one set as status shows it.
type setStatus struct {
	api.Set
	LastFailover *api.Event `json:"lastFailover"`
}

func newStatusCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:   "status",
		Short: "One screen: every set, its status, members with role and health, flap guard, last failover",
		Long: `status shows every set on one screen: its RedundancyStatus, its members with
their role and health, its flap guard, and its last successful failover among the
recent events.`,
		Example: "  redset status\n  redset status -o json",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		sets, err := c.ListSets(ctx)
		if err != nil {
			return err
		}
		evs, err := c.History(ctx, api.HistoryQuery{Limit: statusHistory, Kinds: []string{"FailoverSucceeded"}})
		if err != nil {
			return err
		}
		out := make([]setStatus, len(sets))
		for i, s := range sets {
			out[i] = setStatus{Set: s, LastFailover: lastFailover(evs, s.InstanceID)}
		}
		w := cmd.OutOrStdout()
		if cf.output == "json" {
			return cf.render(w, out, nil)
		}
		printStatus(w, cf.server, out)
		return nil
	})
}

// lastFailover is the newest completed failover of set among evs.
func lastFailover(evs []api.Event, set string) *api.Event {
	for i := len(evs) - 1; i >= 0; i-- {
		if e := evs[i]; e.SetID == set && e.Kind == "FailoverSucceeded" && e.Failover != nil {
			return &e
		}
	}
	return nil
}

func printStatus(w io.Writer, server string, sets []setStatus) {
	counts := map[uint16]int{}
	for _, s := range sets {
		counts[s.RedundancyStatus]++
	}
	var summary []string
	for _, st := range []uint16{2, 3, 4, 5, 0} {
		if counts[st] > 0 {
			summary = append(summary, fmt.Sprintf("%d %s", counts[st], api.StatusText(st)))
		}
	}
	fmt.Fprintf(w, "redset at %s: %d sets", server, len(sets))
	if len(summary) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(summary, ", "))
	}
	fmt.Fprintln(w)
	for _, s := range sets {
		fmt.Fprintln(w)
		printSetStatus(w, s)
	}
}

func printSetStatus(w io.Writer, s setStatus) {
	fmt.Fprintf(w, "%s  %s  [%s, MinNumberNeeded %d]\n", s.InstanceID, statusWords(s.RedundancyStatus), typeWords(s.TypeOfSet), s.MinNumberNeeded)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  flap guard:\t%s\n", flapGuardWords(s.Set))
	fmt.Fprintf(tw, "  automatic failover:\t%s\n", automaticWords(s.Set))
	fmt.Fprintf(tw, "  last failover:\t%s\n", failoverWords(s.LastFailover))
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEMBER\tROLE\tHEALTH\tSINCE\tDETAIL")
	for _, m := range s.Members {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", m.Name, roleWords(m), m.Health.State, since(m.Health.Since), dash(m.Health.Detail))
	}
	if len(s.Members) == 0 {
		fmt.Fprintln(tw, "  (no members)")
	}
	tw.Flush()
}

// roleWords is a member's role with a spare's settings.
func roleWords(m api.SetMember) string {
	if m.Role != api.RoleSpare {
		return m.Role
	}
	standby := map[uint16]string{2: "hot", 3: "cold"}[m.SpareStatus]
	fo := map[uint16]string{2: "automatic", 3: "manual", 4: "both"}[m.FailoverSupported]
	return fmt.Sprintf("spare (%s, %s, priority %d)", standby, fo, m.Priority)
}

func failoverWords(e *api.Event) string {
	if e == nil {
		return "- (none among the recent events)"
	}
	kind := map[bool]string{true: "planned", false: "unplanned"}[e.Failover.Planned]
	return fmt.Sprintf("%s  %s %s -> %s", e.Time.Local().Format(time.DateTime), kind, e.Failover.From, e.Failover.To)
}

func since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}
