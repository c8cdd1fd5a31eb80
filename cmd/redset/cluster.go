package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

func newClusterCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "The servers sharing one store and which one leads"}
	cmd.AddCommand(clientCmd(cf, &cobra.Command{
		Use:   "status",
		Short: "Show the cluster as the server sees it: its mode, the leader, every live server",
		Long: `status asks the server (--server) how it sees its cluster: single (a bolt store,
the server leads on its own) or etcd (several servers on one etcd store), which
server leads, whether the asked server is in sync with the store, and every live
server with when it was last heard from. Any server of a cluster can be asked.`,
		Example: "  redset cluster status\n  redset cluster status -o json",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		info, err := c.Cluster(ctx)
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		if cf.output == "json" {
			return cf.render(w, info, nil)
		}
		printCluster(w, info)
		return nil
	}))
	return cmd
}

// printCluster writes a summary line and a table of the servers.
func printCluster(w io.Writer, info api.ClusterInfo) {
	leader := "none known"
	if info.Leader != nil {
		leader = info.Leader.Name
	}
	sync := "in sync"
	if !info.InSync {
		sync = "NOT in sync (lag " + seconds(info.WatchLagSeconds) + ")"
	}
	fmt.Fprintf(w, "cluster mode %s, seen from %s: leader %s; %s; %d leader changes; lease %s\n",
		info.Mode, info.Name, leader, sync, info.LeaderChanges, seconds(info.LeaseTTLSeconds))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVER\tURL\tROLE\tLAST HEARD")
	for _, s := range info.Servers {
		role := "follower"
		if s.Leader {
			role = "leader"
		}
		if s.Name == info.Name {
			role += " (this server)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s ago\n", s.Name, s.URL, role, seconds(s.LastHeardSecondsAgo))
	}
	_ = tw.Flush()
}

// seconds writes a number of seconds as a short duration ("400ms", "3s").
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return strconv.Itoa(int(d.Milliseconds())) + "ms"
}
