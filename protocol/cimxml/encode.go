package cimxml

import (
	"io"
	"sync"

	"github.com/redset/redset/internal/xmltext"
)

// Flush sizes of the writer.
const (
	defaultBufferBytes = 256 << 10 // answers up to this size are sent whole
	streamChunk        = 256 << 10 // flush size once an answer streams: few writes, bounded memory
)

// xmlWriter appends XML tokens to a buffer and flushes the buffer to out
// when it grows past flushAt (only between objects, see maybeFlush). Tags
// are always written in open/close form, never self-closing. The first
// write error sticks and makes every later call a no-op.
type xmlWriter struct {
	buf     []byte
	out     io.Writer
	flushAt int
	flushed bool // some output has reached out: the answer is committed
	err     error
}

// bufPool recycles answer buffers; buffers that grew past maxPooled are
// left to the garbage collector.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

const maxPooled = 4 << 20

func newXMLWriter(out io.Writer, flushAt int) *xmlWriter {
	if flushAt <= 0 {
		flushAt = defaultBufferBytes
	}
	return &xmlWriter{buf: (*bufPool.Get().(*[]byte))[:0], out: out, flushAt: flushAt}
}

// release returns the buffer to the pool; the writer must not be used
// afterwards.
func (w *xmlWriter) release() {
	if cap(w.buf) <= maxPooled {
		b := w.buf[:0]
		bufPool.Put(&b)
	}
	w.buf = nil
}

// start writes "<name" and its attributes; the caller ends the tag with
// gt.
func (w *xmlWriter) start(name string) {
	w.buf = append(w.buf, '<')
	w.buf = append(w.buf, name...)
}

// attr writes ` name="value"` with value escaped.
func (w *xmlWriter) attr(name, value string) {
	w.buf = append(w.buf, ' ')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, '=', '"')
	w.buf = appendEscaped(w.buf, value, true)
	w.buf = append(w.buf, '"')
}

// gt ends a start tag.
func (w *xmlWriter) gt() { w.buf = append(w.buf, '>') }

// open writes a start tag without attributes.
func (w *xmlWriter) open(name string) {
	w.start(name)
	w.gt()
}

// close writes an end tag.
func (w *xmlWriter) close(name string) {
	w.buf = append(w.buf, '<', '/')
	w.buf = append(w.buf, name...)
	w.buf = append(w.buf, '>')
}

// text writes escaped character data.
func (w *xmlWriter) text(s string) { w.buf = appendEscaped(w.buf, s, false) }

// raw writes s unescaped; s must be markup the caller controls.
func (w *xmlWriter) raw(s string) { w.buf = append(w.buf, s...) }

// element writes <name>text</name>.
func (w *xmlWriter) element(name, text string) {
	w.open(name)
	w.text(text)
	w.close(name)
}

// maybeFlush flushes once the buffer reached flushAt. After the first
// flush the answer streams in smaller chunks.
func (w *xmlWriter) maybeFlush() {
	if len(w.buf) >= w.flushAt {
		w.flush()
		w.flushAt = streamChunk
	}
}

// flush writes the buffer to out.
func (w *xmlWriter) flush() {
	if w.err != nil || len(w.buf) == 0 {
		return
	}
	w.flushed = true
	_, w.err = w.out.Write(w.buf)
	w.buf = w.buf[:0]
}

// reset drops what is buffered; it cannot take back flushed output.
func (w *xmlWriter) reset() { w.buf = w.buf[:0] }

// appendEscaped appends s escaped for XML character data or, when inAttr,
// for a double-quoted attribute value (see xmltext); characters XML 1.0
// cannot carry become U+FFFD.
func appendEscaped(b []byte, s string, inAttr bool) []byte {
	return xmltext.Append(b, s, inAttr, "\uFFFD")
}
