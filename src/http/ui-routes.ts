import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { AnyStateMachine } from 'xstate';
import { MODEL_LIFECYCLE } from '../viz/model-lifecycle.js';
import { statechartSvg } from '../viz/statechart-svg.js';
import { topLevelChart } from '../viz/top-level-chart.js';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'ui.js': 'text/javascript; charset=utf-8',
  'ui.css': 'text/css; charset=utf-8',
};

/** The machines /ui draws, each once: a worker's, a pool's, and the models' parent's. */
export interface UiMachines {
  worker: AnyStateMachine;
  pool: AnyStateMachine;
  models: AnyStateMachine;
}

// The page's folder, found both from src/ (tsx, tests) and from dist/src/ (npm start, the image).
export function uiDirectory(): string {
  const candidates = ['../../ui/', '../../../ui/'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  const found = candidates.find((dir) => existsSync(`${dir}index.html`));
  if (!found) throw new Error(`the /ui files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

// GET /ui and its static files (STYLE rule 17: a page is files), each machine's compact chart
// (/ui/chart.json the worker's, /ui/pool-chart.json, /ui/models-chart.json with a model's lifecycle) and
// its full statechart as SVG (/ui/statechart.svg, /ui/pool-statechart.svg, /ui/models-statechart.svg).
// Every asset is lifeguard's own: no CDN.
export function registerUi(app: Hono, machines: UiMachines): void {
  const dir = uiDirectory();
  const files = new Map(Object.keys(TYPES).map((name) => [name, readFileSync(`${dir}${name}`)]));
  const charts: Array<[prefix: string, machine: AnyStateMachine, extra: object]> = [
    ['', machines.worker, {}],
    ['pool-', machines.pool, {}],
    ['models-', machines.models, { lifecycle: MODEL_LIFECYCLE }],
  ];

  app.get('/', (c) => c.redirect('/ui', 302));
  app.get('/ui', (c) => c.body(files.get('index.html')!, 200, { 'content-type': TYPES['index.html']! }));
  for (const [prefix, machine, extra] of charts) {
    const chart = { ...topLevelChart(machine), ...extra };
    let svg: Promise<string> | null = null;
    app.get(`/ui/${prefix}chart.json`, (c) => c.json(chart));
    app.get(`/ui/${prefix}statechart.svg`, async (c) => c.body(await (svg ??= statechartSvg(machine)), 200, { 'content-type': 'image/svg+xml' }));
  }
  // One static route per file (no `/ui/:file` pattern: with static paths only, Hono's SmartRouter keeps
  // its RegExpRouter, which matches every request — the answer routes too — without allocating).
  for (const [name, body] of files) {
    if (name === 'index.html') continue;
    app.get(`/ui/${name}`, (c) => c.body(body, 200, { 'content-type': TYPES[name]!, 'cache-control': 'no-cache' }));
  }
  app.get('/favicon.ico', (c) => c.body(null, 204));
}
