// The lifecycle policy of docs/architecture.md: every value configurable, these are the defaults.
export interface LifecyclePolicy {
  startupTimeoutMs: number;
  verifyTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  backoffJitterPct: number;
  /** The (n+1)th consecutive failure goes offline; 0 = never offline. */
  maxConsecutiveFailures: number;
  stableRunMs: number;
  cleanRestartBudget: number;
  cleanRestartWindowMs: number;
  cleanBudgetBackoffMs: number;
  proactiveRestartPct: number;
  tokenLimit: number;
  turnLimit: number;
  drainTimeoutMs: number;
  stopGraceMs: number;
  wedgeTimeoutMs: number;
  /** 0 = no memory cap. */
  maxRssMb: number;
  memoryRestartBudget: number;
  memoryRestartWindowMs: number;
}

export const defaultPolicy: LifecyclePolicy = {
  startupTimeoutMs: 30_000,
  verifyTimeoutMs: 10_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  backoffJitterPct: 10,
  maxConsecutiveFailures: 5,
  stableRunMs: 5 * 60_000,
  cleanRestartBudget: 10,
  cleanRestartWindowMs: 60_000,
  cleanBudgetBackoffMs: 1_000,
  proactiveRestartPct: 80,
  tokenLimit: 150_000,
  turnLimit: 10,
  drainTimeoutMs: 30_000,
  stopGraceMs: 5_000,
  wedgeTimeoutMs: 120_000,
  maxRssMb: 0,
  memoryRestartBudget: 3,
  memoryRestartWindowMs: 10 * 60_000,
};
