// Timestamps (ms) still inside the window that ends at `now`.
export function insideWindow(timestamps: readonly number[], now: number, windowMs: number): number[] {
  return timestamps.filter((at) => now - at < windowMs);
}

// Adds `now` to the window and tells whether the budget is exceeded by it.
export function recordInWindow(
  timestamps: readonly number[],
  now: number,
  windowMs: number,
  budget: number,
): { timestamps: number[]; exceeded: boolean } {
  const next = [...insideWindow(timestamps, now, windowMs), now];
  return { timestamps: next, exceeded: next.length > budget };
}
