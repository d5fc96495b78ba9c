import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The bundled reference worker, found both from src/ (tsx, tests) and from dist/src/ (npm start).
export function referenceWorkerPath(): string {
  const candidates = ['../workers/reference-worker.mjs', '../../workers/reference-worker.mjs'].map((relative) =>
    fileURLToPath(new URL(relative, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`the reference worker is missing (looked in ${candidates.join(', ')})`);
  return found;
}
