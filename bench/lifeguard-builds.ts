// bench/lifeguard-builds (issue 26): CPU per request of several lifeguard builds side by side with the
// bare forwarder (bench/baseline-forwarder.ts), to bisect a change in the hot path's cost. Each build is
// a compiled entry point (dist/src/main.js), e.g. of an older commit checked out with
// `git worktree add /tmp/lg-COMMIT COMMIT` (node_modules hard-linked: `cp -al node_modules /tmp/lg-COMMIT/`,
// then `npx tsc -p tsconfig.build.json` there). All servers run at once, each with its own reference
// worker, and are loaded in turn, round after round (autocannon, 16 connections), so drift of the
// machine's speed touches all alike; per round, each server's process tree CPU (server + worker, from
// /proc) over the requests it answered. Ratios are to the bare forwarder of the same round.
// Each build runs with lifeguard's Node flags (src/cli/node-flags.ts) unless its spec names its own after
// a space ('name=path/to/main.js --flag …', or 'name=path/to/main.js -' for none), to compare them.
// Run: npx tsx bench/lifeguard-builds.ts [seconds per round=2] [rounds=7] name=path/to/main.js ...
//      (no build named: this worktree's, built now)
import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAverage, processCpuSeconds, scanProc, treeCpuSeconds } from './process-tree-cpu.js';
import { buildLifeguard, startServer } from './start-server.js';
import { quantiles } from './stats.js';

const seconds = Number(process.argv[2] ?? 2);
const rounds = Number(process.argv[3] ?? 7);
const named = process.argv.slice(4).map((arg) => {
  const at = arg.indexOf('=');
  if (at < 1) throw new Error(`a build is name=path/to/main.js, got ${JSON.stringify(arg)}`);
  const [main = '', ...flags] = arg.slice(at + 1).split(' ').filter(Boolean);
  return { name: arg.slice(0, at), main, nodeFlags: flags.length ? flags.filter((flag) => flag !== '-') : undefined };
});
const builds = named.length ? named : [{ name: 'this worktree', main: buildLifeguard(), nodeFlags: undefined }];
const body = JSON.stringify({ model: 'lifeguard-reference', messages: [{ role: 'user', content: 'measure the gateway overhead' }] });
const lockDir = mkdtempSync(join(tmpdir(), 'lifeguard-builds-'));
const servers = [
  { name: 'bare node:http → jsonl', args: ['bench/baseline-forwarder.ts'], nodeFlags: undefined },
  ...builds.map((build, i) => ({
    name: `lifeguard ${build.name}`,
    args: [build.main, '--port', '0', '--turn-limit', '0', '--token-limit', '0', '--queue-size', '1024', '--lock-file', join(lockDir, `lock-${i}`)],
    nodeFlags: build.nodeFlags,
  })),
];

async function load(port: number, duration: number) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 16, duration });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors`);
  return { rps: result.requests.average, total: result.requests.total };
}

console.log(`bench/lifeguard-builds — ${rounds} rounds × ${seconds} s at 16 connections per server, load average ${loadAverage()} at the start`);
const started = await Promise.all(servers.map((server) => startServer(server.args, { REF_WORKER_CONCURRENCY: '16' }, server.nodeFlags)));
const tree = servers.map(() => [] as number[]);
const own = servers.map(() => [] as number[]);
const rps = servers.map(() => [] as number[]);
try {
  for (const server of started) await load(server.port, 5); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [i, server] of started.entries()) {
      const pid = server.child.pid!;
      const before = { tree: treeCpuSeconds(pid, scanProc()), own: processCpuSeconds(pid) };
      const measured = await load(server.port, seconds);
      tree[i]!.push(((treeCpuSeconds(pid, scanProc()) - before.tree) / measured.total) * 1e6);
      own[i]!.push(((processCpuSeconds(pid) - before.own) / measured.total) * 1e6);
      rps[i]!.push(measured.rps);
    }
  }
} finally {
  await Promise.all(started.map((server) => server.stop()));
}
const us = (v: number) => `${Math.round(v)}`;
const med = (values: number[]) => quantiles(values).median;
console.log('');
console.log('| server | CPU µs/request, tree: median (min … max) | server process alone | req/s median | CPU ×bare (median of rounds) | throughput kept vs bare (median of rounds) |');
console.log('|---|---|---|---|---|---|');
servers.forEach((server, i) => {
  const q = quantiles(tree[i]!);
  const cpuRatio = med(tree[i]!.map((v, r) => v / tree[0]![r]!));
  const kept = med(rps[i]!.map((v, r) => v / rps[0]![r]!));
  console.log(`| ${server.name} | ${us(q.median)} (${us(q.min)} … ${us(q.max)}) | ${us(med(own[i]!))} | ${Math.round(med(rps[i]!))} | ×${cpuRatio.toFixed(3)} | ${(kept * 100).toFixed(1)} % |`);
});
console.log(`load average at the end: ${loadAverage()}`);
