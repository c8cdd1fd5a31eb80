package engine

import (
	"context"
	"sync"
)

// pool runs automatic actions on a fixed number of goroutines. The queue is
// unbounded so that reporting health never blocks; each set has at most one
// queued automatic job (see autoState), which bounds it by the number of
// sets. pending counts queued and running jobs plus holds (armed retry
// timers), so wait can tell when all automatic work is done.
type pool struct {
	mu      sync.Mutex
	cond    *sync.Cond
	jobs    []func()
	pending int
	holds   int
	idle    chan struct{} // closed when pending drops to 0
	closed  bool
	wg      sync.WaitGroup
}

func newPool(workers int) *pool {
	p := &pool{}
	p.cond = sync.NewCond(&p.mu)
	for range workers {
		p.wg.Go(p.work)
	}
	return p
}

// submit queues f; it reports false when the pool is closed.
func (p *pool) submit(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.jobs = append(p.jobs, f)
	p.pending++
	p.cond.Signal()
	return true
}

// hold counts outside work (a retry timer) as pending until release.
func (p *pool) hold() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.pending++
	p.holds++
	return true
}

// unhold ends a hold.
func (p *pool) unhold() {
	p.mu.Lock()
	p.holds--
	p.mu.Unlock()
	p.release()
}

// pendingJobs is the number of queued and running jobs.
func (p *pool) pendingJobs() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pending - p.holds
}

func (p *pool) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending--
	if p.pending == 0 && p.idle != nil {
		close(p.idle)
		p.idle = nil
	}
}

func (p *pool) work() {
	for {
		p.mu.Lock()
		for len(p.jobs) == 0 && !p.closed {
			p.cond.Wait()
		}
		if p.closed {
			p.mu.Unlock()
			return
		}
		f := p.jobs[0]
		p.jobs[0] = nil
		p.jobs = p.jobs[1:]
		p.mu.Unlock()
		f()
		p.release()
	}
}

// wait returns when no job is queued or running and no hold is out.
func (p *pool) wait(ctx context.Context) error {
	p.mu.Lock()
	if p.pending == 0 {
		p.mu.Unlock()
		return nil
	}
	if p.idle == nil {
		p.idle = make(chan struct{})
	}
	ch := p.idle
	p.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close drops queued jobs and waits for running ones.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.pending -= len(p.jobs)
	p.jobs = nil
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}
