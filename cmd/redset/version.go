package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// buildInfo is what `redset version` reports.
type buildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`  // the VCS commit built
	Time      string `json:"time,omitempty"`      // the commit's time (RFC 3339)
	BuildTime string `json:"buildTime,omitempty"` // when the binary was built (RFC 3339), if stamped
	Modified  bool   `json:"modified"`            // the work tree had uncommitted changes
	GoVersion string `json:"goVersion"`
}

// readBuildInfo reads the version control stamp the go command writes into
// binaries built from a repository (go build, not go run or go test).
func readBuildInfo() buildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	return buildInfoOf(bi)
}

// buildInfoOf picks the VCS settings out of bi.
func buildInfoOf(bi *debug.BuildInfo) buildInfo {
	out := buildInfo{Version: version, BuildTime: buildTime, GoVersion: runtime.Version()}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.Revision = s.Value
		case "vcs.time":
			out.Time = s.Value
		case "vcs.modified":
			out.Modified = s.Value == "true"
		}
	}
	return out
}

func newVersionCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print redset's version, the commit it was built from and its time",
		Long: `version prints redset's version and, for a binary built with "go build" in a
checkout, the commit it was built from, that commit's time and whether the work
tree had uncommitted changes; release builds also carry their build time.`,
		Example: "  redset version\n  redset version -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cf.output != "table" && cf.output != "json" {
				return fmt.Errorf("--output %q: use table or json", cf.output)
			}
			bi := readBuildInfo()
			return cf.render(cmd.OutOrStdout(), bi, func(tw *tabwriter.Writer) {
				fmt.Fprintln(tw, "redset", bi.Version)
				if bi.Revision != "" {
					modified := ""
					if bi.Modified {
						modified = " (with uncommitted changes)"
					}
					fmt.Fprintf(tw, "commit\t%s%s\n", bi.Revision, modified)
					fmt.Fprintf(tw, "commit time\t%s\n", dash(bi.Time))
				}
				if bi.BuildTime != "" {
					fmt.Fprintf(tw, "built\t%s\n", bi.BuildTime)
				}
				fmt.Fprintf(tw, "go\t%s\n", bi.GoVersion)
			})
		},
	}
}
