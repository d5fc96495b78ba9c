import type { ModelStart } from '../../machines/models-types.js';
import { configKeys, type KeySpec } from '../config/config-keys.js';
import type { LifeguardConfig } from '../config/load-config.js';
import { describeExpected, valueSchema } from '../config/value-schema.js';

/** One model of the config file's `models:` section, its worker settings merged over the top level. */
export interface ModelConfig {
  id: string;
  /** Other names a request's `model` may use for it. */
  aliases: string[];
  /** Idle this long → its processes stop (null: never). */
  ttlMs: number | null;
  /** Models with the same label never have processes at once. */
  exclusive: string | null;
  start: ModelStart;
  /** The top-level configuration with this model's own worker settings over it. */
  config: LifeguardConfig;
}

/** The keys a model may set for itself: everything about its workers; the gateway's keys are shared. */
export const PER_MODEL_KEYS = [
  'driver',
  'model',
  'structured_output',
  'worker_cwd',
  'workers',
  'standby',
  'isolation',
  'session_idle_ms',
  'startup_timeout_ms',
  'verify_timeout_ms',
  'backoff_base_ms',
  'backoff_max_ms',
  'max_consecutive_failures',
  'stable_run_ms',
  'clean_restart_budget',
  'clean_restart_window_ms',
  'proactive_restart_pct',
  'token_limit',
  'turn_limit',
  'drain_timeout_ms',
  'stop_grace_ms',
  'wedge_timeout_ms',
  'max_rss_mb',
  'max_line_bytes',
] as const;

const MODEL_KEYS = [...PER_MODEL_KEYS, 'worker_command', 'aliases', 'ttl_s', 'exclusive', 'start'];
const ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]*$/;
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((part) => typeof part === 'string' && part.length > 0);

// The `models:` section → one ModelConfig per model, or the problems found (one line each, naming the
// key, the value and what was expected). `explicit`: the top-level keys set by a flag, the environment
// or the file (the others are defaults, and a model's driver brings its own defaults for them).
export function readModelsSection(section: unknown, top: LifeguardConfig, explicit: ReadonlySet<string>, from: string): { models: ModelConfig[]; problems: string[] } {
  const problems: string[] = [];
  if (!isRecord(section) || Object.keys(section).length === 0) {
    return { models: [], problems: [`models: ${JSON.stringify(section)} (from ${from}) is not a mapping of model ids to their settings (e.g. models: { haiku: { model: claude-haiku-4-5 } })`] };
  }
  const models: ModelConfig[] = [];
  for (const [id, raw] of Object.entries(section)) {
    const where = `models.${id}`;
    if (!ID.test(id)) problems.push(`${where}: the model id ${JSON.stringify(id)} (from ${from}) is not a name of letters, digits and . _ : @ / + -`);
    const settings = raw ?? {};
    if (!isRecord(settings)) {
      problems.push(`${where}: ${JSON.stringify(raw)} (from ${from}) is not a mapping of settings`);
      continue;
    }
    for (const key of Object.keys(settings)) {
      if (!MODEL_KEYS.includes(key)) problems.push(`${where}.${key}: not a per-model key (from ${from}; a model may set: ${MODEL_KEYS.join(', ')})`);
    }
    const config: Record<string, unknown> = { ...top };
    const driver = settings.driver ?? top.driver;
    for (const key of PER_MODEL_KEYS) {
      const spec = configKeys.find((k) => k.key === key) as KeySpec;
      const value = settings[key];
      if (value === undefined || value === null) {
        // A default of the top level follows the model's own driver (a model server starts for minutes).
        if (!explicit.has(key) && spec.driverDefaults) config[camel(key)] = spec.driverDefaults[driver as LifeguardConfig['driver']] ?? spec.default;
        continue;
      }
      const parsed = valueSchema(spec).safeParse(value);
      if (parsed.success) config[camel(key)] = parsed.data;
      else problems.push(`${where}.${key}: ${JSON.stringify(value)} (from ${from}) is not ${describeExpected(spec)}`);
    }
    if (settings.worker_command !== undefined) {
      if (isStringList(settings.worker_command) && settings.worker_command.length > 0) config.workerCommand = settings.worker_command;
      else problems.push(`${where}.worker_command: ${JSON.stringify(settings.worker_command)} (from ${from}) is not a non-empty list of strings`);
    }
    const aliases = settings.aliases ?? [];
    if (!isStringList(aliases)) problems.push(`${where}.aliases: ${JSON.stringify(aliases)} (from ${from}) is not a list of non-empty strings`);
    const ttl = settings.ttl_s ?? null;
    if (ttl !== null && !(typeof ttl === 'number' && Number.isSafeInteger(ttl) && ttl >= 1)) problems.push(`${where}.ttl_s: ${JSON.stringify(ttl)} (from ${from}) is not an integer ≥ 1 (seconds idle before unloading; leave it out for never)`);
    const exclusive = settings.exclusive ?? null;
    if (exclusive !== null && !(typeof exclusive === 'string' && exclusive.length > 0)) problems.push(`${where}.exclusive: ${JSON.stringify(exclusive)} (from ${from}) is not a non-empty label`);
    const start = settings.start ?? 'boot';
    if (start !== 'boot' && start !== 'on_demand') problems.push(`${where}.start: ${JSON.stringify(start)} (from ${from}) is not one of boot, on_demand`);
    const merged = config as unknown as LifeguardConfig;
    if (merged.backoffMaxMs < merged.backoffBaseMs) problems.push(`${where}.backoff_max_ms: ${merged.backoffMaxMs} is smaller than backoff_base_ms ${merged.backoffBaseMs}`);
    if (merged.driver === 'openai-http' && !merged.workerCommand.some((part) => part.includes('{port}'))) {
      problems.push(`${where}.worker_command: openai-http needs {port} in the worker command (got ${merged.workerCommand.length ? JSON.stringify(merged.workerCommand.join(' ')) : 'none'})`);
    }
    models.push({
      id,
      aliases: isStringList(aliases) ? aliases : [],
      ttlMs: typeof ttl === 'number' ? ttl * 1000 : null,
      exclusive: typeof exclusive === 'string' ? exclusive : null,
      start: start === 'on_demand' ? 'on_demand' : 'boot',
      config: merged,
    });
  }
  problems.push(...nameClashes(models, from), ...bootClashes(models, from));
  return { models, problems };
}

// Every id and alias names one model.
function nameClashes(models: ModelConfig[], from: string): string[] {
  const owner = new Map<string, string>();
  const problems: string[] = [];
  for (const model of models) {
    for (const name of [model.id, ...model.aliases]) {
      const taken = owner.get(name);
      if (taken !== undefined && !(taken === model.id && name === model.id)) {
        problems.push(`models.${model.id}.aliases: ${JSON.stringify(name)} (from ${from}) already names model ${JSON.stringify(taken)} (ids and aliases must be unique)`);
      } else owner.set(name, model.id);
    }
  }
  return problems;
}

// Two models of one exclusive label cannot both start at boot.
function bootClashes(models: ModelConfig[], from: string): string[] {
  const first = new Map<string, string>();
  const problems: string[] = [];
  for (const model of models) {
    if (model.exclusive === null || model.start !== 'boot') continue;
    const other = first.get(model.exclusive);
    if (other !== undefined) {
      problems.push(`models.${model.id}.start: "boot" (from ${from}) clashes with ${JSON.stringify(other)}, which starts at boot under the same exclusive label ${JSON.stringify(model.exclusive)} (set start: on_demand)`);
    } else first.set(model.exclusive, model.id);
  }
  return problems;
}
