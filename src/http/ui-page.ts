// GET /ui: one self-contained page (no CDN, no external asset). The statechart comes from
// /ui/statechart.svg, rendered from the machine definition; the live state from /admin/events.
export const uiPage = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lifeguard</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1f2937; background: #f8fafc; }
  body { margin: 0; padding: 16px 24px; }
  header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 20px; margin: 0; }
  #connection { font-size: 13px; padding: 2px 8px; border-radius: 10px; background: #e5e7eb; }
  #connection.live { background: #dcfce7; color: #166534; }
  #connection.down { background: #fee2e2; color: #991b1b; }
  #token { font-size: 13px; }
  .figures { display: flex; gap: 24px; font-size: 14px; margin: 12px 0; flex-wrap: wrap; }
  .figures b { font-variant-numeric: tabular-nums; }
  .worker { background: white; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
  .worker-head { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
  .state { font-weight: 700; padding: 2px 10px; border-radius: 10px; background: #e5e7eb; }
  .state.healthy { background: #dcfce7; color: #166534; }
  .state.offline, .state.stopped { background: #fee2e2; color: #991b1b; }
  .state.recovering, .state.restarting, .state.draining, .state.starting { background: #fef9c3; color: #854d0e; }
  .bars { display: flex; gap: 24px; margin: 8px 0; font-size: 13px; flex-wrap: wrap; }
  .bar { width: 220px; height: 10px; background: #e5e7eb; border-radius: 5px; overflow: hidden; }
  .bar > div { height: 100%; background: #3b82f6; }
  .bar > div.warn { background: #f59e0b; }
  button { font: inherit; font-size: 13px; padding: 4px 12px; border-radius: 6px; border: 1px solid #cbd5e1; background: white; cursor: pointer; }
  button:hover { background: #f1f5f9; }
  .chart svg { width: 100%; height: auto; }
  .chart g.current > rect { fill: #bbf7d0 !important; stroke: #15803d !important; stroke-width: 4 !important; }
  .chart g.subgraph.current > rect:first-of-type { fill: #f0fdf4 !important; }
  table { border-collapse: collapse; font-size: 13px; width: 100%; }
  td, th { text-align: left; padding: 3px 8px; border-bottom: 1px solid #f1f5f9; }
  #message { color: #991b1b; font-size: 14px; }
</style>
</head>
<body>
<header>
  <h1>lifeguard</h1>
  <span id="connection">connecting…</span>
  <label id="token">admin token <input id="token-input" type="password" size="16" placeholder="(loopback: none)"></label>
  <span id="message"></span>
</header>
<div class="figures" id="figures"></div>
<div id="workers"></div>
<h2 style="font-size:16px">Recent transitions</h2>
<table><thead><tr><th>time</th><th>worker</th><th>from</th><th>to</th><th>reason</th></tr></thead><tbody id="transitions"></tbody></table>
<script>
(() => {
  const tokenInput = document.getElementById('token-input');
  tokenInput.value = sessionStorage.getItem('lifeguard-admin-token') || '';
  const headers = () => tokenInput.value ? { authorization: 'Bearer ' + tokenInput.value } : {};
  let chartSvg = '';
  const cards = new Map();
  const transitions = [];

  const el = (tag, attrs = {}, text) => { const e = document.createElement(tag); Object.assign(e, attrs); if (text !== undefined) e.textContent = text; return e; };
  const pathOf = (value) => { const parts = []; let v = value; while (v && typeof v === 'object') { const k = Object.keys(v)[0]; parts.push(k); v = v[k]; } if (typeof v === 'string') parts.push(v); return parts; };

  function card(id) {
    if (cards.has(id)) return cards.get(id);
    const root = el('section', { className: 'worker' });
    root.dataset.worker = id;
    const head = el('div', { className: 'worker-head' });
    const title = el('strong', {}, id);
    const state = el('span', { className: 'state' }, '…');
    state.dataset.role = 'state';
    const details = el('span', { className: 'details' });
    head.append(title, state, details);
    for (const command of ['restart', 'drain', 'recover']) {
      const button = el('button', {}, command);
      button.dataset.command = command;
      button.addEventListener('click', () => admin(id, command));
      head.append(button);
    }
    const bars = el('div', { className: 'bars' });
    const chart = el('div', { className: 'chart' });
    chart.innerHTML = chartSvg;
    root.append(head, bars, chart);
    document.getElementById('workers').append(root);
    const entry = { root, state, details, bars, chart };
    cards.set(id, entry);
    return entry;
  }

  function bar(label, pct) {
    const wrap = el('div');
    wrap.append(el('div', {}, label + ' ' + pct.toFixed(1) + ' %'));
    const b = el('div', { className: 'bar' });
    const fill = el('div', { className: pct >= 80 ? 'warn' : '' });
    fill.style.width = Math.min(100, pct) + '%';
    b.append(fill);
    wrap.append(b);
    return wrap;
  }

  function highlight(entry, value) {
    const path = pathOf(value);
    entry.chart.querySelectorAll('g.current').forEach((g) => g.classList.remove('current'));
    for (let i = 1; i <= path.length; i++) {
      const id = path.slice(0, i).join('_');
      entry.chart.querySelectorAll('g[data-id="' + id + '"]').forEach((g) => g.classList.add('current'));
    }
    entry.root.dataset.state = path[0] || '';
  }

  function render(data) {
    const h = data.health;
    const s = h.stats;
    document.getElementById('figures').innerHTML = '';
    const figures = [['status', h.status], ['queue', s.queue_depth], ['in flight', s.in_flight], ['requests', s.total_requests], ['errors', s.total_errors],
      ['restarts', s.restart_count], ['crashes', s.crash_count], ['gateway RSS', h.memory.rss_mb + ' MB'], ['workers RSS', h.memory.worker_rss_mb + ' MB'], ['uptime', s.uptime_s + ' s']];
    for (const [label, value] of figures) { const f = el('span', {}, label + ': '); f.append(el('b', {}, String(value))); document.getElementById('figures').append(f); }
    for (const w of h.workers) {
      const entry = card(w.id);
      entry.state.textContent = w.status;
      entry.state.className = 'state ' + w.status;
      entry.details.textContent = 'pid ' + (w.pid ?? '—') + ' · restarts ' + w.restart_count + ' · crashes ' + w.crash_count +
        ' · failures in a row ' + w.consecutive_failures + (w.rss_mb !== null ? ' · ' + w.rss_mb + ' MB' : '') +
        (w.offline_reason ? ' · ' + w.offline_reason : '');
      entry.bars.innerHTML = '';
      entry.bars.append(bar('tokens ' + w.context_usage.tokens + '/' + w.context_usage.token_limit, w.context_usage.token_pct),
        bar('turns ' + w.context_usage.turns + '/' + w.context_usage.turn_limit, w.context_usage.turn_pct));
    }
    for (const w of data.workers) highlight(card(w.id), w.value);
  }

  function addTransition(t) {
    transitions.unshift(t);
    transitions.length = Math.min(transitions.length, 50);
    const body = document.getElementById('transitions');
    body.innerHTML = '';
    for (const row of transitions) {
      const tr = el('tr');
      for (const cell of [row.at.slice(11, 23), row.worker, row.from ?? '∅', row.to, row.restart_reason && row.to !== 'healthy' ? row.restart_reason : row.reason]) tr.append(el('td', {}, cell));
      body.append(tr);
    }
    const entry = cards.get(t.worker);
    if (entry) { highlight(entry, t.value); entry.state.textContent = t.to; entry.state.className = 'state ' + t.to; }
  }

  async function admin(id, command) {
    const response = await fetch('/admin/workers/' + id + '/' + command, { method: 'POST', headers: headers() });
    document.getElementById('message').textContent = response.ok ? '' : (await response.json()).error.message;
  }

  // Server-sent events over fetch, so the admin token can travel in a header.
  async function listen() {
    const connection = document.getElementById('connection');
    try {
      const response = await fetch('/admin/events', { headers: headers() });
      if (!response.ok) throw new Error((await response.json()).error.message);
      connection.textContent = 'live'; connection.className = 'live';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\\n\\n')) >= 0) {
          const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
          let event = 'message', data = '';
          for (const line of block.split('\\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (!data) continue;
          const payload = JSON.parse(data);
          if (event === 'snapshot' || event === 'health') render(payload);
          else if (event === 'transition') addTransition(payload);
        }
      }
      throw new Error('the event stream ended');
    } catch (error) {
      connection.textContent = 'disconnected: ' + error.message; connection.className = 'down';
      setTimeout(listen, 2000);
    }
  }

  tokenInput.addEventListener('change', () => { sessionStorage.setItem('lifeguard-admin-token', tokenInput.value); });
  fetch('/ui/statechart.svg').then((r) => r.text()).then((svg) => { chartSvg = svg; listen(); });
})();
</script>
</body>
</html>
`;
