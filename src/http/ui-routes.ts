import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AnyStateMachine } from 'xstate';
import { statechartSvg } from '../viz/statechart-svg.js';
import { topLevelChart } from '../viz/top-level-chart.js';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
  'ui.css': 'text/css; charset=utf-8',
};

// The page's folder, found both from src/ (tsx, tests) and from dist/src/ (npm start, the image).
export function uiDirectory(): string {
  const candidates = ['../../ui/', '../../../ui/'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  const found = candidates.find((dir) => existsSync(`${dir}index.html`));
  if (!found) throw new Error(`the /ui files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

// GET /ui and its static files (STYLE rule 17: a page is files), the compact chart's data, and the
// full statechart as SVG. Every asset is lifeguard's own: no CDN.
export function registerUi(app: Hono, machine: AnyStateMachine): void {
  const dir = uiDirectory();
  const files = new Map(Object.keys(TYPES).map((name) => [name, readFileSync(`${dir}${name}`)]));
  const chart = topLevelChart(machine);
  let svg: Promise<string> | null = null;

  app.get('/', (c) => c.redirect('/ui', 302));
  app.get('/ui', (c) => c.body(files.get('index.html')!, 200, { 'content-type': TYPES['index.html']! }));
  app.get('/ui/chart.json', (c) => c.json(chart));
  app.get('/ui/statechart.svg', async (c) => c.body(await (svg ??= statechartSvg(machine)), 200, { 'content-type': 'image/svg+xml' }));
  // One static route per file (no `/ui/:file` pattern: with static paths only, Hono's SmartRouter keeps
  // its RegExpRouter, which matches every request — the answer routes too — without allocating).
  for (const [name, body] of files) {
    if (name === 'index.html') continue;
    app.get(`/ui/${name}`, (c) => c.body(body, 200, { 'content-type': TYPES[name]!, 'cache-control': 'no-cache' }));
  }
  app.get('/favicon.ico', (c) => c.body(null, 204));
}
