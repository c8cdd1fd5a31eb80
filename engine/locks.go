package engine

// hold is the set of try-locks a change owns: its set (exclusively) and
// members it involves (shared, so changes of different sets sharing a member
// run in parallel), or one member exclusively (a change of the member
// itself).
type hold struct {
	set       *setState
	shared    []*memberState
	exclusive *memberState
}

// holdSet takes s and, shared, the given members. Nothing is taken when any
// of them is busy; the error names what was busy.
func holdSet(s *setState, members ...*memberState) (*hold, error) {
	if err := s.take(); err != nil {
		return nil, err
	}
	h := &hold{set: s}
	for _, m := range members {
		if m == nil || containsMember(h.shared, m) {
			continue
		}
		if err := m.takeShared(); err != nil {
			h.release()
			return nil, err
		}
		h.shared = append(h.shared, m)
	}
	return h, nil
}

// holdMember takes m exclusively.
func holdMember(m *memberState) (*hold, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone || m.pending {
		return nil, notFound("member", m.name)
	}
	if m.exclusive || m.shared > 0 {
		return nil, busy("member", m.name)
	}
	m.exclusive = true
	return &hold{exclusive: m}, nil
}

func (h *hold) release() {
	if h.set != nil {
		h.set.mu.Lock()
		h.set.busy = false
		h.set.mu.Unlock()
	}
	for _, m := range h.shared {
		m.mu.Lock()
		m.shared--
		m.mu.Unlock()
	}
	if h.exclusive != nil {
		h.exclusive.mu.Lock()
		h.exclusive.exclusive = false
		h.exclusive.mu.Unlock()
	}
}

func (s *setState) take() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.gone || s.pending:
		return notFound("set", s.id)
	case s.busy:
		return busy("set", s.id)
	}
	s.busy = true
	return nil
}

func (m *memberState) takeShared() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.gone || m.pending:
		return notFound("member", m.name)
	case m.exclusive:
		return busy("member", m.name)
	}
	m.shared++
	return nil
}

func containsMember(list []*memberState, m *memberState) bool {
	for _, x := range list {
		if x == m {
			return true
		}
	}
	return false
}
