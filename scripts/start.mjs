#!/usr/bin/env node
// `npm start`: builds only when the sources changed since the last build, then runs the compiled CLI in
// this process (its arguments are this script's). Unchanged tree: a few stat calls, no compiler. The
// package's bin and the container run dist/ as built and never build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Written after each successful build; its mtime is when that build began. */
const stampOf = (root) => join(root, 'dist', '.build-stamp');
const mainOf = (root) => join(root, 'dist', 'src', 'main.js');
const INPUTS = ['machines', 'src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/** The newest mtime (ms) under the build's inputs. */
export function newestSource(root = ROOT) {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const input of INPUTS) visit(join(root, input));
  return newest;
}

/** Why a build is needed, or null when dist/ is up to date. */
export function staleness(root = ROOT) {
  if (!existsSync(mainOf(root))) return 'dist/src/main.js is missing';
  const stamp = statSync(stampOf(root), { throwIfNoEntry: false });
  if (!stamp) return 'no record of a finished build (dist/.build-stamp)';
  return newestSource(root) > stamp.mtimeMs ? 'sources changed since the last build' : null;
}

export function build(root = ROOT) {
  const began = new Date();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-b', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`lifeguard: the build failed (tsc exited ${result.status ?? result.signal}); fix the errors above, or run npm run build\n`);
    process.exit(1);
  }
  // Dated when the build began: a source saved while tsc ran is newer, so the next start builds again.
  writeFileSync(stampOf(root), `${began.toISOString()}\n`);
  utimesSync(stampOf(root), began, began);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reason = staleness();
  if (reason !== null) {
    process.stderr.write(`lifeguard: building (${reason})…\n`);
    build();
  }
  await import(mainOf(ROOT));
}
