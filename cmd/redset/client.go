package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
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
	hc := &http.Client{Timeout: 30 * time.Second}
	if strings.HasPrefix(cf.server, "https://") {
		tc, err := cf.tlsConfig()
		if err != nil {
			return nil, err
		}
		hc.Transport = &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	return api.NewClient(cf.server, cf.user, cf.passwordOrEnv(), hc)
}

// passwordOrEnv is --password, else REDSET_PASSWORD.
func (cf *clientFlags) passwordOrEnv() string {
	if cf.password != "" {
		return cf.password
	}
	return os.Getenv("REDSET_PASSWORD")
}

// tlsConfig trusts the CA of --cacert (instead of the system's) or, with
// --insecure, any certificate.
func (cf *clientFlags) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cf.insecure} //nolint:gosec // asked for with --insecure
	if cf.cacert == "" {
		return tc, nil
	}
	data, err := os.ReadFile(cf.cacert)
	if err != nil {
		return nil, fmt.Errorf("--cacert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("--cacert %s: no PEM certificate in it", cf.cacert)
	}
	tc.RootCAs = pool
	return tc, nil
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
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w (is a server running at %s? set REDSET_SERVER or --server)", err, cf.server)
	case errors.As(err, new(*tls.CertificateVerificationError)):
		return fmt.Errorf("%w (give the server's CA with --cacert FILE, or skip the check with --insecure)", err)
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
			fmt.Fprintln(tw, "INSTANCEID\tSTATUS\tTYPE\tMIN\tIN SERVICE\tSPARE\tDRAINED\tAUTOMATIC")
			for _, s := range sets {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.InstanceID, statusWords(s.RedundancyStatus),
					typeWords(s.TypeOfSet), s.MinNumberNeeded, roleList(s, api.RoleInService), roleList(s, api.RoleSpare),
					roleList(s, api.RoleDrained), automaticShort(s))
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
