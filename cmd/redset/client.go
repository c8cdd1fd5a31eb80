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

// client builds an API client from the shared flags.
func (cf *clientFlags) client() (*api.Client, error) {
	if cf.output != "table" && cf.output != "json" {
		return nil, fmt.Errorf("--output %q: use table or json", cf.output)
	}
	if !strings.HasPrefix(cf.server, "http://") && !strings.HasPrefix(cf.server, "https://") {
		return nil, fmt.Errorf("server %q: want a URL such as http://127.0.0.1:5988 (set REDSET_SERVER or --server)", cf.server)
	}
	return api.NewClient(cf.server, cf.user, cf.password, &http.Client{Timeout: 30 * time.Second})
}

// render prints v as JSON, or through table when the output is a table.
func (cf *clientFlags) render(w io.Writer, v any, table func(*tabwriter.Writer)) error {
	if cf.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// clientCmd is a subcommand that talks to the server's JSON API.
func clientCmd(cf *clientFlags, cmd *cobra.Command, run func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error) *cobra.Command {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := cf.client()
		if err != nil {
			return err
		}
		return explain(run(cmd.Context(), c, cmd, args), cf)
	}
	return cmd
}

// explain makes the common client errors actionable.
func explain(err error, cf *clientFlags) error {
	var p *api.Problem
	switch {
	case err == nil:
		return nil
	case errors.As(err, &p) && p.Status == http.StatusUnauthorized:
		return fmt.Errorf("%w (set REDSET_USER and REDSET_PASSWORD, or --user and --password)", err)
	case strings.Contains(err.Error(), "connection refused"):
		return fmt.Errorf("%w (is a server running at %s? set REDSET_SERVER or --server)", err, cf.server)
	}
	return err
}

func newSetsCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:   "sets",
		Short: "List redundancy sets with their status",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		sets, err := c.ListSets(ctx)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), sets, func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "INSTANCEID\tSTATUS\tTYPE\tMIN\tIN SERVICE\tSPARE\tDRAINED")
			for _, s := range sets {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.InstanceID, statusWords(s.RedundancyStatus),
					typeWords(s.TypeOfSet), s.MinNumberNeeded, roleList(s, api.RoleInService), roleList(s, api.RoleSpare), roleList(s, api.RoleDrained))
			}
		})
	})
}

func statusWords(status uint16) string {
	return fmt.Sprintf("%d %s", status, api.StatusText(status))
}

var typeNames = map[uint16]string{0: "Unknown", 1: "Other", 2: "N+1", 3: "Load Balanced", 4: "Sparing", 5: "Limited Sparing"}

func typeWords(types []uint16) string {
	var out []string
	for _, t := range types {
		if n, ok := typeNames[t]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprint(t))
		}
	}
	return strings.Join(out, ",")
}

// roleList names the set's members in a role with their health.
func roleList(s api.Set, role string) string {
	var out []string
	for _, m := range s.Members {
		if m.Role == role {
			out = append(out, fmt.Sprintf("%s(%s)", m.Name, m.Health.State))
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

func newSetCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "set", Short: "Work with one redundancy set"}
	cmd.AddCommand(clientCmd(cf, &cobra.Command{
		Use:     "get ID",
		Short:   "Show a set: every property, its policy and its members",
		Example: "  redset set get redset:demo-web",
		Args:    cobra.ExactArgs(1),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		s, err := c.GetSet(ctx, args[0])
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), s, func(tw *tabwriter.Writer) { printSet(tw, s) })
	}))
	return cmd
}

func printSet(tw *tabwriter.Writer, s api.Set) {
	rows := [][2]string{
		{"InstanceID", s.InstanceID}, {"ElementName", s.ElementName}, {"Caption", s.Caption},
		{"RedundancyStatus", statusWords(s.RedundancyStatus)}, {"TypeOfSet", typeWords(s.TypeOfSet)},
		{"MinNumberNeeded", fmt.Sprint(s.MinNumberNeeded)}, {"MaxNumberSupported", fmt.Sprint(s.MaxNumberSupported)},
		{"LoadBalanceAlgorithm", codeWords(s.LoadBalanceAlgorithm, lbNames)}, {"VendorIdentifyingInfo", s.VendorIdentifyingInfo},
	}
	if s.OtherLoadBalanceAlgorithm != "" {
		rows = append(rows, [2]string{"OtherLoadBalanceAlgorithm", s.OtherLoadBalanceAlgorithm})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	fmt.Fprintln(tw, "\nMEMBER\tROLE\tHEALTH\tSPARE STATUS\tFAILOVER\tPRIORITY")
	for _, m := range s.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", m.Name, m.Role, m.Health.State,
			codeWords(m.SpareStatus, spareNames), codeWords(m.FailoverSupported, failoverNames), m.Priority)
	}
}

var (
	lbNames = map[uint16]string{0: "Unknown", 1: "Other", 2: "No Load Balancing", 3: "Round Robin",
		4: "Least Blocks", 5: "Least IO", 6: "Address Region", 7: "Product Specific"}
	spareNames    = map[uint16]string{2: "Hot Standby", 3: "Cold Standby"}
	failoverNames = map[uint16]string{2: "Automatic", 3: "Manual", 4: "Both"}
)

// codeWords shows a CIM value with its meaning ("2 Hot Standby"); an
// unset (zero) value without one is "-".
func codeWords(v uint16, names map[uint16]string) string {
	if n, ok := names[v]; ok {
		return fmt.Sprintf("%d %s", v, n)
	}
	if v == 0 {
		return "-"
	}
	return fmt.Sprint(v)
}

func newMembersCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:   "members",
		Short: "List members with their health and sets",
		Args:  cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		ms, err := c.ListMembers(ctx)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), ms, func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "NAME\tHEALTH\tPROBE\tTARGET\tSETS")
			for _, m := range ms {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, m.Health.State, dash(m.Probe.Type), dash(m.Probe.Target()), strings.Join(m.Sets, ","))
			}
		})
	})
}
