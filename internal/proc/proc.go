// Package proc holds what redset's two command runners share — health's
// exec probes and hook's exec hooks: starting a command in a process group
// of its own that cancellation kills whole, and a capped output buffer.
// Standard library only.
package proc

import "sync"

// CappedBuffer keeps the first Limit bytes written to it and accepts (and
// drops) the rest, so a chatty command never blocks on its pipe. It is safe
// for concurrent writes (stdout and stderr may share it).
type CappedBuffer struct {
	Limit int

	mu  sync.Mutex
	buf []byte
}

// Write keeps what fits under the limit and reports everything written.
func (b *CappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.Limit - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// String returns the kept bytes as they are.
func (b *CappedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
