package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

// frontendFlags are a set's frontend as flags, shared by set create and
// set edit.
type frontendFlags struct {
	listen, drain, proxyProtocol string
	maxConnections, passive      int
	dialTimeout                  time.Duration
	remove                       bool
}

func (f *frontendFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "frontend-listen", "", "the frontend's listen address, host:port (a set's one stable traffic address)")
	fl.StringVar(&f.drain, "frontend-drain", "", `how long connections to a member that left service stay open, e.g. 30s; 0s closes them at once, "open" leaves them open (the default)`)
	fl.StringVar(&f.proxyProtocol, "frontend-proxy-protocol", "", "v2 sends the PROXY protocol v2 header to the member first; off (the default) sends nothing")
	fl.IntVar(&f.maxConnections, "frontend-max-connections", 0, "client connections open at once (0: the default, 10000)")
	fl.DurationVar(&f.dialTimeout, "frontend-dial-timeout", 0, "how long one dial of a member may take (0: the default, 2s)")
	fl.IntVar(&f.passive, "frontend-passive-failures", 0, "failed dials of a member in a row that report it Failed (0: off)")
	fl.BoolVar(&f.remove, "no-frontend", false, "remove the set's frontend")
}

// patch adds the frontend flags the user gave to a set's merge patch:
// the fields given merge into the set's frontend, --no-frontend removes it.
func (f *frontendFlags) patch(cmd *cobra.Command, out map[string]any) error {
	fl := cmd.Flags()
	fe := map[string]any{}
	setIf(fl.Changed("frontend-listen"), fe, "listen", f.listen)
	setIf(fl.Changed("frontend-proxy-protocol"), fe, "proxyProtocol", f.proxyProtocol)
	setIf(fl.Changed("frontend-max-connections"), fe, "maxConnections", f.maxConnections)
	setIf(fl.Changed("frontend-dial-timeout"), fe, "dialTimeout", f.dialTimeout.String())
	setIf(fl.Changed("frontend-passive-failures"), fe, "passiveFailures", f.passive)
	if fl.Changed("frontend-drain") {
		drain, err := drainValue(f.drain)
		if err != nil {
			return err
		}
		fe["drain"] = drain
	}
	switch {
	case f.remove && len(fe) > 0:
		return errors.New("--no-frontend removes the frontend; give no --frontend-* flag with it")
	case f.remove:
		out["frontend"] = nil
	case len(fe) > 0:
		out["frontend"] = fe
	}
	return nil
}

// drainValue reads --frontend-drain: a duration, or "open" (null in the
// patch: no drain, connections stay open).
func drainValue(s string) (any, error) {
	if strings.EqualFold(s, "open") {
		return nil, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return nil, fmt.Errorf(`--frontend-drain %q: use a duration such as 30s, 0s, or "open"`, s)
	}
	return d.String(), nil
}

// frontendWords describes a set's frontend as configured.
func frontendWords(f *api.Frontend) string {
	if f == nil {
		return "none"
	}
	parts := []string{"tcp"}
	if f.Drain == nil {
		parts = append(parts, "connections to a member that left service stay open")
	} else {
		parts = append(parts, "drain "+shortDuration(f.Drain.D()))
	}
	if f.ProxyProtocol == "v2" {
		parts = append(parts, "PROXY v2")
	}
	parts = append(parts, fmt.Sprintf("at most %d connections", f.Limit()), "dial timeout "+shortDuration(f.Timeout()))
	if f.PassiveFailures > 0 {
		parts = append(parts, fmt.Sprintf("Failed after %d failed dials in a row", f.PassiveFailures))
	}
	return f.Listen + " (" + strings.Join(parts, ", ") + ")"
}

// printFrontendStatus writes where the frontend listens (or why it does
// not) and its connections.
func printFrontendStatus(tw *tabwriter.Writer, st *api.FrontendStatus) {
	if st == nil {
		return
	}
	listening := "on " + st.Address
	if st.Address == "" {
		listening = "NOT LISTENING: " + dash(st.Error)
	}
	fmt.Fprintf(tw, "FrontendListening:\t%s\n", listening)
	fmt.Fprintf(tw, "FrontendConnections:\t%d open, %d refused\n", st.Open, st.Refused)
}

// memberTraffic finds a member's share of the frontend's connections.
func memberTraffic(st *api.FrontendStatus, name string) (api.MemberTraffic, bool) {
	if st == nil {
		return api.MemberTraffic{}, false
	}
	for _, m := range st.Members {
		if m.Name == name {
			return m, true
		}
	}
	return api.MemberTraffic{}, false
}

// trafficColumns are a member's OPEN, TOTAL and DIAL ERRORS columns.
func trafficColumns(st *api.FrontendStatus, name string) string {
	m, ok := memberTraffic(st, name)
	if !ok {
		return "\t-\t-\t-"
	}
	open := fmt.Sprint(m.Open)
	if m.Draining > 0 {
		open += fmt.Sprintf(" (%d draining)", m.Draining)
	}
	return fmt.Sprintf("\t%s\t%d\t%d", open, m.Total, m.DialErrors)
}
