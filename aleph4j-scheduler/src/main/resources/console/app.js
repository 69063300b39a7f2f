// The aleph4j console: one page routed by the URL hash, fed by /api/v1/console/* and its event stream.
// Everything that comes from the network is put in the page as text or as attributes, never as markup.
'use strict';

(function () {
  const API = '/api/v1/console';
  const GRANT_HEADER = 'X-Aleph4j-Logs-Grant';
  const state = {
    view: null,          // 'network' | 'programs' | 'program' | 'messages'
    arg: null,           // program or message hash
    params: new URLSearchParams(),
    lastUpdate: 0,       // Date.now() of the last good answer or event
    live: false,
    clockOffset: 0,      // server seconds minus local seconds
    loading: false,
    again: false,
    selectedMessage: null,
    logsFor: null,       // the program + grant the logs were fetched for
  };

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }

  function svg(tag, attrs, ...children) {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }

  function setAttrs(e, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (/^on/i.test(k)) throw new Error('no event attributes');
      e.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(e, children) {
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
  }

  const $ = (sel) => document.querySelector(sel);

  // Only http(s) links are made clickable: a node's URL comes from its heartbeat.
  function safeUrl(u) {
    if (typeof u !== 'string') return null;
    try {
      const p = new URL(u);
      return p.protocol === 'http:' || p.protocol === 'https:' ? p.href : null;
    } catch (e) {
      return null;
    }
  }

  function extLink(url, text) {
    const href = safeUrl(url);
    return href ? el('a', { href, rel: 'noopener noreferrer', target: '_blank' }, text || url) : el('span', null, text || String(url || '—'));
  }

  function short(hash) {
    return typeof hash === 'string' && hash.length > 14 ? hash.slice(0, 8) + '…' + hash.slice(-4) : String(hash || '—');
  }

  function isHash(s) {
    return typeof s === 'string' && /^[0-9a-f]{64}$|^Qm[1-9A-HJ-NP-Za-km-z]{44}$|^bafy[a-z2-7]{55}$/.test(s);
  }

  function fmtTime(seconds) {
    if (typeof seconds !== 'number') return '—';
    const d = new Date(seconds * 1000);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function serverNow() {
    return Date.now() / 1000 + state.clockOffset;
  }

  function ago(seconds) {
    if (typeof seconds !== 'number') return 'never';
    const s = Math.max(0, Math.round(serverNow() - seconds));
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    return Math.round(s / 3600) + ' h ago';
  }

  function agoSpan(seconds, prefix) {
    return el('span', { class: 'ago', 'data-since': seconds, 'data-prefix': prefix || '' }, (prefix || '') + ago(seconds));
  }

  function refreshAgo() {
    for (const e of document.querySelectorAll('.ago')) {
      const s = Number(e.getAttribute('data-since'));
      if (!Number.isNaN(s)) e.textContent = (e.getAttribute('data-prefix') || '') + ago(s);
    }
  }

  function mib(n) {
    return typeof n === 'number' ? n.toLocaleString('en') : '—';
  }

  // ------------------------------------------------------------------ fetching

  async function getJson(path, headers) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 10000);
    try {
      const r = await fetch(path, { headers: Object.assign({ Accept: 'application/json' }, headers || {}), signal: ctl.signal, cache: 'no-store', credentials: 'same-origin' });
      let body = null;
      try {
        body = await r.json();
      } catch (e) {
        body = null;
      }
      return { status: r.status, ok: r.ok, body };
    } finally {
      clearTimeout(timer);
    }
  }

  function answered(body) {
    state.lastUpdate = Date.now();
    if (body && typeof body.time === 'number') state.clockOffset = body.time - Date.now() / 1000;
    showError(null);
    if (body && body.ccn) showCcn(body.ccn);
  }

  function showError(text) {
    const e = $('#error');
    if (!text) {
      e.hidden = true;
      e.textContent = '';
      return;
    }
    e.hidden = false;
    e.textContent = text;
  }

  function problem(res, what) {
    if (res && res.body && typeof res.body.error === 'string') return what + ': ' + res.body.error;
    return what + ': the scheduler did not answer' + (res ? ' (HTTP ' + res.status + ')' : '') + '; showing what was last loaded.';
  }

  function showCcn(ccn) {
    const box = $('#ccn-status');
    clear(box);
    const link = extLink(ccn.url, 'CCN');
    box.dataset.state = ccn.reachable ? 'reachable' : ccn.url ? 'unreachable' : 'none';
    if (ccn.reachable) {
      append(box, [link, ' reachable']);
    } else if (ccn.url) {
      append(box, [link, ' unreachable, ', ccn.last_seen ? agoSpan(ccn.last_seen, 'last seen ') : 'never seen']);
    } else {
      append(box, ['no CCN configured']);
    }
  }

  // ------------------------------------------------------------------ routing

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    const parts = path.split('/').filter(Boolean);
    let view = parts[0] || 'network';
    let arg = parts[1] ? decodeURIComponent(parts[1]) : null;
    if (view === 'program' && !arg) view = 'programs';
    if (!['network', 'programs', 'program', 'messages'].includes(view)) view = 'network';
    return { view, arg, params };
  }

  function route() {
    const r = parseHash();
    const changed = r.view !== state.view || r.arg !== state.arg;
    state.view = r.view;
    state.arg = r.arg;
    state.params = r.params;
    for (const v of ['network', 'programs', 'program', 'messages']) {
      $('#view-' + v).hidden = v !== r.view;
    }
    for (const a of document.querySelectorAll('[data-nav]')) {
      const current = a.getAttribute('data-nav') === r.view || (r.view === 'program' && a.getAttribute('data-nav') === 'programs');
      if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    if (changed && r.view === 'program') clear($('#view-program'));
    if (r.view === 'messages') state.selectedMessage = r.arg;
    document.title = 'aleph4j console: ' + r.view + (r.arg ? ' ' + short(r.arg) : '');
    load();
  }

  // One load at a time; a change that arrives meanwhile loads again afterwards.
  async function load() {
    if (state.loading) {
      state.again = true;
      return;
    }
    state.loading = true;
    try {
      do {
        state.again = false;
        switch (state.view) {
          case 'network': await loadNetwork(); break;
          case 'programs': await loadPrograms(); break;
          case 'program': await loadProgram(state.arg); break;
          case 'messages': await loadMessages(); break;
        }
      } while (state.again);
    } catch (e) {
      showError('The console could not load this view (' + (e && e.name === 'AbortError' ? 'timeout' : 'network error') + '); showing what was last loaded.');
    } finally {
      state.loading = false;
    }
  }

  // ------------------------------------------------------------------ network

  function stateBadge(s) {
    return el('span', { class: 'badge state-' + String(s).replace(/[^a-z-]/g, '') }, String(s));
  }

  async function loadNetwork() {
    const res = await getJson(API + '/network');
    if (!res.ok || !res.body || !Array.isArray(res.body.nodes)) {
      showError(problem(res, 'Network'));
      return;
    }
    answered(res.body);
    const nodes = res.body.nodes;
    const tbody = $('#nodes tbody');
    clear(tbody);
    let active = 0;
    for (const n of nodes) {
      if (n.state === 'active') active++;
      const programs = el('ul', { class: 'plain' });
      for (const p of n.programs || []) {
        programs.appendChild(el('li', { 'data-program': p.item_hash, 'data-kind': p.kind },
          el('a', { href: '#/program/' + encodeURIComponent(p.item_hash) }, p.name ? p.name + ' (' + short(p.item_hash) + ')' : short(p.item_hash)),
          ' ', el('span', { class: 'muted' }, p.kind === 'persistent' ? 'epoch ' + p.epoch : 'on demand')));
      }
      if (!n.programs || n.programs.length === 0) programs.appendChild(el('li', { class: 'muted' }, 'none'));
      const used = n.used || {};
      const cap = n.capacity || {};
      const exec = n.executor || {};
      // an active node heartbeats every second or so: its age as of this answer; a silent one's age goes on counting
      const seen = n.state === 'active' ? el('span', null, Math.round(n.heartbeat_age_s || 0) + ' s ago') : agoSpan(n.last_seen, 'last seen ');
      tbody.appendChild(el('tr', { 'data-node-hash': n.node_hash, 'data-state': n.state },
        el('th', { scope: 'row' }, el('div', null, extLink(n.url)), el('div', { class: 'mono muted', title: n.address }, 'node ' + short(n.node_hash))),
        el('td', null, stateBadge(n.state)),
        el('td', null, String(exec.name || 'unknown'), exec.isolated ? '' : el('span', { class: 'muted' }, ' (not isolating)')),
        el('td', null, mib(used.vcpus) + ' / ' + mib(cap.vcpus)),
        el('td', null, mib(used.memory_mib) + ' / ' + mib(cap.memory_mib)),
        el('td', null, mib(used.disk_mib) + ' / ' + mib(cap.disk_mib)),
        el('td', null, seen),
        el('td', null, programs)));
    }
    const sched = res.body.scheduler || {};
    $('#network-summary').textContent = (nodes.length === 0 ? 'No CRN has heartbeated this scheduler yet' : nodes.length + ' node(s), ' + active + ' active') +
      '; this scheduler is ' + (sched.leading ? 'the leader' : 'a standby') + '.';
  }

  // ------------------------------------------------------------------ programs

  function programQuery() {
    const q = new URLSearchParams();
    const owner = $('#filter-owner').value.trim();
    const st = $('#filter-state').value;
    const search = $('#search').value.trim();
    if (owner) q.set('owner', owner);
    if (st) q.set('state', st);
    if (search) q.set('q', search);
    return q;
  }

  async function loadPrograms() {
    const owner = $('#filter-owner').value.trim();
    if (owner && !/^0x[0-9a-fA-F]{40}$/.test(owner)) {
      $('#filter-owner').setAttribute('aria-invalid', 'true');
      $('#programs-summary').textContent = 'The owner filter must be an address: 0x and 40 hex digits.';
      return;
    }
    $('#filter-owner').removeAttribute('aria-invalid');
    const res = await getJson(API + '/programs?' + programQuery().toString());
    if (!res.ok || !res.body || !Array.isArray(res.body.programs)) {
      showError(problem(res, 'Programs'));
      return;
    }
    answered(res.body);
    const tbody = $('#programs tbody');
    clear(tbody);
    const list = res.body.programs;
    for (const p of list) {
      const res2 = p.resources || {};
      const row = el('tr', { 'data-item-hash': p.item_hash, 'data-state': p.state, 'data-node-hash': p.node_hash || '', tabindex: 0, class: 'link-row' },
        el('th', { scope: 'row' }, el('a', { href: '#/program/' + encodeURIComponent(p.item_hash) }, p.name ? String(p.name) : short(p.item_hash)),
          p.name ? el('div', { class: 'mono muted' }, short(p.item_hash)) : null),
        el('td', { class: 'mono', title: p.owner || '' }, short(p.owner)),
        el('td', null, stateBadge(p.state), p.reason ? el('div', { class: 'muted small' }, String(p.reason)) : null),
        el('td', { class: 'mono' }, p.node_hash ? extLink(p.node_url, short(p.node_hash)) : '—'),
        el('td', null, p.epoch === null || p.epoch === undefined ? '—' : String(p.epoch)),
        el('td', null, typeof p.since === 'number' ? agoSpan(p.since) : '—'),
        el('td', null, (res2.vcpus ?? '?') + ' vCPU, ' + (res2.memory_mib ?? '?') + ' MiB'),
        el('td', null, p.cost ? String(p.cost.required_tokens ?? p.cost.cost ?? '—') + ' ALEPH' + (p.cost.payment_type ? ' (' + p.cost.payment_type + ')' : '') : '—'));
      tbody.appendChild(row);
    }
    const pg = res.body.pagination || {};
    $('#programs-summary').textContent = list.length === 0 ? 'No program matches.' : list.length + ' of ' + (pg.total ?? list.length) + ' program(s).';
  }

  // ------------------------------------------------------------------ one program

  async function loadProgram(hash) {
    const box = $('#view-program');
    if (!isHash(hash)) {
      clear(box);
      box.appendChild(el('section', { id: 'program', 'data-item-hash': '' }, el('h1', null, 'Not an item hash'), el('p', null, String(hash))));
      return;
    }
    const res = await getJson(API + '/programs/' + encodeURIComponent(hash));
    if (res.status === 404) {
      clear(box);
      box.appendChild(el('section', { id: 'program', 'data-item-hash': hash }, el('h1', null, 'Unknown program'),
        el('p', null, 'Neither the scheduler, the CRNs nor the CCN know ', el('span', { class: 'mono' }, hash), '.'),
        el('pre', { id: 'logs', 'data-state': 'none' })));
      answered(res.body);
      return;
    }
    if (!res.ok || !res.body || !res.body.program) {
      showError(problem(res, 'Program'));
      return;
    }
    answered(res.body);
    const b = res.body;
    const p = b.program;
    const urls = b.node_urls || {};
    const oldLogs = $('#logs');
    const section = el('section', { id: 'program', 'data-item-hash': p.item_hash });
    section.appendChild(el('h1', null, p.name ? String(p.name) : 'Program', ' ', el('span', { class: 'mono muted small' }, p.item_hash)));
    const res2 = p.resources || {};
    const dl = el('dl', { class: 'facts' },
      el('dt', null, 'State'), el('dd', null, stateBadge(p.state), p.reason ? el('span', { class: 'muted' }, ' ' + p.reason) : null),
      el('dt', null, 'Owner'), el('dd', { class: 'mono' }, String(p.owner || '—')),
      el('dt', null, 'Node'), el('dd', { 'data-field': 'node', 'data-node-hash': p.node_hash || '' },
        p.node_hash ? [extLink(p.node_url || urls[p.node_hash], short(p.node_hash))] : 'none'),
      el('dt', null, 'Epoch'), el('dd', { 'data-field': 'epoch' }, p.epoch === null || p.epoch === undefined ? '' : String(p.epoch)),
      el('dt', null, 'Since'), el('dd', null, typeof p.since === 'number' ? [fmtTime(p.since), ' (', agoSpan(p.since), ')'] : '—'),
      el('dt', null, 'Resources'), el('dd', null, (res2.vcpus ?? '?') + ' vCPU, ' + (res2.memory_mib ?? '?') + ' MiB' +
        (res2.seconds ? ', ' + res2.seconds + ' s per request' : '')),
      el('dt', null, 'Cost'), el('dd', null, p.cost ? String(p.cost.required_tokens ?? p.cost.cost) + ' ALEPH' + (p.cost.payment_type ? ' (' + p.cost.payment_type + ')' : '') : '—'),
      el('dt', null, 'Message'), el('dd', null, el('a', { id: 'program-message', href: '#/messages/' + encodeURIComponent(p.item_hash) }, 'PROGRAM ' + short(p.item_hash))));
    section.appendChild(dl);
    const refs = (b.message && b.message.refs) || [];
    if (refs.length) {
      const ul = el('ul', { class: 'plain refs' });
      for (const r of refs) {
        ul.appendChild(el('li', null, String(r.role) + ': ',
          isHash(r.ref) ? el('a', { href: '#/messages/' + encodeURIComponent(r.ref), class: 'mono' }, short(r.ref)) : el('span', { class: 'mono' }, String(r.ref))));
      }
      section.appendChild(el('h2', null, 'References'));
      section.appendChild(ul);
    }

    // timeline: placements and moves, oldest first
    const moves = (b.history || []).filter((h) => h.move);
    section.appendChild(el('h2', { id: 'h-timeline' }, 'Placements and moves'));
    section.appendChild(chart(moves, b.time || serverNow(), p));
    const ol = el('ol', { id: 'timeline', 'aria-labelledby': 'h-timeline' });
    for (const h of moves) {
      ol.appendChild(el('li', { 'data-time': h.time, 'data-from': h.from_node || '', 'data-to': h.to_node || '', 'data-epoch': h.epoch ?? '', 'data-reason': h.category },
        el('time', { datetime: h.time }, fmtTime(h.time_s)), ' ',
        el('span', { class: 'badge reason-' + String(h.category).replace(/[^a-z-]/g, '') }, String(h.category)), ' ',
        h.from_node ? el('span', { class: 'mono' }, short(h.from_node)) : el('span', { class: 'muted' }, 'none'),
        ' → ', h.to_node ? el('span', { class: 'mono' }, short(h.to_node)) : el('span', { class: 'muted' }, 'none'),
        h.epoch !== null && h.epoch !== undefined ? ' (epoch ' + h.epoch + ')' : '',
        el('div', { class: 'muted small' }, String(h.reason || ''))));
    }
    section.appendChild(ol);
    if (moves.length === 0) section.appendChild(el('p', { class: 'muted' }, p.kind === 'on-demand' ? 'An on-demand program: it runs where it is called, the scheduler does not place it.' : 'Not placed yet.'));

    // volumes
    const vols = el('div', { id: 'volumes' });
    section.appendChild(el('h2', null, 'Volumes'));
    if (!b.volumes || b.volumes.length === 0) {
      vols.appendChild(el('p', { class: 'muted' }, 'No persistent volume.'));
    } else {
      const t = el('table', null, el('thead', null, el('tr', null, ['Name', 'Mount', 'Size (MiB)', 'Last snapshot', 'Restores'].map((h) => el('th', { scope: 'col' }, h)))));
      const tb = el('tbody');
      for (const v of b.volumes) {
        const s = v.last_snapshot;
        tb.appendChild(el('tr', { 'data-volume-id': v.volume_id },
          el('th', { scope: 'row' }, String(v.name || v.volume_id)),
          el('td', { class: 'mono' }, String(v.mount || '')),
          el('td', null, v.size_mib ?? '—'),
          el('td', null, s ? 'seq ' + s.seq + ', epoch ' + s.epoch + ', ' + (s.full ? 'full' : 'incremental') + ', ' + s.bytes + ' bytes, ' + fmtTime(s.time) : 'none yet'),
          el('td', null, String((v.restores || []).length))));
      }
      t.appendChild(tb);
      vols.appendChild(el('div', { class: 'scroll' }, t));
    }
    section.appendChild(vols);

    // logs
    section.appendChild(el('h2', { id: 'h-logs' }, 'Logs'));
    const grant = state.params.get('grant');
    const logs = oldLogs && state.logsFor === p.item_hash + ' ' + grant ? oldLogs : el('pre', { id: 'logs', 'data-state': 'none', tabindex: 0, 'aria-labelledby': 'h-logs' });
    if (!grant) {
      logs.setAttribute('data-state', 'none');
      logs.textContent = 'Logs are shown to the program\'s owner: run `aleph program logs ' + p.item_hash + ' --open`.';
    }
    section.appendChild(logs);
    clear(box);
    box.appendChild(section);
    if (grant) loadLogs(p.item_hash, grant, logs);
  }

  async function loadLogs(hash, grant, pre) {
    const key = hash + ' ' + grant;
    const first = state.logsFor !== key;
    state.logsFor = key;
    if (first) {
      pre.setAttribute('data-state', 'loading');
      pre.textContent = 'loading logs…';
    }
    let res;
    try {
      res = await getJson(API + '/programs/' + encodeURIComponent(hash) + '/logs', { [GRANT_HEADER]: grant });
    } catch (e) {
      res = null;
    }
    if (res && res.ok && Array.isArray(res.body)) {
      pre.setAttribute('data-state', 'shown');
      pre.textContent = res.body.map((e) => {
        const t = Number(e.__REALTIME_TIMESTAMP) / 1e6;
        return (Number.isFinite(t) ? new Date(t * 1000).toISOString() : '') + ' ' + String(e.file || '') + ' ' + String(e.MESSAGE ?? '');
      }).join('\n') || '(no log entries yet)';
    } else {
      pre.setAttribute('data-state', 'error');
      pre.textContent = 'The logs could not be read: ' + (res && res.body && typeof res.body.error === 'string' ? res.body.error : res ? 'HTTP ' + res.status : 'no answer') +
        (res && (res.status === 401 || res.status === 403) ? ' (the link may have expired: run `aleph program logs ' + hash + ' --open` again)' : '');
    }
  }

  // A lane per node, a bar per placement, from the oldest move to now.
  function chart(moves, now, p) {
    const W = 720;
    const lanes = [];
    const bars = [];
    let open = null;
    for (const h of moves) {
      if (open && (h.from_node === open.node || h.to_node)) {
        open.end = h.time_s;
        bars.push(open);
        open = null;
      }
      if (h.to_node) {
        if (!lanes.includes(h.to_node)) lanes.push(h.to_node);
        open = { node: h.to_node, start: h.time_s, end: null, epoch: h.epoch };
      }
      if (h.from_node && !lanes.includes(h.from_node)) lanes.push(h.from_node);
    }
    if (open) {
      open.end = now;
      bars.push(open);
    }
    const laneH = 28;
    const left = 110;
    const H = Math.max(1, lanes.length) * laneH + 30;
    const s = svg('svg', { id: 'placement-chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'chart-title', class: 'chart', preserveAspectRatio: 'xMinYMin meet' });
    s.appendChild(svg('title', { id: 'chart-title' }, 'Placement of ' + (p.name || p.item_hash) + ' over time: ' + bars.length + ' placement(s) on ' + lanes.length + ' node(s)'));
    if (moves.length === 0) {
      s.appendChild(svg('text', { x: 8, y: 20, class: 'chart-label' }, 'no placement yet'));
      return s;
    }
    const t0 = moves[0].time_s;
    const t1 = Math.max(now, t0 + 1);
    const x = (t) => left + (W - left - 10) * (t - t0) / (t1 - t0);
    lanes.forEach((n, i) => {
      s.appendChild(svg('text', { x: 4, y: i * laneH + 18, class: 'chart-label' }, short(n)));
      s.appendChild(svg('line', { x1: left, x2: W - 10, y1: i * laneH + 14, y2: i * laneH + 14, class: 'chart-lane' }));
    });
    bars.forEach((b, i) => {
      const lane = lanes.indexOf(b.node);
      const r = svg('rect', { x: x(b.start), y: lane * laneH + 5, width: Math.max(3, x(b.end) - x(b.start)), height: 18, rx: 3, class: 'chart-bar bar-' + (i % 4), 'data-node-hash': b.node });
      r.appendChild(svg('title', null, short(b.node) + ', epoch ' + b.epoch + ': ' + fmtTime(b.start) + ' to ' + (b.end === now ? 'now' : fmtTime(b.end))));
      s.appendChild(r);
    });
    const axisY = lanes.length * laneH + 20;
    s.appendChild(svg('text', { x: left, y: axisY, class: 'chart-label' }, fmtTime(t0)));
    s.appendChild(svg('text', { x: W - 10, y: axisY, class: 'chart-label', 'text-anchor': 'end' }, 'now'));
    return s;
  }

  // ------------------------------------------------------------------ messages

  async function loadMessages() {
    const q = new URLSearchParams({ page_size: '50' });
    const type = $('#filter-type').value;
    if (type) q.set('type', type);
    const res = await getJson(API + '/messages?' + q.toString());
    if (!res.ok || !res.body || !Array.isArray(res.body.messages)) {
      showError(problem(res, 'Messages'));
    } else {
      answered(res.body);
      const tbody = $('#messages tbody');
      clear(tbody);
      const list = res.body.messages;
      for (const m of list) {
        const row = el('tr', { 'data-item-hash': m.item_hash, 'data-type': m.type, tabindex: 0, class: 'link-row', 'aria-selected': m.item_hash === state.selectedMessage ? 'true' : 'false' },
          el('td', null, typeof m.time === 'number' ? fmtTime(m.time) : '—'),
          el('td', null, String(m.type || '?')),
          el('td', { class: 'mono', title: m.sender || '' }, short(m.sender)),
          el('td', null, String(m.status || '')),
          el('th', { scope: 'row', class: 'mono' }, el('a', { href: '#/messages/' + encodeURIComponent(m.item_hash) }, short(m.item_hash)), m.name ? el('div', { class: 'muted small' }, String(m.name)) : null));
        tbody.appendChild(row);
      }
      const fresh = res.body.fresh ? '' : ' (the CCN did not answer: this is the last page it gave)';
      $('#messages-summary').textContent = list.length === 0
        ? (res.body.ccn && !res.body.ccn.reachable ? 'The CCN is unreachable and gave no page before.' : 'No message.')
        : list.length + ' newest message(s)' + (res.body.pagination && res.body.pagination.total != null ? ' of ' + res.body.pagination.total : '') + fresh + '.';
    }
    if (state.selectedMessage) await showMessage(state.selectedMessage);
  }

  async function showMessage(hash) {
    const pre = $('#message-json');
    if (!isHash(hash)) {
      pre.textContent = 'Not an item hash.';
      return;
    }
    const res = await getJson(API + '/messages/' + encodeURIComponent(hash));
    if (state.selectedMessage !== hash) return;
    if (res.ok && res.body) {
      pre.setAttribute('data-item-hash', hash);
      pre.textContent = JSON.stringify(res.body.answer, null, 2);
    } else {
      pre.setAttribute('data-item-hash', hash);
      pre.textContent = res.body && res.body.error ? String(res.body.error) : 'HTTP ' + res.status;
    }
  }

  // ------------------------------------------------------------------ live updates

  let source = null;
  let backoff = 1000;
  let reconnectTimer = null;

  function connect() {
    if (source) source.close();
    source = new EventSource(API + '/events');
    source.addEventListener('hello', () => {
      backoff = 1000;
      setLive(true);
      load(); // whatever changed while the stream was down
    });
    source.addEventListener('change', (ev) => {
      setLive(true);
      try {
        const d = JSON.parse(ev.data);
        if (d && d.ccn) showCcn(d.ccn);
      } catch (e) { /* a change without details still reloads */ }
      load();
    });
    source.onerror = () => {
      setLive(false);
      source.close();
      source = null;
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }

  function setLive(live) {
    state.live = live;
    if (live) state.lastUpdate = Date.now();
    paintConnection();
  }

  function paintConnection() {
    const c = $('#connection');
    c.setAttribute('data-state', state.live ? 'live' : 'stale');
    if (state.live) c.textContent = 'live';
    else if (state.lastUpdate) c.textContent = 'last update ' + Math.round((Date.now() - state.lastUpdate) / 1000) + ' s ago';
    else c.textContent = 'connecting…';
  }

  // ------------------------------------------------------------------ wiring

  function rowActivate(table, handler) {
    table.addEventListener('click', (e) => {
      if (e.target.closest('a')) return;
      const tr = e.target.closest('tr[data-item-hash]');
      if (tr) handler(tr.getAttribute('data-item-hash'));
    });
    table.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      if (e.target.closest('a')) return;
      const tr = e.target.closest('tr[data-item-hash]');
      if (!tr) return;
      e.preventDefault();
      handler(tr.getAttribute('data-item-hash'));
    });
  }

  function debounce(fn, ms) {
    let t = null;
    return () => {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  }

  function start() {
    rowActivate($('#programs'), (h) => { location.hash = '#/program/' + encodeURIComponent(h); });
    rowActivate($('#messages'), (h) => {
      if (location.hash === '#/messages/' + h) {
        state.selectedMessage = h;
        showMessage(h);
      } else {
        location.hash = '#/messages/' + encodeURIComponent(h);
      }
      for (const tr of document.querySelectorAll('#messages tbody tr')) {
        tr.setAttribute('aria-selected', tr.getAttribute('data-item-hash') === h ? 'true' : 'false');
      }
    });
    const reload = debounce(load, 250);
    $('#filter-owner').addEventListener('input', reload);
    $('#search').addEventListener('input', reload);
    $('#filter-state').addEventListener('change', load);
    $('#filter-type').addEventListener('change', load);
    for (const f of document.querySelectorAll('form.filters')) f.addEventListener('submit', (e) => { e.preventDefault(); load(); });
    window.addEventListener('hashchange', route);
    setInterval(() => { paintConnection(); refreshAgo(); }, 1000);
    if (!location.hash) history.replaceState(null, '', '#/network');
    route();
    connect();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
