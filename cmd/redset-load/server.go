package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sample is the server's resident memory, Go heap and goroutines at one
// moment, as its /metrics page says (process_resident_memory_bytes,
// go_memstats_heap_inuse_bytes and go_goroutines, from the Prometheus
// process and Go collectors).
type sample struct {
	at         time.Time
	rss        float64 // bytes
	heap       float64 // bytes; 0 when the page lacks it
	goroutines float64
	err        error
}

// readSample reads one sample from /metrics, sending the credentials
// (the page may require a reader).
func (c *conn) readSample(ctx context.Context) sample {
	s := sample{at: time.Now()}
	var buf bytes.Buffer
	a, err := c.do(ctx, "GET", "/metrics", "", &buf)
	switch {
	case err != nil:
		s.err = err
		return s
	case a.status != 200:
		s.err = httpError(a)
		return s
	}
	rss, okR := metricValue(a.body, "process_resident_memory_bytes")
	gr, okG := metricValue(a.body, "go_goroutines")
	if !okR || !okG {
		s.err = fmt.Errorf("/metrics lacks process_resident_memory_bytes or go_goroutines")
		return s
	}
	s.rss, s.goroutines = rss, gr
	s.heap, _ = metricValue(a.body, "go_memstats_heap_inuse_bytes")
	return s
}

// metricValue finds the value of an unlabelled metric in the Prometheus
// text format.
func metricValue(page []byte, name string) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(page))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		return v, err == nil
	}
	return 0, false
}

// subscribe follows the event stream until ctx ends, counting the events
// it reads. A stream that ends or breaks while the run goes on is an
// error; the subscriber then reconnects, resuming after the last event it
// saw.
func (r *runner) subscribe(ctx context.Context, t *tally) {
	var last uint64
	for ctx.Err() == nil {
		err := r.follow(ctx, t, &last)
		if ctx.Err() != nil {
			return
		}
		t[apiEvents].errors++
		r.errs.add(apiEvents, err)
		select { // a short pause, so a server that refuses streams is not hammered
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// follow reads one event stream. Opening it is counted as an api.events
// operation; the events go to the runner's count.
func (r *runner) follow(ctx context.Context, t *tally, last *uint64) error {
	req, err := http.NewRequestWithContext(ctx, "GET", r.conn.base+"/api/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", r.conn.auth)
	req.Header.Set("Accept", "text/event-stream")
	if *last > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(*last, 10))
	}
	start := time.Now()
	resp, err := r.conn.stream.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	t[apiEvents].lat.add(time.Since(start))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return httpError(answer{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()})
	}
	t[apiEvents].ok++
	return r.readEvents(bufio.NewReader(resp.Body), last)
}

// readEvents reads Server-Sent Events until the stream ends. The server
// publishes the records of one set in the order of its changes, so their
// ids must increase per set (records of different sets may arrive out of
// order); last is the highest id seen, to resume from. A "lagged" event
// means the server dropped this subscriber.
func (r *runner) readEvents(rd *bufio.Reader, last *uint64) error {
	kind, id := "", uint64(0)
	perSet := map[string]uint64{}
	for {
		line, err := rd.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("the event stream ended: %w", err)
		}
		text := strings.TrimRight(string(line), "\r\n")
		switch {
		case strings.HasPrefix(text, "event: "):
			kind = text[len("event: "):]
			if kind == "lagged" {
				return fmt.Errorf("the server dropped the event stream: it fell behind")
			}
		case strings.HasPrefix(text, "id: "):
			if id, err = strconv.ParseUint(text[len("id: "):], 10, 64); err != nil {
				return fmt.Errorf("event %s has the id %q", kind, text[len("id: "):])
			}
		case strings.HasPrefix(text, "data: "):
			set, _ := between(line, `"setId":"`, `"`)
			if prev := perSet[set]; set != "" && id <= prev {
				return fmt.Errorf("event %s of set %s has id %d after id %d", kind, set, id, prev)
			}
			perSet[set] = id
			*last = max(*last, id)
			r.events.Add(1)
		}
	}
}
