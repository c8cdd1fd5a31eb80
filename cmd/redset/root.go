package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/redset/redset/api"
)

// exitError carries a process exit code through cobra. A silent one has
// already told the user what went wrong.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// isSilent reports whether err was already reported to the user.
func isSilent(err error) bool {
	var e *exitError
	return errors.As(err, &e) && e.silent
}

// exitOutcomeUnknown is the exit status of a command whose change the
// server sent to its store without learning whether it was stored (a
// cluster's etcd lost its quorum meanwhile): it may have happened. Read the
// state back before trying again.
const exitOutcomeUnknown = 3

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	var p *api.Problem
	if errors.As(err, &p) && p.Type == api.ProblemOutcomeUnknown {
		return exitOutcomeUnknown
	}
	return 1
}

// clientFlags are the settings every client subcommand shares.
type clientFlags struct {
	server   string
	user     string
	password string
	output   string
	cacert   string // PEM file of the CA that signed the server's certificate
	insecure bool   // skip verifying the server's certificate
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newRootCmd() *cobra.Command {
	cf := &clientFlags{}
	root := &cobra.Command{
		Use:   "redset",
		Short: "Redundancy sets with real failover, served as CIM (Msvm_RedundancySet)",
		Long: `redset keeps redundancy sets of members: it watches their health, computes each
set's RedundancyStatus and fails over between members, on request (the CIM method
Failover) or by itself when an active member dies. It serves this over CIM-XML,
WS-Management, a JSON API, a dashboard and Prometheus metrics.

Start a server with sample sets:   redset serve --demo
Client commands read REDSET_SERVER, REDSET_USER and REDSET_PASSWORD (or the flags).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&cf.server, "server", envOr("REDSET_SERVER", "http://127.0.0.1:5988"), "server URL (env REDSET_SERVER)")
	pf.StringVar(&cf.user, "user", envOr("REDSET_USER", "admin"), "user name (env REDSET_USER)")
	// The password's default is read when it is used, never shown: --help
	// prints flag defaults.
	pf.StringVar(&cf.password, "password", "", "password (env REDSET_PASSWORD; the flag is visible to other local users)")
	pf.StringVarP(&cf.output, "output", "o", "table", "output format: table or json")
	pf.StringVar(&cf.cacert, "cacert", os.Getenv("REDSET_CACERT"), "PEM file of the CA that signed an https server's certificate (env REDSET_CACERT)")
	pf.BoolVar(&cf.insecure, "insecure", false, "do not verify an https server's certificate (testing only)")
	root.AddCommand(newVersionCmd(cf), newMOFCmd(), newServeCmd(), newHashPasswordCmd(), newManCmd())
	root.AddCommand(newSetsCmd(cf), newSetCmd(cf), newMembersCmd(cf), newMemberCmd(cf), newFailoverCmd(cf),
		newEnableCmd(cf), newDrainCmd(cf), newFlapGuardCmd(cf), newStatusCmd(cf), newUserCmd(cf), newSubscriptionsCmd(cf),
		newHistoryCmd(cf), newWatchCmd(cf), newDemoCmd(cf), newConfigCmd(cf), newPauseCmd(cf), newResumeCmd(cf), newClusterCmd(cf),
		newListenCmd(cf))
	return root
}
