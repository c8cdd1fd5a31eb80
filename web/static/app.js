// redset dashboard: after the server's first render, this script keeps the
// page current from the JSON API. It follows the event stream
// (GET /api/v1/events), redraws the sets from GET /api/v1/sets when an
// event arrives, extends the timeline, and runs failovers through
// POST /api/v1/sets/{id}/failover and returns drained members to service
// through POST /api/v1/sets/{id}/members/{name}/enable, each after a
// confirmation. While a set's frontend runs on the server, it reads the
// sets again every few seconds, for the connection counts. It lists the
// subscriptions to indications (GET /api/v1/subscriptions) and deletes one
// after a confirmation (DELETE /api/v1/subscriptions/{id}).
//
// The failover form and the return buttons are drawn only when the page
// says the caller's role may fail over (data-can-failover on <body>); the
// API refuses the others whatever the page shows.
//
// The view functions below mirror view.go and events.go, which render the
// same markup on the server: change them together.
'use strict';

(() => {
  const body = document.body;
  // The API's address from the page's origin alone: a page opened as
  // http://user:password@host/ has credentials in its own URL, and a fetch
  // of a URL with credentials is refused; the browser sends the cached ones.
  const API = new URL(body.dataset.api || '/api/v1', location.origin).href.replace(/\/$/, '');
  const CAN_FAILOVER = body.dataset.canFailover === 'true';
  const KINDS = (body.dataset.kinds || '').split(' ').filter(Boolean); // every event kind, from the server
  const MAX_EVENTS = 200;
  const HISTORY_LIMIT = 50;

  const state = {
    lastSeq: Number(body.dataset.lastSeq) || 0,
    live: false,
    retry: 0,
    fetching: false,
    again: false,
    results: new Map(), // set id -> {text, tone}: the last action's outcome shown on its card
    traffic: false, // some set's frontend runs on this server (known after the first read of the sets)
  };

  // ---- Words (mirror view.go) ----

  const STATUS_WORDS = { 0: 'Unknown', 2: 'Fully Redundant', 3: 'Degraded Redundancy', 4: 'Redundancy Lost', 5: 'Overall Failure' };
  const TYPE_WORDS = { 0: 'Unknown', 2: 'N+1', 3: 'Load Balanced', 4: 'Sparing', 5: 'Limited Sparing' };
  const LB_WORDS = { 0: 'Unknown', 3: 'Round Robin', 4: 'Least Blocks', 5: 'Least IO', 6: 'Address Region', 7: 'Product Specific' };
  const ROLE_WORDS = { inService: 'In service', spare: 'Spare', drained: 'Drained' };
  const RETURN_WORDS = { 0: 'Completed with No Error', 1: 'Not Supported', 2: 'Unknown/Unspecified Error', 3: 'Busy/In Use', 4: 'Parameter Error' };

  const statusClass = (s) => (s >= 2 && s <= 5 ? `st-${s}` : 'st-0');
  const operational = (state) => state === 'OK' || state === 'Degraded';

  function statusText(set) {
    return set.redundancyStatusText || STATUS_WORDS[set.redundancyStatus] || `Status ${set.redundancyStatus}`;
  }

  function typeText(types, other) {
    const parts = (types || []).map((t, i) => {
      if (t in TYPE_WORDS) return TYPE_WORDS[t];
      if (t === 1) return other && other[i] ? `Other (${other[i]})` : 'Other';
      return `Type ${t}`;
    });
    return parts.length ? parts.join(', ') : 'Unknown';
  }

  function lbText(alg, other) {
    if (alg === 2) return '';
    if (alg in LB_WORDS) return LB_WORDS[alg];
    if (alg === 1) return other ? `Other (${other})` : 'Other';
    return `Algorithm ${alg}`;
  }

  function spareText(status, supported) {
    const standby = { 2: 'hot', 3: 'cold' }[status];
    const failover = { 2: 'automatic only', 3: 'manual only', 4: 'automatic or manual' }[supported];
    if (standby && failover) return `${standby}, ${failover}`;
    return standby || failover || '';
  }

  function elementKey(id) {
    const bytes = new TextEncoder().encode(id);
    return 's-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

  // frontendView mirrors view.go's frontendOf: where the set's frontend
  // listens, or why it does not, and its connections.
  function frontendView(set) {
    const st = set.frontendStatus;
    if (!set.frontend && !st) return null;
    const v = { listen: set.frontend ? set.frontend.listen : '', address: '', down: false, error: '', conns: '' };
    if (!st) return v;
    if (st.listen) v.listen = st.listen;
    v.address = st.address || '';
    v.down = !st.address;
    v.error = st.error || '';
    v.conns = `${st.open} open${st.refused ? `, ${st.refused} refused` : ''}`;
    return v;
  }

  // memberConns mirrors view.go's: a member's open frontend connections
  // and a note of its total, failed dials and draining connections.
  function memberConns(st, name) {
    const m = (st.members || []).find((x) => x.name === name);
    if (!m) return { conns: '0', note: '' };
    const parts = [`${m.total} total`];
    if (m.dialErrors) parts.push(plural(m.dialErrors, 'failed dial', 'failed dials'));
    if (m.draining) parts.push(`${m.draining} draining`);
    return { conns: String(m.open), note: parts.join(', ') };
  }

  function memberView(setId, m, st) {
    const health = (m.health && m.health.state) || 'Unknown';
    const traffic = st ? memberConns(st, m.name) : { conns: '', note: '' };
    return {
      setId, name: m.name, role: m.role, roleText: ROLE_WORDS[m.role] || m.role, health,
      detail: (m.health && m.health.detail) || '',
      since: (m.health && m.health.since) || '',
      spare: m.role === 'spare' ? spareText(m.spareStatus, m.failoverSupported) : '',
      canReturn: CAN_FAILOVER && m.role === 'drained',
      priority: m.priority || 0, spareStatus: m.spareStatus || 0,
      conns: traffic.conns, connsNote: traffic.note,
    };
  }

  function setView(set) {
    const members = (set.members || []).map((m) => memberView(set.instanceID, m, set.frontendStatus));
    const shares = (set.typeOfSet || []).some((t) => t === 2 || t === 3);
    const from = members.filter((m) => m.role === 'inService');
    const to = members.filter((m) => m.role !== 'inService' || shares);
    const others = to.filter((m) => !from.length || m.name !== from[0].name);
    return {
      id: set.instanceID, key: elementKey(set.instanceID), name: set.elementName || set.instanceID,
      caption: set.caption || '', status: set.redundancyStatus, statusText: statusText(set),
      typeText: typeText(set.typeOfSet, set.otherTypeOfSet), needed: set.minNumberNeeded,
      operational: from.filter((m) => operational(m.health)).length,
      lbText: lbText(set.loadBalanceAlgorithm, set.otherLoadBalanceAlgorithm),
      flapGuard: !!set.flapGuardTripped, paused: pausedText(set), members, canFailover: CAN_FAILOVER, from, to,
      frontend: frontendView(set), traffic: !!set.frontendStatus,
      hasTarget: others.length > 0, defaultTo: set.failoverTarget || '',
    };
  }

  // pausedText mirrors view.go's.
  function pausedText(set) {
    if (set.paused) return 'Automatic failover paused for this set (maintenance).';
    if (set.serverPaused) return 'Automatic failover paused for every set (maintenance).';
    return '';
  }

  // ---- Events ----

  const withDetail = (text, detail) => (detail ? `${text}: ${detail}` : text);

  // The words of an event come with it from the API (label, text, tone):
  // the server-rendered timeline, this script and the CLI say the same.
  function eventView(e) {
    return { seq: e.seq, time: e.time, kind: e.kind, setId: e.setId || '', label: e.label || e.kind, text: e.text || '', tone: e.tone || 'info' };
  }


  // ---- DOM ----

  // h builds an element: attributes by name (class, id, data-*, aria-*),
  // children as nodes or text. Text is never parsed as HTML.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false || c === '') continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  // clock shows a time in the browser's zone: with seconds for events,
  // without for the "since" of a member's health; with the date when it
  // is not today.
  function clock(iso, short) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const opts = short ? { hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit', second: '2-digit' };
    const time = d.toLocaleTimeString([], opts);
    return new Date().toDateString() === d.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
  }

  function timeEl(iso, short) {
    return h('time', { datetime: iso, title: new Date(iso).toLocaleString(), 'data-short': short }, clock(iso, short));
  }

  function localizeTimes(root) {
    for (const t of root.querySelectorAll('time[datetime]')) {
      const iso = t.getAttribute('datetime');
      const text = clock(iso, t.hasAttribute('data-short'));
      if (text) {
        t.textContent = text;
        t.title = new Date(iso).toLocaleString();
      }
    }
  }

  const fact = (term, value) => h('div', null, h('dt', null, term), h('dd', null, value));

  function memberRow(m) {
    return h('tr', { class: 'member', 'data-member': m.name, 'data-role': m.role, 'data-health': m.health },
      h('th', { scope: 'row' }, h('span', { class: 'm-name' }, m.name), m.detail && h('span', { class: 'm-note' }, m.detail)),
      h('td', null, h('span', { class: `role role-${m.role}` }, m.roleText), m.spare && h('span', { class: 'm-note' }, m.spare),
        m.canReturn && returnButton(m)),
      h('td', null,
        h('span', { class: `health health-${m.health}` }, h('span', { class: 'health-dot', 'aria-hidden': 'true' }), m.health),
        m.since && h('span', { class: 'm-note' }, 'since ', timeEl(m.since, true))),
      m.conns && h('td', { class: 'm-conns' }, m.conns, m.connsNote && h('span', { class: 'm-note' }, m.connsNote)));
  }

  const returnButton = (m) => h('button', {
    type: 'button', class: 'btn btn-small return', 'data-set-id': m.setId, 'data-member': m.name,
    'aria-label': `Return to service: ${m.name}`,
  }, 'Return to service');

  function membersTable(v) {
    const rows = v.members.length ? v.members.map(memberRow)
      : [h('tr', null, h('td', { colspan: v.traffic ? '4' : '3', class: 'empty' }, 'No members.'))];
    const heads = ['Member', 'Role', 'Health'].concat(v.traffic ? ['Connections'] : []);
    return h('table', { class: 'members' },
      h('caption', { class: 'visually-hidden' }, `Members of ${v.name}`),
      h('thead', null, h('tr', null, heads.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows));
  }

  const option = (m, selected, role) => h('option', { value: m.name, selected }, `${m.name} (${role ? `${m.roleText}, ` : ''}${m.health})`);

  function failoverControl(v) {
    if (!v.canFailover) return null;
    if (!v.from.length || !v.hasTarget) {
      const why = v.from.length ? 'no other member to fail over to' : 'no member is in service';
      return h('p', { class: 'no-failover' }, `No failover possible: ${why}.`);
    }
    return h('details', { class: 'failover' },
      h('summary', null, 'Fail over…'),
      h('form', { class: 'failover-form', 'data-set-id': v.id },
        h('div', { class: 'field' }, h('label', { for: `${v.key}-from` }, 'From'),
          h('select', { id: `${v.key}-from`, name: 'from' }, v.from.map((m) => option(m, false, false)))),
        h('div', { class: 'field' }, h('label', { for: `${v.key}-to` }, 'To'),
          h('select', { id: `${v.key}-to`, name: 'to', required: true },
            !v.defaultTo && h('option', { value: '', selected: true, disabled: true }, 'Choose a member'),
            v.to.map((m) => option(m, m.name === v.defaultTo, true)))),
        h('button', { type: 'submit', class: 'btn btn-primary' }, 'Continue…')));
  }

  function frontendFacts(f) {
    if (!f) return null;
    return [
      h('div', { class: 'frontend' }, h('dt', null, 'Frontend'), h('dd', null, f.listen, f.address && ` → ${f.address}`,
        f.down && ' ', f.down && h('span', { class: 'fe-error' }, `not listening${f.error ? `: ${f.error}` : ''}`))),
      f.conns && fact('Connections', f.conns),
    ];
  }

  function renderSet(set) {
    const v = setView(set);
    const card = h('article', { class: `set ${statusClass(v.status)}`, id: v.key, 'data-set-id': v.id, 'aria-labelledby': `${v.key}-name` },
      h('header', { class: 'set-head' },
        h('div', { class: 'set-title' }, h('h3', { id: `${v.key}-name` }, v.name), h('p', { class: 'set-id' }, v.id)),
        h('p', { class: 'status', 'data-status': v.status },
          h('span', { class: 'status-dot', 'aria-hidden': 'true' }), h('span', { class: 'status-text' }, v.statusText))),
      v.caption && h('p', { class: 'caption' }, v.caption),
      h('dl', { class: 'facts' }, fact('Type', v.typeText), fact('Needs', `${v.needed} in service`),
        fact('Operational', `${v.operational} in service`), v.lbText && fact('Balancing', v.lbText), frontendFacts(v.frontend)),
      v.flapGuard && h('p', { class: 'flap' }, 'Flap guard tripped: automatic failover is stopped for this set.'),
      v.paused && h('p', { class: 'paused' }, v.paused),
      membersTable(v),
      failoverControl(v),
      h('p', { class: 'result', role: 'status', 'aria-live': 'polite' }));
    card.dataset.sig = JSON.stringify(v);
    showResult(card, state.results.get(v.id));
    return card;
  }

  function renderEvent(e) {
    const v = eventView(e);
    return h('li', { class: `event tone-${v.tone}`, 'data-seq': v.seq, 'data-kind': v.kind },
      h('span', { class: 'ev-dot', 'aria-hidden': 'true' }),
      h('div', { class: 'ev-body' },
        h('p', { class: 'ev-head' }, timeEl(v.time), ' ', h('span', { class: 'ev-label' }, v.label),
          v.setId && ' ', v.setId && h('span', { class: 'ev-set' }, v.setId)),
        v.text && h('p', { class: 'ev-text' }, v.text)));
  }

  // ---- Sets ----

  // uiState remembers what the user was doing in a card, so a redraw does
  // not close the form, reset the user's choices or lose the focus. A
  // choice is remembered only when the user made it (data-chosen): a
  // member the form proposed itself is proposed anew from the new state,
  // so a target that has failed meanwhile is not kept.
  function uiState(card) {
    const details = card.querySelector('details.failover');
    const active = card.contains(document.activeElement) ? document.activeElement : null;
    const chosen = (name) => {
      const sel = card.querySelector(`select[name=${name}]`);
      return sel && sel.dataset.chosen ? sel.value : undefined;
    };
    return {
      open: !!(details && details.open),
      from: chosen('from'),
      to: chosen('to'),
      focus: active && (active.name || active.tagName.toLowerCase()),
    };
  }

  function restoreUi(card, ui) {
    const details = card.querySelector('details.failover');
    if (details) details.open = ui.open;
    for (const name of ['from', 'to']) {
      const sel = card.querySelector(`select[name=${name}]`);
      if (sel && ui[name] && [...sel.options].some((o) => o.value === ui[name])) {
        sel.value = ui[name];
        sel.dataset.chosen = '1';
      }
    }
  }

  function onChange(ev) {
    const sel = ev.target.closest('form.failover-form select');
    if (sel) sel.dataset.chosen = '1';
  }

  function restoreFocus(card, ui) {
    if (ui.focus) card.querySelector(`[name="${ui.focus}"], ${ui.focus}`)?.focus();
  }

  // applySets redraws the cards whose content changed, keeps the others as
  // they are, and drops the cards of sets that are gone.
  function applySets(sets) {
    const list = document.getElementById('sets');
    const old = new Map([...list.querySelectorAll('article.set')].map((c) => [c.dataset.setId, c]));
    const focus = [];
    const cards = sets.map((set) => {
      const prev = old.get(set.instanceID);
      const card = renderSet(set);
      if (!prev) return card;
      if (prev.dataset.sig === card.dataset.sig) return prev;
      const ui = uiState(prev);
      restoreUi(card, ui);
      focus.push([card, ui]);
      if (prev.dataset.sig) flash(card);
      return card;
    });
    list.replaceChildren(...(cards.length ? cards : [h('p', { class: 'empty' },
      'No redundancy sets yet. Declare them in the configuration file or create them through the API.')]));
    for (const [card, ui] of focus) restoreFocus(card, ui);
    updateSummary(sets);
    state.traffic = sets.some((s) => s.frontendStatus);
  }

  function flash(card) {
    card.classList.add('updated');
    card.addEventListener('animationend', () => card.classList.remove('updated'), { once: true });
  }

  function updateSummary(sets) {
    const counts = new Map();
    for (const s of sets) counts.set(statusClass(s.redundancyStatus), (counts.get(statusClass(s.redundancyStatus)) || 0) + 1);
    const chips = [5, 4, 3, 0, 2].filter((st) => counts.get(statusClass(st))).map((st) =>
      h('li', { class: `chip ${statusClass(st)}` }, h('span', { class: 'chip-count' }, counts.get(statusClass(st))), ' ', STATUS_WORDS[st]));
    document.getElementById('summary').replaceChildren(...chips);
  }

  // refreshSets reads the sets once; calls while a read is under way are
  // folded into one more read after it.
  async function refreshSets() {
    if (state.fetching) {
      state.again = true;
      return;
    }
    state.fetching = true;
    try {
      do {
        state.again = false;
        const data = await getJSON(`${API}/sets`);
        applySets(data.sets || []);
        clearAlerts('sets');
      } while (state.again);
    } catch (err) {
      alertProblem('sets', `The sets could not be refreshed: ${err.message}`);
    } finally {
      state.fetching = false;
    }
  }

  async function refreshHistory() {
    try {
      const data = await getJSON(`${API}/history?limit=${HISTORY_LIMIT}`);
      for (const e of data.events || []) addEvent(e, false);
      clearAlerts('history');
    } catch (err) {
      alertProblem('history', `The history could not be read: ${err.message}`);
    }
  }

  async function getJSON(url) {
    const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
    if (!res.ok) throw new Error(await problemText(res));
    return res.json();
  }

  // problemText describes an error answer: an RFC 9457 problem's title and
  // detail when there is one, else the HTTP status.
  async function problemText(res) {
    let text = `${res.status} ${res.statusText}`.trim();
    try {
      const p = await res.json();
      if (p.title) text = `${res.status} ${p.title}`;
      if (p.detail) text += `: ${p.detail}`;
    } catch {
      // not JSON: the status says enough
    }
    return text;
  }

  // ---- Alerts ----

  function alertProblem(topic, text) {
    const box = document.getElementById('alerts');
    let p = box.querySelector(`[data-topic="${topic}"]`);
    if (!p) {
      p = h('p', { class: 'problem', role: 'alert', 'data-topic': topic });
      box.append(p);
    }
    p.textContent = text;
  }

  // clearAlerts removes the alerts of a topic, and the server's alerts of
  // the first render, which a successful read has made stale.
  function clearAlerts(topic) {
    for (const p of document.querySelectorAll(`#alerts [data-topic="${topic}"], #alerts .problem:not([data-topic])`)) p.remove();
  }

  // ---- Timeline ----

  function addEvent(e, fresh) {
    const list = document.getElementById('timeline');
    if (!e || typeof e.seq !== 'number' || list.querySelector(`li[data-seq="${e.seq}"]`)) return;
    const li = renderEvent(e);
    if (fresh) li.classList.add('new');
    const after = [...list.children].find((c) => Number(c.dataset.seq) < e.seq);
    list.insertBefore(li, after || null);
    while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
    document.getElementById('timeline-empty').hidden = true;
    state.lastSeq = Math.max(state.lastSeq, e.seq);
  }

  // ---- Event stream ----

  function setConn(kind, text) {
    const el = document.getElementById('conn');
    el.dataset.state = kind;
    el.querySelector('.conn-text').textContent = text;
    state.live = kind === 'live';
  }

  // connect follows the event stream from the newest event seen. On any
  // error the stream is closed and opened again after a growing delay, so
  // the resume point is always the newest event, not the first one.
  function connect() {
    const url = `${API}/events${state.lastSeq ? `?after=${state.lastSeq}` : ''}`;
    const es = new EventSource(url);
    setConn('connecting', state.retry ? 'Reconnecting…' : 'Connecting…');
    es.onopen = () => {
      state.retry = 0;
      setConn('live', 'Live');
      refreshSets();
      refreshHistory();
    };
    const onEvent = (msg) => {
      let e;
      try {
        e = JSON.parse(msg.data);
      } catch {
        return;
      }
      addEvent(e, true);
      refreshSets();
    };
    let done = false;
    const retry = () => {
      if (done) return;
      done = true;
      reconnect(es);
    };
    for (const kind of KINDS) es.addEventListener(kind, onEvent);
    es.addEventListener('message', onEvent);
    es.addEventListener('lagged', retry);
    es.onerror = retry;
  }

  function reconnect(es) {
    es.close();
    const delay = Math.min(30000, 1000 * 2 ** state.retry) * (0.75 + Math.random() * 0.5);
    state.retry = Math.min(state.retry + 1, 5);
    setConn('connecting', `Reconnecting in ${Math.round(delay / 1000)} s…`);
    setTimeout(connect, delay);
  }

  // ---- Failover ----

  function showResult(card, result) {
    const out = card.querySelector('.result');
    if (!out) return;
    out.className = `result${result ? ` ${result.tone}` : ''}`;
    out.textContent = result ? result.text : '';
  }

  function setResult(id, result) {
    state.results.set(id, result);
    const card = document.querySelector(`article.set[data-set-id="${CSS.escape(id)}"]`);
    if (card) showResult(card, result);
  }

  function onSubmit(ev) {
    const form = ev.target.closest('form.failover-form');
    if (!form) return;
    ev.preventDefault();
    const id = form.dataset.setId;
    const from = form.elements.from.value;
    const to = form.elements.to.value;
    if (!to) {
      setResult(id, { tone: 'bad', text: 'Choose a member to fail over to.' });
      return;
    }
    if (from === to) {
      setResult(id, { tone: 'bad', text: 'Choose two different members.' });
      return;
    }
    confirmFailover(id, from, to);
  }

  // ask shows the page's confirmation dialog with a title, a question
  // (nodes or text) and the label of its confirming button, and calls
  // then() only when the user confirms.
  function ask(title, question, verb, danger, then) {
    const dialog = document.getElementById('confirm');
    document.getElementById('confirm-title').textContent = title;
    document.getElementById('confirm-text').replaceChildren(...question);
    const go = document.getElementById('confirm-go');
    go.textContent = verb;
    go.className = `btn ${danger ? 'btn-danger' : 'btn-primary'}`;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => {
      if (dialog.returnValue === 'confirm') then();
    }, { once: true });
    dialog.showModal();
  }

  function confirmFailover(id, from, to) {
    ask('Confirm failover',
      ['Fail over ', h('b', null, id), ' from ', h('b', null, from), ' to ', h('b', null, to), '?'],
      'Fail over', true, () => failover(id, from, to));
  }

  async function failover(id, from, to) {
    setResult(id, { tone: 'busy', text: `Failing over ${from} → ${to}…` });
    let result;
    try {
      const res = await fetch(`${API}/sets/${encodeURIComponent(id)}/failover`, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ from, to }),
      });
      if (!res.ok) throw new Error(await problemText(res));
      const r = await res.json();
      const text = withDetail(`${from} → ${to}: ${r.returnValue} ${r.returnValueText || RETURN_WORDS[r.returnValue] || ''}`.trim(), r.reason);
      result = { tone: r.returnValue === 0 ? 'ok' : 'bad', text };
      if (r.returnValue === 0) closeForm(id);
    } catch (err) {
      result = { tone: 'bad', text: `${from} → ${to}: the request failed: ${err.message}` };
    }
    setResult(id, result);
    if (!state.live) refreshSets(); // without the stream, read the outcome directly
  }

  function closeForm(id) {
    const details = document.querySelector(`article.set[data-set-id="${CSS.escape(id)}"] details.failover`);
    if (details) details.open = false;
  }

  // ---- Return to service ----

  function onClick(ev) {
    const del = ev.target.closest('button.sub-delete');
    if (del) {
      confirmDeleteSubscription(del.dataset.subId);
      return;
    }
    const btn = ev.target.closest('button.return');
    if (!btn) return;
    const id = btn.dataset.setId;
    const name = btn.dataset.member;
    ask('Confirm return to service',
      ['Return ', h('b', null, name), ' to service in ', h('b', null, id), '?'],
      'Return to service', false, () => enableMember(id, name));
  }

  async function enableMember(id, name) {
    setResult(id, { tone: 'busy', text: `Returning ${name} to service…` });
    let result;
    try {
      const res = await fetch(`${API}/sets/${encodeURIComponent(id)}/members/${encodeURIComponent(name)}/enable`, {
        method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' },
      });
      if (!res.ok) throw new Error(await problemText(res));
      result = { tone: 'ok', text: `${name} returned to service.` };
    } catch (err) {
      result = { tone: 'bad', text: `${name}: the return to service failed: ${err.message}` };
    }
    setResult(id, result);
    if (!state.live) refreshSets(); // without the stream, read the outcome directly
  }

  // ---- Cluster ----

  // The strip shows the servers of a cluster (an etcd store), which one
  // leads and which one answers this page; a server on its own keeps it
  // hidden.
  const CLUSTER_POLL_MS = 5000;

  async function refreshCluster() {
    const strip = document.getElementById('cluster');
    let c;
    try {
      c = await getJSON(`${API}/cluster`);
    } catch (err) {
      if (!strip.hidden) alertProblem('cluster', `The cluster could not be read: ${err.message}`);
      return;
    }
    if (c.mode !== 'etcd') {
      strip.hidden = true;
      return;
    }
    renderCluster(c);
    strip.hidden = false;
    clearAlerts('cluster');
  }

  // seconds tells a duration given in seconds, as the strip's tooltips do.
  function seconds(s) {
    return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
  }

  function renderCluster(c) {
    const leader = c.leader ? c.leader.name : 'none known — changes wait for one';
    const sync = c.inSync ? '' : ' · this server is catching up';
    document.getElementById('cluster-summary').textContent =
      `${c.servers.length} server${c.servers.length === 1 ? '' : 's'} · leader: ${leader}${sync}`;
    const list = document.getElementById('cluster-servers');
    list.replaceChildren(...c.servers.map((s) => h('li', {
      class: `cluster-server${s.leader ? ' is-leader' : ''}${s.name === c.name ? ' is-self' : ''}`,
      title: `${s.url} — heard ${seconds(s.lastHeardSecondsAgo)} ago`,
    }, s.name, s.leader ? h('span', { class: 'cluster-tag' }, 'leader') : '',
    s.name === c.name ? h('span', { class: 'cluster-tag' }, 'this server') : '')));
    const strip = document.getElementById('cluster');
    strip.dataset.leader = c.leader ? 'known' : 'none';
  }

  // ---- Frontends ----

  // A frontend's connections change without an event: while some set's
  // frontend runs on this server, the sets are read again now and then.
  const TRAFFIC_POLL_MS = 5000;

  function refreshTraffic() {
    if (state.traffic && state.live && !document.hidden) refreshSets();
  }

  // ---- Subscriptions ----

  // The subscriptions to indications the caller may see (an
  // administrator's every one, others' their own), read every few
  // seconds; the section stays hidden on a server that delivers none
  // (the API answers 503). Each row can be deleted after a confirmation.
  const SUBS_POLL_MS = 5000;

  async function refreshSubscriptions() {
    const section = document.getElementById('subscriptions');
    let list;
    try {
      list = await getJSON(`${API}/subscriptions`);
    } catch (err) {
      if (!section.hidden) alertProblem('subscriptions', `The subscriptions could not be read: ${err.message}`);
      return;
    }
    renderSubscriptions(list.subscriptions || []);
    section.hidden = false;
    clearAlerts('subscriptions');
  }

  function subscriptionRow(s) {
    const d = s.delivery || {};
    const mode = s.protocol === 'wsman' ? `WS-Man ${s.deliveryMode}` : 'CIM-XML';
    const state = s.expires ? `${s.state} until ${clock(s.expires)}` : s.state;
    return h('tr', { 'data-sub-id': s.id, 'data-state': s.state },
      h('td', null, h('span', { class: 'sub-id' }, s.id), s.filter ? h('span', { class: 'sub-dest' }, `filter ${s.filter}`) : ''),
      h('td', null, s.owner),
      h('td', null, mode, h('span', { class: 'sub-dest' }, s.destination || 'pulled by the subscriber')),
      h('td', null, h('span', { class: 'sub-query' }, s.query)),
      h('td', { class: 'sub-state' }, state, d.lastError ? h('span', { class: 'sub-error' }, d.lastError) : ''),
      h('td', { class: 'num' }, d.delivered || 0),
      h('td', { class: 'num' }, d.queued || 0),
      h('td', { class: 'num' }, d.failed || 0),
      h('td', { class: 'num' }, d.dropped || 0),
      h('td', null, h('button', { type: 'button', class: 'btn btn-small sub-delete', 'data-sub-id': s.id }, 'Delete')));
  }

  function renderSubscriptions(subs) {
    document.getElementById('subs-rows').replaceChildren(...subs.map(subscriptionRow));
    document.getElementById('subs-empty').hidden = subs.length > 0;
  }

  function confirmDeleteSubscription(id) {
    ask('Delete subscription',
      ['Delete the subscription ', h('b', null, id), '? Nothing more is delivered for it.'],
      'Delete', true, () => deleteSubscription(id));
  }

  async function deleteSubscription(id) {
    try {
      const res = await fetch(`${API}/subscriptions/${encodeURIComponent(id)}`, {
        method: 'DELETE', credentials: 'same-origin', headers: { Accept: 'application/json' },
      });
      if (!res.ok) throw new Error(await problemText(res));
      clearAlerts('subscriptions');
    } catch (err) {
      alertProblem('subscriptions', `${id}: the deletion failed: ${err.message}`);
    }
    refreshSubscriptions();
  }

  // ---- Start ----

  document.addEventListener('submit', onSubmit);
  document.addEventListener('click', onClick);
  document.addEventListener('change', onChange);
  localizeTimes(document);
  connect();
  refreshCluster();
  setInterval(refreshCluster, CLUSTER_POLL_MS);
  setInterval(refreshTraffic, TRAFFIC_POLL_MS);
  refreshSubscriptions();
  setInterval(refreshSubscriptions, SUBS_POLL_MS);
})();
