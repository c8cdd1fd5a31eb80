package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/server"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

func newMemberCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "member", Short: "Work with one member: show, add, remove, report its health"}
	cmd.AddCommand(newMemberGetCmd(cf), newMemberAddCmd(cf), newMemberRemoveCmd(cf), newMemberReportCmd(cf))
	return cmd
}

func newMemberGetCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:               "get NAME",
		Short:             "Show a member: its probe, health and sets",
		Example:           "  redset member get web-a",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(cf, argMember),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		m, err := c.GetMember(ctx, args[0])
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), m, func(tw *tabwriter.Writer) { printMember(tw, m) })
	})
}

func printMember(tw *tabwriter.Writer, m api.Member) {
	h := m.Health
	rows := [][2]string{
		{"Name", m.Name}, {"DisplayName", m.DisplayName}, {"Probe", m.Probe.Type + " " + m.Probe.Target()},
		{"TrafficAddress", trafficAddressWords(m)},
		{"Health", h.State}, {"Source", h.Source}, {"Detail", h.Detail}, {"Sets", strings.Join(m.Sets, ", ")},
	}
	if !h.Since.IsZero() {
		rows = append(rows, [2]string{"Since", h.Since.Local().Format(time.DateTime)})
	}
	if !h.Expires.IsZero() {
		rows = append(rows, [2]string{"Expires", h.Expires.Local().Format(time.DateTime)})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], dash(r[1]))
	}
}

// trafficAddressWords says where frontends send the member's connections
// and whether the member names that address or its probe does.
func trafficAddressWords(m api.Member) string {
	switch {
	case m.TrafficAddress == "":
		return ""
	case m.Address == "":
		return m.TrafficAddress + " (the probe's)"
	}
	return m.TrafficAddress
}

// memberFlags describe a member as flags, with the configuration file's
// probe names.
type memberFlags struct {
	file, display, typ, address, url, command, expect, bodyMatch string
	trafficAddress                                               string
	labels                                                       []string
	interval, timeout, ttl                                       time.Duration
	rise, fall                                                   int
	replace                                                      bool
}

func newMemberAddCmd(cf *clientFlags) *cobra.Command {
	f := &memberFlags{}
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "add NAME [flags] | add -f FILE",
		Short: "Add a member and say how its health is observed",
		Long: `add creates a member (admin): from flags, or from -f FILE (- for standard input)
holding member entries with the field names of the configuration file's members:
list. A probe is tcp (--address), http (--url, --expect, --body-match), exec
(--command) or heartbeat (reports pushed with redset member report, --ttl).
Interval and timeout left out take the server's defaults. --traffic-address is
where frontends send the member's connections (left out: the tcp probe's address
or the http probe's host and port). --replace replaces a member of the same name
(its roles and health stay).`,
		Example: `  redset member add web-c --type tcp --address 127.0.0.1:8080 --interval 2s --fall 3
  redset member add agent-1 --type heartbeat --ttl 30s
  redset member add pg-a --type tcp --address 10.0.0.5:8008 --traffic-address 10.0.0.5:5432 --replace
  redset member add -f members.yaml`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: cobra.NoFileCompletions,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		specs, err := f.specs(cmd, args)
		if err != nil {
			return err
		}
		var made []api.Member
		for _, spec := range specs {
			m, err := f.put(ctx, c, spec)
			if err != nil {
				return fmt.Errorf("member %s: %w", spec.Name, err)
			}
			made = append(made, m)
		}
		return cf.render(cmd.OutOrStdout(), made, func(tw *tabwriter.Writer) {
			for _, m := range made {
				fmt.Fprintf(tw, "added member %s (%s %s)\n", m.Name, m.Probe.Type, m.Probe.Target())
			}
		})
	})
	fl := cmd.Flags()
	fl.StringVarP(&f.file, "file", "f", "", "read member entries (configuration file syntax) from FILE, - for standard input")
	fl.StringVar(&f.display, "display-name", "", "a friendly name")
	fl.StringArrayVar(&f.labels, "label", nil, "a label KEY=VALUE (repeatable)")
	fl.StringVar(&f.typ, "type", "", "probe: tcp, http, exec or heartbeat")
	fl.StringVar(&f.address, "address", "", "tcp probe: host:port")
	fl.StringVar(&f.trafficAddress, "traffic-address", "", "host:port where frontends send the member's connections (default: the probe's target)")
	fl.StringVar(&f.url, "url", "", "http probe: the URL")
	fl.StringVar(&f.expect, "expect", "", "http probe: the status range, e.g. 200-399")
	fl.StringVar(&f.bodyMatch, "body-match", "", "http probe: text the body must contain")
	fl.StringVar(&f.command, "command", "", "exec probe: the command and its arguments, split at spaces")
	fl.DurationVar(&f.interval, "interval", 0, "probe interval")
	fl.DurationVar(&f.timeout, "timeout", 0, "probe timeout")
	fl.DurationVar(&f.ttl, "ttl", 0, "heartbeat: reports expire to Failed after this")
	fl.IntVar(&f.rise, "rise", 0, "successes that count a recovery")
	fl.IntVar(&f.fall, "fall", 0, "failures that count a failure")
	fl.BoolVar(&f.replace, "replace", false, "replace a member of the same name")
	return cmd
}

