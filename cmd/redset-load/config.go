package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is what one run is told by its flags.
type config struct {
	server      string
	user        string
	password    string
	clients     int
	subscribers int
	duration    time.Duration
	sets        int
	rate        float64 // requests per second over all clients; 0: as fast as answered
	timeout     time.Duration
	mix         [numOps]int // weight of each client operation
	heartbeat   time.Duration

	maxErrors       int
	maxP99Failover  time.Duration // 0: not checked
	maxGrowth       float64       // percent; 0: not checked
	warmup          time.Duration
	sampleInterval  time.Duration
	setupParallel   int
	historyLimit    int
	pullMaxElements int
	probeRate       float64   // failovers per second of the probe process; 0: no probe
	until           time.Time // when set, the load ends then instead of after duration
}

var errHelp = errors.New("help requested")

// defaultMix is the weight of each operation a client repeats.
const defaultMix = "cim.enumerate=1,cim.get=2,cim.failover=2,wsman.enumerate=1,wsman.get=2,wsman.failover=2,api.sets=1,api.set=2,api.history=1"

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var mix string
	fs := flag.NewFlagSet("redset-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.server, "server", envOr("REDSET_SERVER", "http://127.0.0.1:5988"), "the server's URL (or REDSET_SERVER)")
	fs.StringVar(&cfg.user, "user", envOr("REDSET_USER", "admin"), "user name (or REDSET_USER)")
	fs.StringVar(&cfg.password, "password", os.Getenv("REDSET_PASSWORD"), "password (or REDSET_PASSWORD)")
	fs.IntVar(&cfg.clients, "clients", 200, "concurrent clients, event-stream subscribers included")
	fs.IntVar(&cfg.subscribers, "subscribers", -1, "how many of the clients follow the event stream (default: a tenth, at least 1)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the load runs")
	fs.IntVar(&cfg.sets, "sets", 20, "sets of its own to create (two heartbeat members each), fail over and delete at the end; 0: read only")
	fs.Float64Var(&cfg.rate, "rate", 0, "requests per second over all clients (0: each client sends its next request as soon as it has the answer)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of one request")
	fs.StringVar(&mix, "mix", defaultMix, "weight of each operation, op=weight separated by commas (0 leaves one out)")
	fs.DurationVar(&cfg.heartbeat, "heartbeat-ttl", time.Minute, "time to live of the heartbeats that keep the tool's members healthy")
	fs.IntVar(&cfg.maxErrors, "max-errors", 0, "errors allowed before the run fails")
	fs.DurationVar(&cfg.maxP99Failover, "max-p99-failover", 0, "fail when the p99 of a Failover (CIM-XML or WS-Man) is above this: the probe's with -probe-rate, else the clients' own (0: not checked)")
	fs.Float64Var(&cfg.maxGrowth, "max-growth", 0, "fail when the server's RSS or goroutines grew more than this many percent under load (0: not checked)")
	fs.DurationVar(&cfg.warmup, "warmup", 0, "time under load before the first server sample the growth is measured from (default: a tenth of -duration)")
	fs.DurationVar(&cfg.sampleInterval, "sample", 0, "interval of server samples during the run (default: a thirtieth of -duration, at least 1s)")
	fs.IntVar(&cfg.historyLimit, "history-limit", 50, "limit of the history read (api.history)")
	fs.IntVar(&cfg.pullMaxElements, "pull-max", 20, "MaxElements of each WS-Man Pull")
	fs.Float64Var(&cfg.probeRate, "probe-rate", 0, "failovers per second of a probe: a second process of this tool with one client and a set of its own, whose Failover latency the report shows apart (0: no probe)")
	fs.Func("until", "end the load at this time (RFC 3339) instead of after -duration", func(v string) error {
		t, err := time.Parse(time.RFC3339Nano, v)
		cfg.until = t
		return err
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, errHelp
		}
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if cfg.mix, err = parseMix(mix); err != nil {
		return cfg, err
	}
	cfg.setupParallel = 8
	return cfg, cfg.complete()
}

// complete checks the values and fills the defaults that depend on others.
func (c *config) complete() error {
	u, err := url.Parse(c.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-server %q: want a URL such as http://127.0.0.1:5988", c.server)
	}
	c.server = strings.TrimRight(c.server, "/")
	switch {
	case c.password == "":
		return errors.New("no password: give -password or set REDSET_PASSWORD")
	case c.clients < 1:
		return fmt.Errorf("-clients %d: want at least 1", c.clients)
	case c.duration <= 0:
		return fmt.Errorf("-duration %v: want a positive duration", c.duration)
	case c.sets < 0 || c.rate < 0 || c.maxErrors < 0 || c.maxGrowth < 0 || c.probeRate < 0:
		return errors.New("-sets, -rate, -max-errors, -max-growth and -probe-rate cannot be negative")
	case c.heartbeat < 4*time.Second:
		return fmt.Errorf("-heartbeat-ttl %v: want at least 4s", c.heartbeat)
	case c.pullMaxElements < 1 || c.historyLimit < 1:
		return errors.New("-pull-max and -history-limit must be at least 1")
	}
	if c.subscribers < 0 {
		c.subscribers = max(1, c.clients/10)
	}
	if c.subscribers >= c.clients && c.clients > 1 {
		return fmt.Errorf("-subscribers %d: leave at least one of the %d clients for requests", c.subscribers, c.clients)
	}
	if c.warmup <= 0 {
		c.warmup = c.duration / 10
	}
	if c.sampleInterval <= 0 {
		c.sampleInterval = max(time.Second, c.duration/30)
	}
	return nil
}

// parseMix reads "op=weight,op=weight"; operations left out weigh 0.
func parseMix(s string) ([numOps]int, error) {
	var mix [numOps]int
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		o, known := opByName(strings.TrimSpace(name))
		n, err := strconv.Atoi(strings.TrimSpace(w))
		switch {
		case !ok || err != nil || n < 0:
			return mix, fmt.Errorf("-mix %q: want op=weight with a weight of 0 or more", part)
		case !known || !o.clientOp():
			return mix, fmt.Errorf("-mix: unknown operation %q (known: %s)", name, strings.Join(clientOpNames(), ", "))
		}
		mix[o] = n
		total += n
	}
	if total == 0 {
		return mix, errors.New("-mix: every weight is 0")
	}
	return mix, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
