// lifeguard's /ui: the compact statechart of each worker (from /ui/chart.json), its state lit live
// from /admin/events, the recent transitions (the server's ring buffer first, then live), each
// worker's last exit and its countdown to the next start, and context and memory over time.
(() => {
  'use strict';
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);
  const tokenInput = $('token-input');
  tokenInput.value = sessionStorage.getItem('lifeguard-admin-token') || '';
  tokenInput.addEventListener('change', () => { sessionStorage.setItem('lifeguard-admin-token', tokenInput.value); connect(); });
  const headers = () => (tokenInput.value ? { authorization: 'Bearer ' + tokenInput.value } : {});

  let chart = null;
  const cards = new Map();
  const nextStart = new Map(); // worker → ms epoch of its next start while recovering
  const series = new Map(); // worker → [{ ctx, rss }]
  const SERIES_LENGTH = 240;

  const el = (tag, attrs = {}, text) => { const e = document.createElement(tag); Object.assign(e, attrs); if (text !== undefined) e.textContent = text; return e; };
  const svgEl = (tag, attrs = {}, text) => { const e = document.createElementNS(SVG, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; };
  const pathOf = (value) => { const parts = []; let v = value; while (v && typeof v === 'object') { const k = Object.keys(v)[0]; parts.push(k); v = v[k]; } if (typeof v === 'string') parts.push(v); return parts; };
  const seconds = (ms) => (ms / 1000).toFixed(1) + ' s';

  // --- the compact chart: top-level states on a fixed grid, substates as a line inside each box ---
  const PLACES = { starting: [85, 130], healthy: [335, 50], draining: [585, 50], stopped: [835, 50], restarting: [585, 210], recovering: [335, 210], offline: [835, 210] };
  const W = 150, H = 62;

  function place(id, index) { return PLACES[id] || [85 + (index % 4) * 250, 300]; }

  function border([cx, cy], [tx, ty]) {
    const dx = tx - cx, dy = ty - cy;
    const t = Math.min((W / 2 + 4) / Math.abs(dx || 1e-9), (H / 2 + 4) / Math.abs(dy || 1e-9));
    return [cx + dx * t, cy + dy * t];
  }

  function drawChart() {
    const svg = svgEl('svg', { viewBox: '0 0 920 280', role: 'img', 'aria-label': 'worker lifecycle, top-level states' });
    const defs = svgEl('defs');
    const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
    marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#94a3b8' }));
    defs.append(marker);
    svg.append(defs);
    const at = new Map(chart.states.map((s, i) => [s.id, place(s.id, i)]));
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
      g.append(svgEl('path', { d: `M${p[0]},${p[1]} L${q[0]},${q[1]}`, 'marker-end': 'url(#arrow)' }));
      const label = edge.events.length > 1 ? edge.events[0] + ' +' + (edge.events.length - 1) : edge.events[0];
      // A level edge is short: its label goes above the top row or below the bottom row, clear of the boxes.
      const level = Math.abs(b[1] - a[1]) < 5;
      const mx = (p[0] + q[0]) / 2 + nx * 1.4;
      const my = level ? (a[1] < 130 ? a[1] - H / 2 - 6 : a[1] + H / 2 + 13) : (p[1] + q[1]) / 2 + ny * 1.4 - 3;
      g.append(svgEl('text', { x: mx, y: my, 'text-anchor': 'middle' }, label));
      svg.append(g);
    }
    chart.states.forEach((state) => {
      const [cx, cy] = at.get(state.id);
      const g = svgEl('g', { class: 'node ' + state.tags.join(' '), 'data-id': state.id });
      g.append(svgEl('rect', { x: cx - W / 2, y: cy - H / 2, width: W, height: H, rx: state.final ? 22 : 10 }));
      g.append(svgEl('text', { x: cx, y: cy - 8, 'text-anchor': 'middle', 'font-weight': '600' }, state.id));
      g.append(svgEl('text', { x: cx, y: cy + 7, 'text-anchor': 'middle', class: 'tag' }, state.tags.join(', ')));
      if (state.substates.length) {
        const line = svgEl('text', { x: cx, y: cy + 23, 'text-anchor': 'middle' });
        state.substates.forEach((sub, i) => {
          if (i) line.append(svgEl('tspan', { class: 'sub' }, ' · '));
          line.append(svgEl('tspan', { class: 'sub', 'data-sub': sub }, sub.split('.').pop()));
        });
        g.append(line);
      }
      svg.append(g);
    });
    if (chart.initial && at.get(chart.initial)) {
      const [x, y] = at.get(chart.initial);
      svg.append(svgEl('circle', { cx: x - W / 2 - 22, cy: y, r: 6, fill: '#475569' }));
      svg.append(svgEl('path', { d: `M${x - W / 2 - 16},${y} L${x - W / 2 - 4},${y}`, stroke: '#475569', 'marker-end': 'url(#arrow)' }));
    }
    const note = chart.anyState.map((t) => `${t.event} → ${t.to} from any state`).join(' · ');
    if (note) svg.append(svgEl('text', { x: 10, y: 274, class: 'note' }, note));
    return svg;
  }

  // --- a worker's card ---
  function card(id) {
    if (cards.has(id)) return cards.get(id);
    const root = $('worker-card').content.firstElementChild.cloneNode(true);
    root.dataset.worker = id;
    const part = (role) => root.querySelector(`[data-role="${role}"]`);
    part('id').textContent = id;
    if (chart) part('chart').append(drawChart());
    for (const button of root.querySelectorAll('button[data-command]')) button.addEventListener('click', () => admin(id, button.dataset.command));
    $('workers').append(root);
    const entry = { root, part };
    cards.set(id, entry);
    return entry;
  }

  function light(entry, value) {
    const path = pathOf(value);
    const top = path[0] || '';
    entry.root.dataset.state = top;
    entry.root.querySelectorAll('.chart .current').forEach((n) => n.classList.remove('current'));
    entry.root.querySelector(`.chart g.node[data-id="${top}"]`)?.classList.add('current');
    const sub = path.join('.');
    entry.root.querySelector(`.chart tspan[data-sub="${sub}"]`)?.classList.add('current');
    entry.part('state').textContent = top;
    entry.part('state').className = 'state ' + top;
    entry.part('substate').textContent = path.length > 1 ? path.slice(1).join('.') : '';
    // Buttons only where they act: restart/drain a serving worker, recover an offline one.
    for (const button of entry.root.querySelectorAll('button[data-command]')) {
      button.hidden = button.dataset.command === 'recover' ? top !== 'offline' : top !== 'healthy';
    }
  }

  function describeExit(exit) {
    if (!exit) return 'no exit yet';
    const how = exit.error ? `could not start (${exit.error})` : `code=${exit.code} signal=${exit.signal ?? '—'}`;
    const when = exit.at ? ' at ' + new Date(exit.at).toLocaleTimeString() : '';
    return `last exit: ${how}, ${exit.class}, after ${seconds(exit.run_duration_ms ?? 0)}${when}`;
  }

  function sparkline(svg, values, max, limit) {
    svg.replaceChildren();
    if (limit !== null && max > 0) { const y = 48 - (limit / max) * 46; svg.append(svgEl('line', { x1: 0, x2: 240, y1: y, y2: y })); }
    if (values.length < 2) return;
    const step = 240 / (SERIES_LENGTH - 1);
    const start = 240 - step * (values.length - 1);
    svg.append(svgEl('polyline', { points: values.map((v, i) => `${(start + i * step).toFixed(1)},${(48 - (max > 0 ? Math.min(v, max) / max : 0) * 46).toFixed(1)}`).join(' ') }));
  }

  function renderWorker(w, states) {
    const entry = card(w.id);
    const state = states.find((s) => s.id === w.id);
    light(entry, state ? state.value : w.status);
    entry.part('details').textContent = `pid ${w.pid ?? '—'} · restarts ${w.restart_count} · crashes ${w.crash_count} · failures in a row ${w.consecutive_failures} · in flight ${w.in_flight}${w.parked_tool_calls ? ` · parked tool calls ${w.parked_tool_calls}` : ''}`;
    entry.part('last-exit').textContent = describeExit(w.last_exit);
    const offline = entry.part('offline');
    offline.hidden = w.status !== 'offline';
    offline.textContent = w.status === 'offline' ? `offline: ${w.offline_reason ?? 'unknown'} — fix the cause, then recover` : '';
    if (w.status !== 'recovering') nextStart.delete(w.id);
    const u = w.context_usage || {};
    const ctx = Math.max(u.token_pct ?? 0, u.turn_pct ?? 0);
    const points = series.get(w.id) ?? [];
    points.push({ ctx, rss: w.rss_mb ?? 0 });
    if (points.length > SERIES_LENGTH) points.shift();
    series.set(w.id, points);
    entry.part('context-label').textContent = `context ${ctx.toFixed(1)} % (tokens ${u.tokens ?? 0}/${u.token_limit || '∞'}, turns ${u.turns ?? 0}/${u.turn_limit || '∞'})`;
    entry.part('memory-label').textContent = `memory ${w.rss_mb ?? '—'} MB (worker tree)`;
    sparkline(entry.part('context-history'), points.map((p) => p.ctx), 100, 80);
    const rssMax = Math.max(1, ...points.map((p) => p.rss)) * 1.2;
    sparkline(entry.part('memory-history'), points.map((p) => p.rss), rssMax, null);
    tick();
  }

  function renderPool(h) {
    // The pool (issue: conversations) adds `conversation` per worker and `pool` figures to /health.
    const withConversation = h.workers.filter((w) => 'conversation' in w);
    $('pool').hidden = !h.pool && withConversation.length === 0;
    if ($('pool').hidden) return;
    $('pool-figures').textContent = h.pool ? Object.entries(h.pool).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v && typeof v === 'object' ? Object.entries(v).map(([a, b]) => `${a} ${b}`).join(', ') : v}`).join(' · ') : '';
    $('conversations').replaceChildren(...h.workers.map((w) => {
      const c = w.conversation;
      const row = el('tr');
      row.dataset.worker = w.id;
      // A conversation ({ digest, key, turns, idle_s }), "clean" (served nothing yet), or null (served, holds none).
      const held = c && typeof c === 'object';
      const name = held ? (c.key ?? c.digest ?? '') : c === 'clean' ? 'clean' : '—';
      row.append(el('td', {}, w.id), el('td', {}, String(name).slice(0, 24)), el('td', {}, held ? String(c.turns ?? '') : ''), el('td', {}, held ? (c.idle_s ?? '') + ' s' : ''));
      return row;
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
      const unload = el('button', { hidden: m.phase !== 'serving', title: 'drain its requests, then stop its processes' }, 'unload');
      unload.dataset.modelCommand = 'unload';
      unload.addEventListener('click', () => modelAdmin(m.id, 'unload'));
      const actions = el('td');
      actions.append(unload);
      row.append(el('td', {}, m.id), el('td', {}, m.aliases.join(', ')), el('td', { className: 'phase' }, m.phase), el('td', {}, String(m.status)), el('td', {}, String(m.waiting)),
        el('td', {}, String(m.in_flight)), el('td', {}, String(m.workers.length)), el('td', {}, m.ttl_s === null ? '—' : m.ttl_s + ' s'), el('td', {}, m.exclusive ?? '—'), actions);
      return row;
    }));
    // Workers of a model that was unloaded leave the page.
    const live = new Set(h.workers.map((w) => w.id));
    for (const [id, entry] of cards) if (!live.has(id)) { entry.root.remove(); cards.delete(id); }
  }

  function render(data) {
    const h = data.health;
    const s = h.stats;
    const figures = [['queue', s.queue_depth], ['in flight', s.in_flight], ['requests', s.total_requests], ['errors', s.total_errors],
      ['restarts', s.restart_count], ['crashes', s.crash_count], ['gateway RSS', h.memory.rss_mb + ' MB'], ['workers RSS', h.memory.worker_rss_mb + ' MB'], ['uptime', s.uptime_s + ' s']];
    $('figures').replaceChildren(...figures.map(([label, value]) => { const f = el('span', {}, label + ': '); f.append(el('b', {}, String(value))); return f; }));
    $('status-line').textContent = h.message ? `${h.status}: ${h.message}` : h.status;
    for (const w of h.workers) renderWorker(w, data.workers);
    renderPool(h);
    renderModels(h);
  }

  // --- transitions ---
  function addTransition(t) {
    const row = el('tr');
    row.dataset.worker = t.worker;
    row.dataset.to = t.to;
    const why = t.reason + (t.restart_reason && t.restart_reason !== t.reason && t.to !== 'healthy' ? ` (after ${t.restart_reason})` : '');
    row.append(el('td', { className: 'time' }, new Date(t.at).toLocaleTimeString()), el('td', {}, t.worker), el('td', {}, (t.from ?? '∅') + ' → ' + t.to), el('td', {}, why ?? ''));
    const body = $('transitions');
    body.prepend(row);
    while (body.children.length > 200) body.lastChild.remove();
    if (t.to === 'recovering' && t.next_start_at) nextStart.set(t.worker, Date.parse(t.next_start_at));
    else if (t.to !== 'recovering') nextStart.delete(t.worker);
    const entry = cards.get(t.worker);
    if (entry) {
      entry.root.querySelectorAll('.chart g.edge.recent').forEach((g) => g.classList.remove('recent'));
      entry.root.querySelector(`.chart g.edge[data-from="${t.from}"][data-to="${t.to}"]`)?.classList.add('recent');
      light(entry, t.value);
    }
  }

  function tick() {
    for (const [id, entry] of cards) {
      const due = nextStart.get(id);
      const box = entry.part('countdown');
      box.hidden = due === undefined || entry.root.dataset.state !== 'recovering';
      if (!box.hidden) box.textContent = `next start in ${seconds(Math.max(0, due - Date.now()))}`;
    }
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
            render(payload);
            for (const t of payload.transitions ?? []) addTransition(t);
            for (const w of payload.workers) { const entry = cards.get(w.id); if (entry) light(entry, w.value); }
          } else if (event === 'health') render(payload);
          else if (event === 'transition') addTransition(payload);
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

  const full = $('full-chart');
  full.addEventListener('toggle', () => { const img = full.querySelector('img'); if (full.open && !img.src) img.src = img.dataset.src; });

  fetch('/ui/chart.json').then((r) => r.json()).then((data) => { chart = data; connect(); });
})();
