// lifeguard's /ui: each machine drawn once — the models' parent (with models:), a pool, and the worker
// chart with the number of processes in each state lit — from /ui/*chart.json; a compact, sortable table
// of processes with one process's detail on demand (its transitions, last exit, countdown, context and
// memory over time, the admin buttons); the recent transitions (the server's ring buffer first, then
// live). Everything comes from /admin/events (its snapshot, then transitions and health figures).
(() => {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const tokenInput = $('token-input');
  tokenInput.value = sessionStorage.getItem('lifeguard-admin-token') || '';
  tokenInput.addEventListener('change', () => { sessionStorage.setItem('lifeguard-admin-token', tokenInput.value); connect(); });
  const headers = () => (tokenInput.value ? { authorization: 'Bearer ' + tokenInput.value } : {});

  const charts = { worker: null, pool: null, models: null };
  const drawn = { worker: null, pool: null, models: null };
  const values = new Map(); // worker → its machine's value (state path)
  const records = new Map(); // worker → its /health row
  const rows = new Map(); // worker → its <tr> in the process table
  const nextStart = new Map(); // worker → ms epoch of its next start while recovering
  const series = new Map(); // worker → [{ ctx, rss }]
  const histories = new Map(); // worker → its recent transitions, newest first
  const SERIES_LENGTH = 240;
  const HISTORY_LENGTH = 30;
  let selected = null; // the worker whose detail is open
  let sort = { key: null, dir: 1 };
  let poolModel = null; // the model whose pool is drawn (several models)
  let last = null; // the latest { health, machines }

  const el = (tag, attrs = {}, text) => { const e = document.createElement(tag); Object.assign(e, attrs); if (text !== undefined) e.textContent = text; return e; };
  const svgEl = (tag, attrs = {}, text) => { const e = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; };
  const pathOf = (value) => { const parts = []; let v = value; while (v && typeof v === 'object') { const k = Object.keys(v)[0]; parts.push(k); v = v[k]; } if (typeof v === 'string') parts.push(v); return parts; };
  const seconds = (ms) => (ms / 1000).toFixed(1) + ' s';
  // Every prefix of a state path: running, running.watching.
  const prefixes = (path) => path.map((_, i) => path.slice(0, i + 1).join('.'));

  // --- a compact chart: top-level states as boxes, their substates as a line inside each box ---
  // The worker's states have their places; another machine's states stand in a row.
  const WORKER_PLACES = { starting: [85, 130], healthy: [335, 50], draining: [585, 50], stopped: [835, 50], restarting: [585, 210], recovering: [335, 210], offline: [835, 210] };

  function drawChart(chart, options) {
    const { places, width, height, w: W, h: H, label, showInner } = options;
    const border = ([cx, cy], [tx, ty]) => {
      const dx = tx - cx, dy = ty - cy;
      const t = Math.min((W / 2 + 4) / Math.abs(dx || 1e-9), (H / 2 + 4) / Math.abs(dy || 1e-9));
      return [cx + dx * t, cy + dy * t];
    };
    const notes = [];
    // What a state does without leaving it, packed into lines that fit the drawing (about 6 px a character).
    const fits = Math.floor(width / 6);
    if (showInner) {
      for (const inner of chart.inner ?? []) {
        let line = inner.state + ' ⟲ ';
        inner.events.forEach((event, i) => {
          const next = (i ? ' · ' : '') + event;
          if (i && line.length + next.length > fits) { notes.push(line); line = '   ' + event; } else line += next;
        });
        notes.push(line);
      }
    }
    const anyState = chart.anyState.map((t) => `${t.event} → ${t.to} from any state`).join(' · ');
    if (anyState) notes.push(anyState);
    const fullHeight = height + notes.length * 14;
    const svg = svgEl('svg', { viewBox: `0 0 ${width} ${fullHeight}`, role: 'img', 'aria-label': label });
    const marker = svgEl('marker', { id: 'arrow-' + options.id, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
    marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#94a3b8' }));
    const defs = svgEl('defs');
    defs.append(marker);
    svg.append(defs);
    const arrow = `url(#arrow-${options.id})`;
    const at = new Map(chart.states.map((s, i) => [s.id, places(s.id, i)]));
    const pairs = new Set(chart.edges.map((e) => e.from + '>' + e.to));
    for (const edge of chart.edges) {
      const a = at.get(edge.from), b = at.get(edge.to);
      if (!a || !b) continue;
      // Two-way pairs are drawn apart so both arrows and labels stay readable.
      const both = pairs.has(edge.to + '>' + edge.from);
      const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
      const off = both ? 9 : 0;
      const nx = (-(b[1] - a[1]) / len) * off, ny = ((b[0] - a[0]) / len) * off;
      const p = border([a[0] + nx, a[1] + ny], [b[0] + nx, b[1] + ny]);
      const q = border([b[0] + nx, b[1] + ny], [a[0] + nx, a[1] + ny]);
      const g = svgEl('g', { class: 'edge', 'data-from': edge.from, 'data-to': edge.to });
      g.append(svgEl('title', {}, edge.from + ' → ' + edge.to + ': ' + edge.events.join(' | ')));
      g.append(svgEl('path', { d: `M${p[0]},${p[1]} L${q[0]},${q[1]}`, 'marker-end': arrow }));
      const text = edge.events.length > 1 ? edge.events[0] + ' +' + (edge.events.length - 1) : edge.events[0];
      // A level edge is short: its label goes above the top row or below the bottom row, clear of the boxes.
      const level = Math.abs(b[1] - a[1]) < 5;
      const mx = (p[0] + q[0]) / 2 + nx * 1.4;
      const my = level ? (a[1] < 130 ? a[1] - H / 2 - 6 : a[1] + H / 2 + 13) : (p[1] + q[1]) / 2 + ny * 1.4 - 3;
      g.append(svgEl('text', { x: mx, y: my, 'text-anchor': 'middle' }, text));
      svg.append(g);
    }
    chart.states.forEach((state) => {
      const [cx, cy] = at.get(state.id);
      const g = svgEl('g', { class: 'node ' + state.tags.join(' '), 'data-id': state.id, 'data-count': '0' });
      const inner = (chart.inner ?? []).find((i) => i.state === state.id);
      if (inner) g.append(svgEl('title', {}, `${state.id}: ${inner.events.join(' | ')}`));
      g.append(svgEl('rect', { x: cx - W / 2, y: cy - H / 2, width: W, height: H, rx: state.final ? 22 : 10 }));
      g.append(svgEl('text', { x: cx, y: cy - 8, 'text-anchor': 'middle', 'font-weight': '600' }, state.id));
      g.append(svgEl('text', { x: cx, y: cy + 7, 'text-anchor': 'middle', class: 'tag' }, state.tags.join(', ')));
      if (state.substates.length) {
        const line = svgEl('text', { x: cx, y: cy + 23, 'text-anchor': 'middle' });
        state.substates.forEach((sub, i) => {
          if (i) line.append(svgEl('tspan', { class: 'sub' }, ' · '));
          const name = sub.split('.').pop();
          const span = svgEl('tspan', { class: 'sub', 'data-sub': sub, 'data-name': name }, name);
          line.append(span);
        });
        g.append(line);
      }
      if (options.counts) {
        const badge = svgEl('g', { class: 'badge' });
        badge.append(svgEl('circle', { cx: cx + W / 2 - 2, cy: cy - H / 2 + 2, r: 13 }));
        badge.append(svgEl('text', { x: cx + W / 2 - 2, y: cy - H / 2 + 6.5, 'text-anchor': 'middle', 'data-role': 'count' }, '0'));
        g.append(badge);
      }
      svg.append(g);
    });
    if (chart.initial && at.get(chart.initial)) {
      const [x, y] = at.get(chart.initial);
      svg.append(svgEl('circle', { cx: x - W / 2 - 22, cy: y, r: 6, fill: '#475569' }));
      svg.append(svgEl('path', { d: `M${x - W / 2 - 16},${y} L${x - W / 2 - 4},${y}`, stroke: '#475569', 'marker-end': arrow }));
    }
    notes.forEach((note, i) => svg.append(svgEl('text', { x: 10, y: height + 4 + i * 14, class: 'note' }, note)));
    return svg;
  }

  const rowPlaces = (id, index) => [130 + index * 260, 60];
  function drawAll() {
    if (charts.worker) $('worker-chart').replaceChildren(drawn.worker = drawChart(charts.worker, { id: 'worker', places: (id, i) => WORKER_PLACES[id] || [85 + (i % 4) * 250, 300], width: 920, height: 272, w: 150, h: 62, label: 'worker lifecycle, top-level states, with the number of processes in each', counts: true }));
    if (charts.pool) $('pool-chart').replaceChildren(drawn.pool = drawChart(charts.pool, { id: 'pool', places: rowPlaces, width: 130 + (charts.pool.states.length - 1) * 260 + 130, height: 110, w: 190, h: 62, label: 'the pool statechart, its state lit', showInner: true }));
    if (charts.models) $('models-chart').replaceChildren(drawn.models = drawChart(charts.models, { id: 'models', places: rowPlaces, width: 130 + (charts.models.states.length - 1) * 260 + 130, height: 110, w: 210, h: 62, label: "the models' parent statechart, its state lit", showInner: true }));
  }

  // One machine's state lit: its top-level state and the substate it is in.
  function lightValue(svg, value) {
    if (!svg) return;
    svg.querySelectorAll('.current').forEach((n) => n.classList.remove('current'));
    if (value === null || value === undefined) return;
    const path = pathOf(value);
    svg.querySelector(`g.node[data-id="${path[0]}"]`)?.classList.add('current');
    for (const sub of prefixes(path).slice(1)) svg.querySelector(`tspan[data-sub="${sub}"]`)?.classList.add('current');
  }

  // The worker chart: every state with the number of processes in it, lit when any is.
  function lightCounts() {
    const svg = drawn.worker;
    if (!svg) return;
    const counts = new Map();
    for (const id of records.keys()) for (const key of prefixes(pathOf(values.get(id) ?? records.get(id).status))) counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const node of svg.querySelectorAll('g.node')) {
      const n = counts.get(node.dataset.id) ?? 0;
      node.dataset.count = String(n);
      node.classList.toggle('current', n > 0);
      node.querySelector('[data-role="count"]').textContent = String(n);
    }
    for (const span of svg.querySelectorAll('tspan[data-sub]')) {
      const n = counts.get(span.dataset.sub) ?? 0;
      span.classList.toggle('current', n > 0);
      span.dataset.count = String(n);
      span.textContent = span.dataset.name + (n > 0 && records.size > 1 ? ' ' + n : '');
    }
    $('worker-total').textContent = `(${records.size} process${records.size === 1 ? '' : 'es'})`;
  }

  // --- the process table ---
  const STATE_ORDER = ['starting', 'healthy', 'draining', 'restarting', 'recovering', 'offline', 'stopped'];
  const localId = (r) => (r.model ? r.id.slice(r.model.length + 1) : r.id);
  const held = (r) => r.conversation && typeof r.conversation === 'object';
  const SORT_KEYS = {
    model: (r) => r.model ?? null,
    worker: (r) => localId(r),
    state: (r) => STATE_ORDER.indexOf(stateOf(r)),
    conversation: (r) => (held(r) ? conversationHash(r.conversation) : r.conversation === 'clean' ? '' : null),
    turns: (r) => turnsOf(r),
    idle: (r) => (held(r) ? r.conversation.idle_s : null),
    memory: (r) => r.rss_mb,
    restarts: (r) => r.restart_count,
    tenant: (r) => r.tenant ?? null,
  };
  // A conversation's short hash as /health shows it: its session key's 8 hex digits, or its digest's first 8.
  const conversationHash = (c) => String(c.key ?? c.digest ?? '').slice(0, 8);
  const stateOf = (r) => pathOf(values.get(r.id) ?? r.status)[0] ?? r.status;
  const turnsOf = (r) => (held(r) ? r.conversation.turns : r.context_usage?.turns ?? null);
  const compare = (a, b) => {
    if (a === b) return 0;
    if (a === null || a === undefined) return 1;
    if (b === null || b === undefined) return -1;
    if (typeof a === 'number' && typeof b === 'number') return (a - b) * sort.dir;
    return String(a).localeCompare(String(b), undefined, { numeric: true }) * sort.dir;
  };

  function rowOf(id) {
    let row = rows.get(id);
    if (row) return row;
    row = el('tr');
    row.dataset.worker = id;
    for (const col of Object.keys(SORT_KEYS)) { const td = el('td'); td.dataset.col = col; if (['turns', 'idle', 'memory', 'restarts'].includes(col)) td.className = 'num'; row.append(td); }
    row.addEventListener('click', () => select(id));
    rows.set(id, row);
    return row;
  }

  function fillRow(r) {
    const row = rowOf(r.id);
    const path = pathOf(values.get(r.id) ?? r.status);
    const cell = (col) => row.querySelector(`td[data-col="${col}"]`);
    row.dataset.state = path[0] ?? '';
    row.dataset.model = r.model ?? '';
    row.classList.toggle('selected', r.id === selected);
    cell('model').textContent = r.model ?? '—';
    cell('worker').textContent = localId(r);
    const state = el('span', { className: 'state ' + (path[0] ?? '') }, path[0] ?? '');
    const sub = el('span', { className: 'substate' }, path.length > 1 ? ' ' + path.slice(1).join('.') : '');
    cell('state').replaceChildren(state, sub);
    // The conversation as /health shows it (8 hex digits; a session key itself is never shown), "clean", or —.
    const c = r.conversation;
    const conversation = cell('conversation');
    conversation.textContent = held(r) ? conversationHash(c) + (c.lane ? ' (lane)' : '') : c === 'clean' ? 'clean' : '—';
    conversation.title = held(r) ? `${c.key ? 'session key ' + c.key + ', ' : ''}digest ${c.digest ?? '—'}` : '';
    cell('turns').textContent = turnsOf(r) ?? '';
    cell('idle').textContent = held(r) ? c.idle_s + ' s' : '';
    cell('memory').textContent = r.rss_mb === null || r.rss_mb === undefined ? '—' : r.rss_mb + ' MB';
    cell('restarts').textContent = String(r.restart_count);
    cell('tenant').textContent = r.tenant ?? '—';
  }

  function orderRows() {
    const list = [...records.values()];
    if (sort.key) {
      const key = SORT_KEYS[sort.key];
      list.sort((a, b) => compare(key(a), key(b)) || a.id.localeCompare(b.id, undefined, { numeric: true }));
    }
    const body = $('process-rows');
    list.forEach((r, i) => { const row = rows.get(r.id); if (body.children[i] !== row) body.insertBefore(row, body.children[i] ?? null); });
    for (const th of document.querySelectorAll('#process-table th[data-sort]')) {
      const on = th.dataset.sort === sort.key;
      th.classList.toggle('sorted', on);
      if (on) th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending'); else th.removeAttribute('aria-sort');
    }
  }

  for (const th of document.querySelectorAll('#process-table th[data-sort]')) {
    th.addEventListener('click', () => {
      sort = sort.key === th.dataset.sort ? { key: sort.key, dir: -sort.dir } : { key: th.dataset.sort, dir: 1 };
      orderRows();
    });
  }

  // --- one process's detail, on demand ---
  const detail = $('detail');
  const part = (role) => detail.querySelector(`[data-role="${role}"]`);
  for (const button of detail.querySelectorAll('button[data-command]')) button.addEventListener('click', () => selected && admin(selected, button.dataset.command));
  $('detail-close').addEventListener('click', () => select(null));

  function select(id) {
    selected = id;
    for (const [wid, row] of rows) row.classList.toggle('selected', wid === id);
    detail.hidden = id === null;
    if (id === null) delete detail.dataset.worker; else detail.dataset.worker = id;
    part('history').replaceChildren();
    renderDetail();
    for (const t of (id && histories.get(id)) || []) part('history').append(historyRow(t));
  }

  function describeExit(exit) {
    if (!exit) return 'no exit yet';
    const how = exit.error ? `could not start (${exit.error})` : `code=${exit.code} signal=${exit.signal ?? '—'}`;
    const when = exit.at ? ' at ' + new Date(exit.at).toLocaleTimeString() : '';
    return `last exit: ${how}, ${exit.class}, after ${seconds(exit.run_duration_ms ?? 0)}${when}`;
  }

  function sparkline(svg, points, max, limit) {
    svg.replaceChildren();
    if (limit !== null && max > 0) { const y = 48 - (limit / max) * 46; svg.append(svgEl('line', { x1: 0, x2: 240, y1: y, y2: y })); }
    if (points.length < 2) return;
    const step = 240 / (SERIES_LENGTH - 1);
    const start = 240 - step * (points.length - 1);
    svg.append(svgEl('polyline', { points: points.map((v, i) => `${(start + i * step).toFixed(1)},${(48 - (max > 0 ? Math.min(v, max) / max : 0) * 46).toFixed(1)}`).join(' ') }));
  }

  function renderDetail() {
    if (selected === null) return;
    const w = records.get(selected);
    if (!w) { select(null); return; }
    const path = pathOf(values.get(w.id) ?? w.status);
    const top = path[0] ?? '';
    detail.dataset.state = top;
    part('id').textContent = w.id;
    part('state').textContent = top;
    part('state').className = 'state ' + top;
    part('substate').textContent = path.length > 1 ? path.slice(1).join('.') : '';
    // Buttons only where they act: restart/drain a serving worker, recover an offline one.
    for (const button of detail.querySelectorAll('button[data-command]')) button.hidden = button.dataset.command === 'recover' ? top !== 'offline' : top !== 'healthy';
    part('details').textContent = `${w.model ? 'model ' + w.model + ' · ' : ''}pid ${w.pid ?? '—'} · restarts ${w.restart_count} · crashes ${w.crash_count} · failures in a row ${w.consecutive_failures} · in flight ${w.in_flight}${w.parked_tool_calls ? ` · parked tool calls ${w.parked_tool_calls}` : ''}${w.tenant ? ' · tenant ' + w.tenant : ''}`;
    part('last-exit').textContent = describeExit(w.last_exit);
    const c = w.conversation;
    part('conversation').textContent = held(w) ? `conversation ${c.digest ?? '—'}${c.key ? ' (key ' + c.key + ')' : ''}${c.lane ? ', a lane' : ''}: ${c.turns} turns, idle ${c.idle_s} s` : c === 'clean' ? 'clean: has served nothing since it started' : 'holds no conversation';
    const offline = part('offline');
    offline.hidden = top !== 'offline';
    offline.textContent = top === 'offline' ? `offline: ${w.offline_reason ?? 'unknown'} — fix the cause, then recover` : '';
    const u = w.context_usage || {};
    const ctx = Math.max(u.token_pct ?? 0, u.turn_pct ?? 0);
    const points = series.get(w.id) ?? [];
    part('context-label').textContent = `context ${ctx.toFixed(1)} % (tokens ${u.tokens ?? 0}/${u.token_limit || '∞'}, turns ${u.turns ?? 0}/${u.turn_limit || '∞'})`;
    part('memory-label').textContent = `memory ${w.rss_mb ?? '—'} MB (worker tree)`;
    sparkline(part('context-history'), points.map((p) => p.ctx), 100, 80);
    const rssMax = Math.max(1, ...points.map((p) => p.rss)) * 1.2;
    sparkline(part('memory-history'), points.map((p) => p.rss), rssMax, null);
    tick();
  }

  // --- the pool (one, or the chosen model's) and the models' parent ---
  const poolSelect = $('pool-model');
  poolSelect.addEventListener('change', () => { poolModel = poolSelect.value; if (last) renderMachines(last.health, last.machines); });

  function renderMachines(h, machines) {
    const models = Array.isArray(h.models) ? h.models : null;
    $('models-panel').hidden = !models;
    $('full-models-chart').hidden = !models;
    poolSelect.hidden = !models;
    let figures = h.pool ?? null;
    let value = machines?.pools?.[0]?.value ?? null;
    if (models) {
      if (!models.some((m) => m.id === poolModel)) poolModel = (models.find((m) => m.phase !== 'unloaded') ?? models[0])?.id ?? null;
      const ids = models.map((m) => m.id);
      if ([...poolSelect.options].map((o) => o.value).join('\n') !== ids.join('\n')) poolSelect.replaceChildren(...ids.map((id) => el('option', { value: id }, id)));
      poolSelect.value = poolModel;
      const model = models.find((m) => m.id === poolModel);
      figures = model?.pool ?? null;
      value = machines?.pools?.find((p) => p.model === poolModel)?.value ?? null;
      $('pool').dataset.model = poolModel ?? '';
      lightValue(drawn.models, machines?.models ?? null);
      renderPhases(models);
    }
    $('pool').dataset.state = value === null ? '' : pathOf(value).join('.');
    lightValue(drawn.pool, value);
    const shown = figures ? Object.entries(figures).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v && typeof v === 'object' ? Object.entries(v).map(([a, b]) => `${a} ${b}`).join(', ') : v}`).join(' · ') : '';
    const model = models?.find((m) => m.id === poolModel);
    $('pool-figures').textContent = model && model.phase === 'unloaded' ? `model ${model.id} is unloaded: it has no pool now` : shown;
  }

  // Each model in its phase of the lifecycle the parent keeps (unloaded → starting → serving → draining → stopping).
  function renderPhases(models) {
    const lifecycle = charts.models?.lifecycle;
    if (!lifecycle) return;
    const box = $('model-phases');
    box.replaceChildren(...lifecycle.phases.flatMap((phase, i) => {
      const here = models.filter((m) => m.phase === phase);
      const out = lifecycle.edges.filter((e) => e.from === phase).map((e) => `→ ${e.to}: ${e.events.join(' | ')}`).join('\n');
      const div = el('div', { className: 'phase' + (here.length ? ' current' : ''), title: out });
      div.dataset.phase = phase;
      div.dataset.count = String(here.length);
      div.append(el('b', {}, phase), ...here.map((m) => { const chip = el('span', { className: 'chip' }, m.id); chip.dataset.model = m.id; return chip; }));
      return i ? [el('span', { className: 'arrow' }, '→'), div] : [div];
    }));
  }

  // The model table (several models): one row per model, its phase lit, an unload button while it serves.
  function renderModels(h) {
    $('models').hidden = !Array.isArray(h.models);
    if (!h.models) return;
    $('model-rows').replaceChildren(...h.models.map((m) => {
      const row = el('tr', { className: 'phase-' + m.phase });
      row.dataset.model = m.id;
      row.dataset.phase = m.phase;
      row.title = 'show its pool';
      row.addEventListener('click', (event) => { if (event.target.tagName === 'BUTTON') return; poolModel = m.id; if (last) renderMachines(last.health, last.machines); });
      const unload = el('button', { hidden: m.phase !== 'serving', title: 'drain its requests, then stop its processes' }, 'unload');
      unload.dataset.modelCommand = 'unload';
      unload.addEventListener('click', () => modelAdmin(m.id, 'unload'));
      const actions = el('td');
      actions.append(unload);
      row.append(el('td', {}, m.id), el('td', {}, m.aliases.join(', ')), el('td', { className: 'phase' }, m.phase), el('td', {}, String(m.status)), el('td', {}, String(m.waiting)),
        el('td', {}, String(m.in_flight)), el('td', {}, String(m.workers.length)), el('td', {}, m.ttl_s === null ? '—' : m.ttl_s + ' s'), el('td', {}, m.exclusive ?? '—'), actions);
      return row;
    }));
  }

  function render(data) {
    const h = data.health;
    last = { health: h, machines: data.machines ?? null };
    const s = h.stats;
    const figures = [['queue', s.queue_depth], ['in flight', s.in_flight], ['requests', s.total_requests], ['errors', s.total_errors],
      ['restarts', s.restart_count], ['crashes', s.crash_count], ['gateway RSS', h.memory.rss_mb + ' MB'], ['workers RSS', h.memory.worker_rss_mb + ' MB'], ['uptime', s.uptime_s + ' s']];
    $('figures').replaceChildren(...figures.map(([label, value]) => { const f = el('span', {}, label + ': '); f.append(el('b', {}, String(value))); return f; }));
    $('status-line').textContent = h.message ? `${h.status}: ${h.message}` : h.status;
    for (const w of data.workers ?? []) values.set(w.id, w.value);
    // Several models: a worker row names its model (older servers: found in the model table).
    const modelOf = new Map((h.models ?? []).flatMap((m) => m.workers.map((id) => [id, m.id])));
    const live = new Set();
    for (const w of h.workers) {
      const r = { ...w, model: w.model ?? modelOf.get(w.id) ?? null };
      live.add(r.id);
      records.set(r.id, r);
      if (r.status !== 'recovering') nextStart.delete(r.id);
      const u = r.context_usage || {};
      const points = series.get(r.id) ?? [];
      points.push({ ctx: Math.max(u.token_pct ?? 0, u.turn_pct ?? 0), rss: r.rss_mb ?? 0 });
      if (points.length > SERIES_LENGTH) points.shift();
      series.set(r.id, points);
      fillRow(r);
    }
    // Workers of a model that was unloaded (or retired by the pool) leave the page.
    for (const id of [...records.keys()]) {
      if (live.has(id)) continue;
      records.delete(id); values.delete(id); series.delete(id); histories.delete(id); nextStart.delete(id);
      rows.get(id)?.remove(); rows.delete(id);
    }
    orderRows();
    lightCounts();
    renderModels(h);
    renderMachines(h, data.machines ?? null);
    renderDetail();
  }

  // --- transitions ---
  function historyRow(t) {
    const why = t.reason + (t.restart_reason && t.restart_reason !== t.reason && t.to !== 'healthy' ? ` (after ${t.restart_reason})` : '');
    const row = el('tr');
    row.dataset.to = t.to;
    row.append(el('td', { className: 'time' }, new Date(t.at).toLocaleTimeString()), el('td', {}, (t.from ?? '∅') + ' → ' + t.to), el('td', {}, why ?? ''));
    return row;
  }

  function addTransition(t) {
    const row = el('tr');
    row.dataset.worker = t.worker;
    row.dataset.to = t.to;
    const why = t.reason + (t.restart_reason && t.restart_reason !== t.reason && t.to !== 'healthy' ? ` (after ${t.restart_reason})` : '');
    row.append(el('td', { className: 'time' }, new Date(t.at).toLocaleTimeString()), el('td', {}, t.worker), el('td', {}, (t.from ?? '∅') + ' → ' + t.to), el('td', {}, why ?? ''));
    const body = $('transitions');
    body.prepend(row);
    while (body.children.length > 200) body.lastChild.remove();
    const history = histories.get(t.worker) ?? [];
    history.unshift(t);
    if (history.length > HISTORY_LENGTH) history.pop();
    histories.set(t.worker, history);
    if (t.to === 'recovering' && t.next_start_at) nextStart.set(t.worker, Date.parse(t.next_start_at));
    else if (t.to !== 'recovering') nextStart.delete(t.worker);
    values.set(t.worker, t.value);
    drawn.worker?.querySelectorAll('g.edge.recent').forEach((g) => g.classList.remove('recent'));
    drawn.worker?.querySelector(`g.edge[data-from="${t.from}"][data-to="${t.to}"]`)?.classList.add('recent');
    const record = records.get(t.worker);
    if (record) fillRow(record);
    if (t.worker === selected) {
      const list = part('history');
      list.prepend(historyRow(t));
      while (list.children.length > HISTORY_LENGTH) list.lastChild.remove();
      renderDetail();
    }
  }

  function tick() {
    const box = part('countdown');
    const due = selected === null ? undefined : nextStart.get(selected);
    box.hidden = due === undefined || detail.dataset.state !== 'recovering';
    if (!box.hidden) box.textContent = `next start in ${seconds(Math.max(0, due - Date.now()))}`;
  }
  setInterval(tick, 100);

  // --- admin commands ---
  async function admin(id, command) {
    const message = $('message');
    const response = await fetch(`/admin/workers/${encodeURIComponent(id)}/${command}`, { method: 'POST', headers: headers() });
    const body = await response.json().catch(() => ({}));
    message.className = response.ok ? 'ok' : '';
    message.textContent = response.ok ? `${id}: ${command} accepted` : `${id}: ${command} refused (${response.status}): ${body.error?.message ?? response.statusText}`;
  }

  async function modelAdmin(id, command) {
    const message = $('message');
    const response = await fetch(`/admin/models/${encodeURIComponent(id)}/${command}`, { method: 'POST', headers: headers() });
    const body = await response.json().catch(() => ({}));
    message.className = response.ok ? 'ok' : '';
    message.textContent = response.ok ? `model ${id}: ${command} accepted` : `model ${id}: ${command} refused (${response.status}): ${body.error?.message ?? response.statusText}`;
  }

  // --- the live connection (fetch-based SSE, so the admin token can travel as a header) ---
  let controller = null;
  async function connect() {
    controller?.abort();
    controller = new AbortController();
    const connection = $('connection');
    try {
      const response = await fetch('/admin/events', { headers: headers(), signal: controller.signal });
      if (!response.ok) { connection.textContent = response.status === 401 ? 'admin token needed' : 'error ' + response.status; connection.className = 'down'; return; }
      connection.textContent = 'live';
      connection.className = 'live';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue;
          const payload = JSON.parse(data);
          if (event === 'snapshot') {
            $('transitions').replaceChildren();
            histories.clear();
            render(payload);
            for (const t of payload.transitions ?? []) addTransition(t);
            // The ring buffer's transitions are older than the snapshot: the snapshot's states stand.
            for (const w of payload.workers) values.set(w.id, w.value);
            for (const r of records.values()) fillRow(r);
            lightCounts();
            if (selected) select(selected);
          } else if (event === 'health') render(payload);
          else if (event === 'transition') { addTransition(payload); lightCounts(); }
        }
      }
      throw new Error('stream ended');
    } catch (error) {
      if (controller.signal.aborted) return;
      connection.textContent = 'reconnecting…';
      connection.className = 'down';
      setTimeout(connect, 1000);
    }
  }

  for (const full of document.querySelectorAll('details.full-chart')) {
    full.addEventListener('toggle', () => { const img = full.querySelector('img'); if (full.open && !img.src) img.src = img.dataset.src; });
  }

  Promise.all(['/ui/chart.json', '/ui/pool-chart.json', '/ui/models-chart.json'].map((url) => fetch(url).then((r) => r.json()))).then(([worker, pool, models]) => {
    Object.assign(charts, { worker, pool, models });
    drawAll();
    connect();
  });
})();
