import { readFileSync } from 'node:fs';

export interface Instruction {
  name: string;
  /** The exec form's array, or the shell form's text as one element. */
  args: string[];
  raw: string;
}

// A Dockerfile as instructions: continuation lines joined, comments dropped, JSON arrays parsed.
export function readDockerfile(path: string): Instruction[] {
  const text = readFileSync(path, 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, name = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line)!;
      const json = /^\[.*\]$/.test(rest) ? (JSON.parse(rest) as string[]) : null;
      return { name: name.toUpperCase(), args: json ?? [rest], raw: rest };
    });
}

export const last = (instructions: Instruction[], name: string) => instructions.filter((i) => i.name === name).at(-1);
