package cimom

import "iter"

// An enumeration reads its sequence in chunks: each resume of the
// sequence (one switch to the provider's iterator and back) appends up to
// want objects to chunk, so that a pull of many objects costs one switch,
// not one per object.

// firstChunk bounds the room a pull makes for its objects up front; more
// is made as they come.
const firstChunk = 1024

// chunks is the sequence of an enumeration as iter.Pull drives it: it
// appends the objects of objs to en.chunk and pauses each time en.want are
// there, or at an error, which it yields. It ends with the sequence.
func (en *enumeration) chunks(objs Objects) iter.Seq[error] {
	return func(yield func(error) bool) {
		for obj, err := range objs {
			if err != nil {
				yield(err)
				return
			}
			en.chunk = append(en.chunk, obj)
			if len(en.chunk) >= en.want && !yield(nil) {
				return
			}
		}
	}
}

// take reads up to n objects. end is true when the sequence is known to
// be over: after the objects, one more is read ahead so that the last
// chunk already says so. A pending error is returned alone, after the
// objects read before it have been delivered.
func (en *enumeration) take(n int) ([]Object, bool, error) {
	k := min(n, len(en.buf))
	out := make([]Object, k, max(k, min(n+1, firstChunk)))
	copy(out, en.buf)
	en.buf = en.buf[k:]
	if len(out) < n {
		// One more than asked: the read-ahead that tells the end.
		out = en.read(out, n-len(out)+1)
		if len(out) > n {
			en.buf = append(en.buf, out[n])
			out = out[:n:n]
		}
	}
	if len(out) == 0 && en.err != nil {
		return nil, true, en.err
	}
	if len(en.buf) == 0 {
		en.buf = en.read(en.buf, 1)
	}
	return out, en.done && len(en.buf) == 0 && en.err == nil, nil
}

// read appends up to k objects of the sequence to dst in one resume of
// it. At the end of the sequence, or at an error (kept for the next
// pull), it sets done.
func (en *enumeration) read(dst []Object, k int) []Object {
	if en.done || k <= 0 {
		return dst
	}
	en.chunk, en.want = dst, len(dst)+k
	err, ok := en.next()
	dst, en.chunk = en.chunk, nil
	switch {
	case !ok:
		en.done = true
	case err != nil:
		en.err, en.done = err, true
	}
	return dst
}

// count reads ahead up to maxCountBuffer objects and returns how many
// remain, when that is known.
func (en *enumeration) count() (uint64, bool) {
	en.buf = en.read(en.buf, maxCountBuffer-len(en.buf))
	return uint64(len(en.buf)), en.done && en.err == nil
}