func (f *memberFlags) put(ctx context.Context, c *api.Client, spec api.MemberSpec) (api.Member, error) {
	if f.replace {
		return c.PutMember(ctx, spec)
	}
	return c.CreateMember(ctx, spec)
}

// specs are the members add makes: from -f, or from the name and flags
// (written as a configuration entry, so both are checked alike).
func (f *memberFlags) specs(cmd *cobra.Command, args []string) ([]api.MemberSpec, error) {
	name, data := inputName(f.file), []byte(nil)
	switch {
	case f.file != "" && len(args) > 0:
		return nil, errors.New("with -f the file names the members; give no NAME")
	case f.file != "":
		var err error
		if data, err = readInput(cmd, f.file); err != nil {
			return nil, err
		}
	case len(args) == 0:
		return nil, errors.New("give the new member's NAME, or -f FILE")
	default:
		var err error
		name = "flags"
		if data, err = f.entry(args[0]); err != nil {
			return nil, err
		}
	}
	members, err := server.ParseMemberEntries(name, data)
	out := make([]api.MemberSpec, len(members))
	for i, m := range members {
		out[i] = api.MemberSpecOf(m)
	}
	return out, err
}

// entry writes the flags as one configuration entry.
func (f *memberFlags) entry(name string) ([]byte, error) {
	probe := map[string]any{}
	for k, v := range map[string]string{"type": f.typ, "address": f.address, "url": f.url, "expect": f.expect, "bodyMatch": f.bodyMatch} {
		if v != "" {
			probe[k] = v
		}
	}
	if f.command != "" {
		probe["command"] = strings.Fields(f.command)
	}
	for k, d := range map[string]time.Duration{"interval": f.interval, "timeout": f.timeout, "ttl": f.ttl} {
		if d != 0 {
			probe[k] = d.String()
		}
	}
	for k, n := range map[string]int{"rise": f.rise, "fall": f.fall} {
		if n != 0 {
			probe[k] = n
		}
	}
	m := map[string]any{"name": name, "probe": probe}
	if f.trafficAddress != "" {
		m["address"] = f.trafficAddress
	}
	if f.display != "" {
		m["displayName"] = f.display
	}
	if len(f.labels) > 0 {
		labels := map[string]string{}
		for _, l := range f.labels {
			k, v, ok := strings.Cut(l, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("--label %q: want KEY=VALUE", l)
			}
			labels[k] = v
		}
		m["labels"] = labels
	}
	return yaml.Marshal(m)
}

func newMemberRemoveCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:               "remove NAME",
		Short:             "Delete a member that belongs to no set",
		Long:              "Delete a member (admin). A member still in a set is refused: take it out first (redset set remove-member).",
		Example:           "  redset member remove web-c",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(cf, argMember),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		if err := c.DeleteMember(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "removed member %s\n", args[0])
		return nil
	})
}

func newMemberReportCmd(cf *clientFlags) *cobra.Command {
	var rep api.HealthReport
	var ttl time.Duration
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "report NAME [--state OK|Degraded|Failed] [--ttl DURATION]",
		Short: "Push a health report or heartbeat for a member",
		Long: `report counts one health observation of a member (operator), as an agent or a
heartbeat would: the member's rise and fall dampening apply. With --ttl the
report expires to Failed unless another arrives in time.`,
		Example:           "  redset member report agent-1 --ttl 30s\n  redset member report web-a --state Degraded --detail 'disk 95% full'",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(cf, argMember),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		rep.TTLSeconds = ttl.Seconds()
		m, err := c.ReportHealth(ctx, args[0], rep)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), m, func(tw *tabwriter.Writer) { printMember(tw, m) })
	})
	fl := cmd.Flags()
	fl.StringVar(&rep.State, "state", "OK", "OK, Degraded or Failed")
	fl.StringVar(&rep.Source, "source", "cli", "who observed it")
	fl.StringVar(&rep.Detail, "detail", "", "free text")
	fl.DurationVar(&ttl, "ttl", 0, "the report expires to Failed after this")
	return cmd
}

func newDrainCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:   "drain ID MEMBER",
		Short: "Take an in-service member of an N+1 or Load Balanced set out of service",
		Long: `drain takes an in-service member out of service (operator), for maintenance say:
it stays in the set, not active, until "redset enable" returns it. It is refused
when fewer operational in-service members than MinNumberNeeded would be left,
and in Sparing sets, where "redset failover" moves service to a spare.

` + setArgHelp,
		Example:           "  redset drain redset:demo-db db-1\n  redset drain demo-lb lb-4",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeArgs(cf, argSet, argMember),
	}, onSetMember(cf, (*api.Client).DrainMember))
}
