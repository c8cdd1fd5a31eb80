package engine

import "sync"

// SetsVersion is a number that changes whenever what a listing of set
// summaries shows may have changed: a set was created or deleted, or a
// set's properties or RedundancyStatus changed. While it stays the same,
// a listing made since it was read is still the sets as they are, so a
// caller may keep one and use it again (SetsChangedSince tells what to
// read again once it moved).
func (e *Engine) SetsVersion() (uint64, error) {
	if err := e.checkOpen(); err != nil {
		return 0, err
	}
	return e.shownGen.Load(), nil
}

// SetsChangedSince tells what changed since SetsVersion was from: the
// version now, and the InstanceIDs of the sets whose properties or status
// changed in between (each once). ok is false when that is not known: a
// set was created or deleted meanwhile, or more changes were made than
// the engine remembers (changeLogSize); the caller then lists every set.
func (e *Engine) SetsChangedSince(from uint64) (now uint64, ids []string, ok bool, err error) {
	if err := e.checkOpen(); err != nil {
		return 0, nil, false, err
	}
	l := &e.changes
	l.mu.Lock()
	defer l.mu.Unlock()
	now = e.shownGen.Load()
	if from > now || now-from > min(l.written, changeLogSize) {
		return now, nil, false, nil
	}
	seen := make(map[string]bool, now-from)
	for v := from + 1; v <= now; v++ {
		id := l.ids[v%changeLogSize]
		if id == "" {
			return now, nil, false, nil
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return now, ids, true, nil
}

// changeLogSize is how many changes of SetsVersion the engine remembers.
const changeLogSize = 4096

// changeLog remembers what moved SetsVersion: the set changed at each of
// the last changeLogSize versions, "" where a set entered or left the
// engine. Every move of SetsVersion is made under mu, with its entry.
type changeLog struct {
	mu      sync.Mutex
	ids     [changeLogSize]string // at version v: ids[v % changeLogSize]
	written uint64                // entries ever written
}

// setsChanged moves SetsVersion and records that set id ("": a set
// entered or left) changed.
func (e *Engine) setsChanged(id string) {
	l := &e.changes
	l.mu.Lock()
	defer l.mu.Unlock()
	v := e.shownGen.Add(1)
	l.ids[v%changeLogSize] = id
	l.written++
}

// setListChanged records that a set entered or left e.sets; e.mu must be
// held for writing.
func (e *Engine) setListChanged() {
	e.setsGen.Add(1)
	e.setsChanged("")
}

// setShownChanged records that s's properties or status changed; s.mu
// must be held, so that the change is in place before a reader of
// SetsVersion sees the new version.
func (e *Engine) setShownChanged(s *setState) { e.setsChanged(s.id) }
