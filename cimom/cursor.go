package cimom

// take reads up to n objects. end is true when the sequence is known to
// be over: after the objects, one more is read ahead so that the last
// chunk already says so. A pending error is returned alone, after the
// objects read before it have been delivered.
func (en *enumeration) take(n int) ([]Object, bool, error) {
	out := make([]Object, 0, min(n, 64))
	for len(out) < n && len(en.buf) > 0 {
		out = append(out, en.buf[0])
		en.buf = en.buf[1:]
	}
	for len(out) < n {
		obj, ok := en.read()
		if !ok {
			break
		}
		out = append(out, obj) // straight from the sequence, not through buf
	}
	if len(out) == 0 && en.err != nil {
		return nil, true, en.err
	}
	en.fill()
	return out, en.done && len(en.buf) == 0 && en.err == nil, nil
}

// fill makes sure an object is buffered, reading the sequence if needed.
// It reports whether one is.
func (en *enumeration) fill() bool {
	return len(en.buf) > 0 || en.readOne()
}

// readOne reads one object of the sequence into the buffer. At the end of
// the sequence, or at an error (kept for the next pull), it sets done and
// returns false.
func (en *enumeration) readOne() bool {
	obj, ok := en.read()
	if ok {
		en.buf = append(en.buf, obj)
	}
	return ok
}

// read reads the next object of the sequence. At the end of the sequence,
// or at an error (kept for the next pull), it sets done and returns false.
func (en *enumeration) read() (Object, bool) {
	if en.done {
		return Object{}, false
	}
	obj, err, ok := en.next()
	switch {
	case !ok:
		en.done = true
	case err != nil:
		en.err, en.done = err, true
	}
	return obj, !en.done
}

// count reads ahead up to maxCountBuffer objects and returns how many
// remain, when that is known.
func (en *enumeration) count() (uint64, bool) {
	for len(en.buf) < maxCountBuffer && en.readOne() {
	}
	return uint64(len(en.buf)), en.done && en.err == nil
}
