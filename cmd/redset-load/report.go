package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"
)

// report is what a run measured.
type report struct {
	cfg      config
	sets     int // sets the reads named
	ownSets  int // sets the tool created and failed over
	elapsed  time.Duration
	ops      [numOps]opStats
	errTexts [numOps][]string
	events   uint64 // events read from the streams

	before  sample   // before the tool created its sets
	start   sample   // just before the load
	samples []sample // under load: after the warm-up, then periodically
	end     sample   // after the load, its connections closed
	after   sample   // after the tool's sets were deleted
	cleanup []string // what could not be deleted at the end

	probe    *probeResult // the probe process's figures, with -probe-rate
	probeErr error        // why the probe gave none
}

// requests counts every request answered, of every operation.
func (r *report) requests() (n, errs uint64) {
	for _, s := range r.ops {
		n += s.lat.n
		errs += s.errors
	}
	return n, errs
}

func (r *report) write(w io.Writer) {
	n, errs := r.requests()
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "\n%d clients (%d following events) for %.1fs, %d sets read, %d failed over\n",
		r.cfg.clients, r.cfg.subscribers, secs, r.sets, r.ownSets)
	fmt.Fprintf(w, "%d requests, %.0f/s, %d errors; %d events read\n\n", n, float64(n)/secs, errs, r.events)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\t/s\tp50\tp99\tmax\trefused\terrors\t")
	for o, s := range r.ops {
		if s.lat.n == 0 && s.errors == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t%d\t\n", op(o), s.lat.n, float64(s.lat.n)/secs,
			ms(s.lat.quantile(0.5)), ms(s.lat.quantile(0.99)), ms(s.lat.max), s.refused, s.errors)
	}
	tw.Flush()
	r.writeProbeFigures(w)
	r.writeErrors(w)
	r.writeServer(w)
	for _, c := range r.cleanup {
		fmt.Fprintln(w, "cleanup:", c)
	}
}

func (r *report) writeErrors(w io.Writer) {
	for o, texts := range r.errTexts {
		if len(texts) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: %d errors, the first:\n", op(o), r.ops[o].errors)
		for _, t := range texts {
			fmt.Fprintln(w, "  ", t)
		}
	}
}

// writeProbeFigures writes the probe's failovers, when a probe ran.
func (r *report) writeProbeFigures(w io.Writer) {
	switch {
	case r.probeErr != nil:
		fmt.Fprintf(w, "\nprobe: no figures: %v\n", r.probeErr)
		return
	case r.probe == nil:
		return
	}
	fmt.Fprintf(w, "\nprobe (a second process: one client failing a set of its own over, %g a second, during the load)\n", r.cfg.probeRate)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\tp50\tp99\tmax\trefused\terrors\t")
	for _, name := range slices.Sorted(maps.Keys(r.probe.Ops)) {
		s := r.probe.Ops[name]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\t\n", "probe."+name, s.Count, ms(s.P50), ms(s.P99), ms(s.Max), s.Refused, s.Errors)
	}
	tw.Flush()
	for _, e := range r.probe.Errors {
		fmt.Fprintln(w, "  probe error:", e)
	}
}

// shownSamples is about how many samples under load the report shows;
// growth is computed from all of them.
const shownSamples = 12

func (r *report) writeServer(w io.Writer) {
	fmt.Fprintln(w, "\nserver (from /metrics)          RSS   heap in use   goroutines")
	row := func(name string, s sample) {
		if s.at.IsZero() {
			return
		}
		if s.err != nil {
			fmt.Fprintf(w, "  %-24s unavailable: %v\n", name, s.err)
			return
		}
		fmt.Fprintf(w, "  %-24s %8.1f MiB %9.1f MiB %12.0f\n", name, s.rss/(1<<20), s.heap/(1<<20), s.goroutines)
	}
	row("before the setup", r.before)
	row("start (idle)", r.start)
	every := max(1, len(r.samples)/shownSamples)
	for i, s := range r.samples {
		if i%every == 0 || i == len(r.samples)-1 {
			row(fmt.Sprintf("under load, %5.1fs", s.at.Sub(r.start.at).Seconds()), s)
		}
	}
	row("end (idle)", r.end)
	row("after the cleanup", r.after)
	if rss, g, ok := r.growth(); ok {
		fmt.Fprintf(w, "  growth under load (after a warm-up of %.0fs, -warmup), median of the last third of the %d samples against the first third's: RSS %+.1f %%, goroutines %+.1f %%\n",
			r.cfg.warmup.Seconds(), len(r.samples), rss, g)
	}
}

