import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';

// Where the lock lives by default: a directory only lifeguard's user can write — $XDG_RUNTIME_DIR/lifeguard
// (a per-user tmpfs on systemd hosts), else <tmpdir>/lifeguard-<uid> — never the shared tmpdir itself,
// where another local user could write the file first.
export function defaultLockDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return runtime && isAbsolute(runtime) ? join(runtime, 'lifeguard') : join(tmpdir(), `lifeguard-${process.getuid?.() ?? 'user'}`);
}
