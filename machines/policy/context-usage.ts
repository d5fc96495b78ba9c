export interface ContextUsage {
  tokens: number;
  turns: number;
}

export interface ContextLimits {
  tokenLimit: number;
  turnLimit: number;
}

export interface ContextPct {
  tokenPct: number;
  turnPct: number;
}

export type ContextLevel = 'ok' | 'proactive' | 'hard';

function pct(value: number, limit: number): number {
  if (!(limit > 0)) return 0;
  return Math.round((value / limit) * 1000) / 10;
}

// Percentages rounded to one decimal, as /health shows them; a limit of 0 means "no limit".
export function contextPct(usage: ContextUsage, limits: ContextLimits): ContextPct {
  return { tokenPct: pct(usage.tokens, limits.tokenLimit), turnPct: pct(usage.turns, limits.turnLimit) };
}

// The higher of the token and turn ratios decides: ≥ 100 % is hard, ≥ proactivePct is proactive.
export function contextLevel(usage: ContextUsage, limits: ContextLimits, proactivePct: number): ContextLevel {
  const ratios = [
    limits.tokenLimit > 0 ? usage.tokens / limits.tokenLimit : 0,
    limits.turnLimit > 0 ? usage.turns / limits.turnLimit : 0,
  ];
  const highest = Math.max(...ratios);
  if (highest >= 1) return 'hard';
  if (highest * 100 >= proactivePct) return 'proactive';
  return 'ok';
}

// Whether a context report can change what the worker machine decides: it reveals limits other than
// those the machine holds, or it moves the usage to another level. Reports that do neither change no
// decision, so the facade may keep the latest of them until someone reads the figures.
export function reportChangesLevel(
  known: { usage: ContextUsage; limits: ContextLimits },
  report: ContextUsage & { limits?: Partial<ContextLimits> },
  proactivePct: number,
): boolean {
  const limits = { tokenLimit: report.limits?.tokenLimit ?? known.limits.tokenLimit, turnLimit: report.limits?.turnLimit ?? known.limits.turnLimit };
  if (limits.tokenLimit !== known.limits.tokenLimit || limits.turnLimit !== known.limits.turnLimit) return true;
  return contextLevel(report, limits, proactivePct) !== contextLevel(known.usage, limits, proactivePct);
}
