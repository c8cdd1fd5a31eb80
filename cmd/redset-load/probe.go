package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// The probe: a Failover latency taken from a second process of this tool
// while the load runs, with -probe-rate failovers per second of a set of
// its own. The load's clients share one process, and under a load that
// keeps the machine busy a client's answer waits for that process's turn
// on a processor as well as for the server; a process with a single,
// mostly idle client measures what an operator calling Failover during the
// load would see. The report shows both.

// probeChildEnv marks the process as the probe: it writes its figures as
// JSON (probeResult) to its standard output instead of the report.
const probeChildEnv = "REDSET_LOAD_PROBE"

// probeStats are one operation's figures of the probe.
type probeStats struct {
	Count   uint64        `json:"count"`
	P50     time.Duration `json:"p50"`
	P99     time.Duration `json:"p99"`
	Max     time.Duration `json:"max"`
	Refused uint64        `json:"refused"`
	Errors  uint64        `json:"errors"`
}

// probeResult is what the probe process reports: its failovers' figures
// and the text of its first errors.
type probeResult struct {
	Ops    map[string]probeStats `json:"ops"`
	Errors []string              `json:"errors,omitempty"`
}

// probeArgs are the probe's flags: one client, no event stream, one set
// of its own failed over at rate per second over both protocols, until
// the load ends.
func probeArgs(cfg config, until time.Time) []string {
	return []string{
		"-server", cfg.server, "-user", cfg.user,
		"-clients", "1", "-subscribers", "0", "-sets", "1",
		"-mix", "cim.failover=1,wsman.failover=1",
		"-rate", strconv.FormatFloat(cfg.probeRate, 'f', -1, 64),
		"-timeout", cfg.timeout.String(), "-heartbeat-ttl", cfg.heartbeat.String(),
		"-until", until.Format(time.RFC3339Nano),
	}
}

// runProbe runs the probe process until it ends (at until, or when ctx
// ends) and returns its figures.
func runProbe(ctx context.Context, cfg config, until time.Time) (*probeResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, probeArgs(cfg, until)...)
	cmd.Env = append(os.Environ(), probeChildEnv+"=1", "REDSET_PASSWORD="+cfg.password)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil && out.Len() == 0 {
		return nil, fmt.Errorf("the probe process: %v: %s", err, lastLine(errOut.Bytes()))
	}
	var res probeResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("the probe process's figures: %v: %s", err, lastLine(errOut.Bytes()))
	}
	return &res, nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// writeProbe writes the probe's figures as JSON, as the probe process
// reports them.
func (r *report) writeProbe(w io.Writer) error {
	res := probeResult{Ops: map[string]probeStats{}}
	for o, s := range r.ops {
		if !op(o).failover() {
			continue
		}
		res.Ops[op(o).String()] = probeStats{Count: s.lat.n, P50: s.lat.quantile(0.5), P99: s.lat.quantile(0.99),
			Max: s.lat.max, Refused: s.refused, Errors: s.errors}
		res.Errors = append(res.Errors, r.errTexts[o]...)
	}
	return json.NewEncoder(w).Encode(res)
}

// probeP99 is the highest p99 of the probe's failovers.
func (p *probeResult) probeP99() time.Duration {
	var worst time.Duration
	for _, s := range p.Ops {
		worst = max(worst, s.P99)
	}
	return worst
}

// probeErrors counts the probe's errors.
func (p *probeResult) probeErrors() uint64 {
	var n uint64
	for _, s := range p.Ops {
		n += s.Errors
	}
	return n
}