// growth is how much the server's RSS and goroutines grew under load, in
// percent: from the median of the first third of the samples to the median
// of the last third. A single sample catches whatever requests happened to
// be in flight at that moment (each holds a goroutine or two and some
// memory); the medians of many follow the trend, which is what a leak
// shows. With two samples the thirds are the first and the last.
func (r *report) growth() (rss, goroutines float64, ok bool) {
	var good []sample
	for _, s := range r.samples {
		if s.err == nil {
			good = append(good, s)
		}
	}
	if len(good) < 2 {
		return 0, 0, false
	}
	third := max(1, len(good)/3)
	head, tail := good[:third], good[len(good)-third:]
	rss0, rss1 := median(head, sampleRSS), median(tail, sampleRSS)
	g0, g1 := median(head, sampleGoroutines), median(tail, sampleGoroutines)
	if rss0 == 0 || g0 == 0 {
		return 0, 0, false
	}
	return 100 * (rss1 - rss0) / rss0, 100 * (g1 - g0) / g0, true
}

func sampleRSS(s sample) float64        { return s.rss }
func sampleGoroutines(s sample) float64 { return s.goroutines }

// median is the median of one figure of the samples.
func median(samples []sample, figure func(sample) float64) float64 {
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = figure(s)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// failures lists why the run fails its limits; none means it passed.
func (r *report) failures(cfg config) []string {
	var out []string
	_, errs := r.requests()
	if r.probe != nil {
		errs += r.probe.probeErrors()
	}
	if errs > uint64(cfg.maxErrors) {
		out = append(out, fmt.Sprintf("%d errors (at most %d allowed)", errs, cfg.maxErrors))
	}
	out = append(out, r.slowFailovers(cfg)...)
	if cfg.maxGrowth > 0 {
		rss, g, ok := r.growth()
		switch {
		case !ok:
			out = append(out, "-max-growth: fewer than two samples of the server under load")
		case rss > cfg.maxGrowth || g > cfg.maxGrowth:
			out = append(out, fmt.Sprintf("the server grew under load: RSS %+.1f %%, goroutines %+.1f %% (at most %.0f %%)", rss, g, cfg.maxGrowth))
		}
	}
	if len(r.cleanup) > 0 {
		out = append(out, fmt.Sprintf("%d of the tool's sets or members could not be deleted", len(r.cleanup)))
	}
	return out
}

// slowFailovers lists the Failover p99s above -max-p99-failover: the
// probe's when one was asked for, else the clients' own.
func (r *report) slowFailovers(cfg config) []string {
	limit := cfg.maxP99Failover
	var out []string
	switch {
	case limit <= 0:
	case cfg.probeRate > 0 && r.probe == nil:
		out = append(out, fmt.Sprintf("-max-p99-failover: the probe gave no figures (%v)", r.probeErr))
	case cfg.probeRate > 0:
		if p := r.probe.probeP99(); p > limit {
			out = append(out, fmt.Sprintf("the probe's Failover p99 %s is above -max-p99-failover %s", ms(p), ms(limit)))
		}
	default:
		for o, s := range r.ops {
			if op(o).failover() && s.lat.quantile(0.99) > limit {
				out = append(out, fmt.Sprintf("%s p99 %s is above -max-p99-failover %s", op(o), ms(s.lat.quantile(0.99)), ms(limit)))
			}
		}
	}
	return out
}

// ms writes a latency in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}
