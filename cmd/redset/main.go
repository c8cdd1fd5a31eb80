// Command redset is the redset server and its command-line client.
//
// `redset serve` runs the daemon; the other subcommands talk to a running
// server (its JSON API) or work offline (`redset mof`). Run `redset --help`
// for the list.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// buildTime is when the binary was built (RFC 3339), stamped by
// scripts/release.sh with -ldflags "-X main.buildTime=..."; empty otherwise.
var buildTime = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd().ExecuteContext(ctx); err != nil {
		if !isSilent(err) {
			fmt.Fprintln(os.Stderr, "redset:", err)
		}
		os.Exit(exitCode(err))
	}
}
