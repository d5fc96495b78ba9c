import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/config/command-line.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const documents = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The text outside fenced code blocks (a `#` or a link inside an example is not the document's). */
const prose = (text: string) => text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every relative link target of a document: [text](target) and ![alt](target), without titles. */
function linksOf(text: string): string[] {
  return [...prose(text).matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));
}

/** Why a link from `from` does not resolve inside the repository, or null when it does. */
function brokenLink(from: string, target: string): string | null {
  const [path, anchor] = target.split('#', 2) as [string, string | undefined];
  const file = path === '' ? join(root, from) : resolve(dirname(join(root, from)), decodeURIComponent(path));
  const inside = relative(root, file);
  if (inside.startsWith('..')) return `${target} leaves the repository`;
  if (!existsSync(file)) return `${target}: ${inside} does not exist`;
  if (anchor === undefined) return null;
  if (statSync(file).isDirectory() || !file.endsWith('.md')) return `${target}: an anchor into a file that is not markdown`;
  return anchorsOf(readFileSync(file, 'utf8')).has(anchor) ? null : `${target}: ${inside} has no section #${anchor}`;
}

describe('the documentation explains itself from inside the repository', () => {
  it('every relative link and section anchor in README.md and docs/*.md resolves', () => {
    const broken = documents.flatMap((doc) => linksOf(read(doc)).flatMap((target) => brokenLink(doc, target) ?? []).map((problem) => `${doc}: ${problem}`));
    expect(broken).toEqual([]);
    // The check itself sees links and anchors.
    expect(linksOf(read('README.md'))).toContain('docs/configuration.md');
    expect(brokenLink('README.md', 'docs/operations.md#deployment-and-scale-out')).toBeNull();
    expect(brokenLink('README.md', 'docs/operations.md#no-such-section')).toMatch(/no section/);
    expect(brokenLink('README.md', '../outside.md')).toMatch(/leaves the repository/);
  });

  it('no document and no --help text cites a document outside the repository (the old "SPEC §" references)', () => {
    const help = parseCommandLine(['--help']);
    expect(help.kind).toBe('help');
    const texts = [...documents.map((doc) => [doc, read(doc)] as const), ['--help', help.kind === 'help' ? help.text : ''] as const];
    for (const [name, text] of texts) expect(text, name).not.toMatch(/\bSPEC\s*§|§\s*\d/);
  });

  it('no source, test, bench or worker file cites a document outside the repository either', () => {
    const tracked = execFileSync('git', ['ls-files', 'src', 'machines', 'workers', 'bench', 'test', 'scripts', 'bin'], { cwd: root, encoding: 'utf8' }).split('\n');
    const citing = tracked.filter((file) => file && file !== 'test/docs.test.ts' && /\bSPEC\s*§|§\s*\d/.test(read(file)));
    expect(citing).toEqual([]);
  });

  it('every docs/ path --help names exists, with its section', () => {
    const help = parseCommandLine(['--help']);
    const text = help.kind === 'help' ? help.text : '';
    const references = [...text.replace(/\s+/g, ' ').matchAll(/docs\/[\w-]+\.md(?:#[\w-]+)?/g)].map((m) => m[0]);
    expect(references).toContain('docs/configuration.md');
    expect(references).toContain('docs/architecture.md#conversations-and-the-pool');
    for (const reference of references) expect(brokenLink('README.md', reference), reference).toBeNull();
  });
});
