// Command redset-load drives a running redset server with a mix of CIM-XML,
// WS-Management and JSON API requests and event-stream subscribers from many
// concurrent clients, then reports throughput, latency percentiles and
// errors per operation and the server's memory and goroutines.
//
// Usage:
//
//	redset-load -server http://127.0.0.1:5988 -user admin -password secret -clients 200 -duration 10s
//
// The password may come from REDSET_PASSWORD (and the user from
// REDSET_USER, the server from REDSET_SERVER) instead. Before the run the
// tool creates -sets Sparing sets of its own through the JSON API, each
// with two heartbeat members it keeps healthy, and fails only those over
// back and forth; it deletes them at the end (also after an interrupt).
// Their names start with "load-" and a tag of the run, so a run that was
// killed leaves sets that are easy to find. With -sets 0 it only reads.
//
// Each client repeats its share of the operation mix (-mix) as fast as the
// server answers, or paced by -rate. A Failover refused with 3 (Busy) or 4
// (Parameter Error) is counted as refused, not as an error; errors are
// transport errors, HTTP errors, CIM errors, SOAP faults and malformed
// answers. With -probe-rate a second process of the tool (the probe) fails
// a set of its own over at that rate from one client while the load runs,
// and the report shows its Failover latency apart: the latency an operator
// would see, without the wait for the load process's own turn on a
// processor. The exit status is 1 when any error occurred or a limit
// (-max-p99-failover, -max-growth) was passed, 2 when the run could not
// start.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "redset-load:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "redset-load:", err)
		return 2
	}
	if os.Getenv(probeChildEnv) == "1" {
		if err := rep.writeProbe(stdout); err != nil {
			fmt.Fprintln(stderr, "redset-load:", err)
			return 2
		}
		return 0
	}
	rep.write(stdout)
	if fails := rep.failures(cfg); len(fails) > 0 {
		for _, f := range fails {
			fmt.Fprintln(stdout, "FAIL:", f)
		}
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}
