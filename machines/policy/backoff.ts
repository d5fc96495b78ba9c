export interface BackoffPolicy {
  backoffBaseMs: number;
  backoffMaxMs: number;
  backoffJitterPct: number;
}

// base · 2^(n−1), capped, plus jitter in [0, jitterPct %) of that; `random01` is in [0, 1).
export function crashBackoffMs(failures: number, policy: BackoffPolicy, random01: number): number {
  const n = Math.max(1, failures);
  const exponential = policy.backoffBaseMs * 2 ** Math.min(n - 1, 52);
  const capped = Math.min(exponential, policy.backoffMaxMs);
  const jitter = capped * (policy.backoffJitterPct / 100) * random01;
  return Math.round(capped + jitter);
}
