// Package body reads request bodies: the one reader of the WS-Man handler
// and of the server's turns, which read a body whole before decoding it.
// Standard library only.
package body

import "io"

// MaxPresized bounds the room ReadAll makes before reading.
const MaxPresized = 64 << 10

// ReadAll is io.ReadAll with room made for the size a request announces
// (within MaxPresized), so that a body is read into one allocation. A body
// longer or shorter than announced is read whole all the same; a read
// error is returned after what was read.
func ReadAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > MaxPresized {
		return io.ReadAll(r)
	}
	buf := make([]byte, 0, size+1) // +1: room for the read that sees the end
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		case len(buf) == cap(buf): // more than the request said
			rest, err := io.ReadAll(r)
			return append(buf, rest...), err
		}
	}
}
