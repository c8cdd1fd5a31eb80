package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

// newPauseCmd and newResumeCmd stop and restart automatic failover of one
// set or, without one, of the whole server.
func newPauseCmd(cf *clientFlags) *cobra.Command {
	return maintenanceCmd(cf, true, &cobra.Command{
		Use:   "pause [ID]",
		Short: "Pause automatic failover of a set, or of every set (maintenance)",
		Long: `pause stops redset's automatic actions — automatic failover, failback and the
automatic return of drained members — for one set, or without ID for every set,
until resume. Requested and scheduled failovers still run. The pause is stored:
it outlasts a restart.`,
		Example: "  redset pause demo-web\n  redset pause",
		Args:    cobra.MaximumNArgs(1),
	})
}

func newResumeCmd(cf *clientFlags) *cobra.Command {
	return maintenanceCmd(cf, false, &cobra.Command{
		Use:   "resume [ID]",
		Short: "Resume automatic failover of a set, or end the server-wide pause",
		Long: `resume ends a pause made by redset pause: of the set, or without ID the
server-wide one (sets paused on their own stay paused). Automatic failovers that
are due happen at once.`,
		Example: "  redset resume demo-web\n  redset resume",
		Args:    cobra.MaximumNArgs(1),
	})
}

func maintenanceCmd(cf *clientFlags, pause bool, cmd *cobra.Command) *cobra.Command {
	cmd.ValidArgsFunction = completeArgs(cf, argSet)
	return clientCmd(cf, cmd, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		w := cmd.OutOrStdout()
		if len(args) == 1 {
			id, err := resolveSet(ctx, c, args[0])
			if err != nil {
				return err
			}
			change := map[bool]func(context.Context, string) (api.Set, error){true: c.PauseSet, false: c.ResumeSet}[pause]
			s, err := change(ctx, id)
			if err != nil {
				return err
			}
			return cf.render(w, s, func(tw *tabwriter.Writer) {
				fmt.Fprintf(tw, "%s: automatic failover %s\n", s.InstanceID, automaticWords(s))
			})
		}
		change := map[bool]func(context.Context) (api.Maintenance, error){true: c.PauseServer, false: c.ResumeServer}[pause]
		m, err := change(ctx)
		if err != nil {
			return err
		}
		return cf.render(w, m, func(tw *tabwriter.Writer) { printMaintenance(tw, m) })
	})
}

func printMaintenance(tw *tabwriter.Writer, m api.Maintenance) {
	if m.Paused != nil {
		fmt.Fprintf(tw, "automatic failover paused for every set %s\n", pauseWords(m.Paused))
	} else {
		fmt.Fprintln(tw, "automatic failover on (no server-wide pause)")
	}
	for _, id := range m.PausedSets {
		fmt.Fprintf(tw, "%s: paused on its own\n", id)
	}
}

// automaticWords says whether automatic failover of a set runs: "on",
// "paused …", "paused (server) …" or "stopped (flap guard)".
func automaticWords(s api.Set) string {
	switch {
	case s.Paused != nil:
		return "paused " + pauseWords(s.Paused)
	case s.ServerPaused:
		return "paused (server-wide)"
	case s.FlapGuardTripped:
		return "stopped (flap guard tripped)"
	}
	return "on"
}

func pauseWords(p *api.Pause) string {
	by := p.By.User
	if by == "" {
		by = p.By.Protocol
	}
	return fmt.Sprintf("since %s by %s", p.Since.Local().Format("2006-01-02 15:04:05"), by)
}

// automaticShort is automaticWords for a table column.
func automaticShort(s api.Set) string {
	switch {
	case s.Paused != nil:
		return "paused"
	case s.ServerPaused:
		return "paused (server)"
	case s.FlapGuardTripped:
		return "stopped (flap guard)"
	}
	return "on"
}

// actorWords names who did something: "user (protocol)", or the protocol
// alone for the engine and the configuration.
func actorWords(a *api.Actor) string {
	if a == nil {
		return "-"
	}
	if a.User == "" {
		return a.Protocol
	}
	return a.User + " (" + a.Protocol + ")"
}
