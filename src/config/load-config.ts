import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { LifecyclePolicy } from '../../machines/policy/policy.js';
import { configKeys, envOf, flagOf, type KeySpec } from './config-keys.js';

/** The §3 policy values the configuration sets (the rest are fixed, see the README). */
export type ConfigurablePolicy = Omit<LifecyclePolicy, 'backoffJitterPct' | 'cleanBudgetBackoffMs' | 'memoryRestartBudget' | 'memoryRestartWindowMs'>;

export interface LifeguardConfig extends ConfigurablePolicy {
  port: number;
  host: string;
  driver: 'jsonl' | 'claude-code' | 'openai-http';
  model: string | null;
  structuredOutput: 'auto' | 'validate' | 'pass-through';
  workerCwd: string | null;
  workers: number;
  /** null: the driver's default (1 for claude-code, 0 otherwise). */
  standby: number | null;
  isolation: 'isolated' | 'shared';
  sessionIdleMs: number;
  apiKey: string | null;
  adminToken: string | null;
  logFormat: 'text' | 'json';
  auditFile: string | null;
  inspect: boolean;
  queueSize: number;
  queueWaitMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  bodyLimitBytes: number;
  maxLineBytes: number;
  streamBufferBytes: number;
  maxConnections: number;
  headerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  lockFile: string;
  otelEndpoint: string | null;
  /** The worker command after `--`; empty = the bundled reference worker. */
  workerCommand: string[];
}

/** A bad setting: one line naming the key, the value, where it came from and what was expected. */
export class ConfigError extends Error {
  readonly kind = 'config' as const;
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Source = { value: unknown; from: string };

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function describeExpected(spec: KeySpec): string {
  switch (spec.type) {
    case 'port':
      return 'an integer port from 0 to 65535';
    case 'int':
      return spec.max === undefined ? `an integer ≥ ${spec.min ?? 0}` : `an integer from ${spec.min ?? 0} to ${spec.max}`;
    case 'choice':
      return `one of ${spec.choices!.join(', ')}`;
    case 'bool':
      return 'true or false';
    default:
      return 'a non-empty string';
  }
}

function coerce(spec: KeySpec, raw: unknown): { ok: true; value: number | string | boolean } | { ok: false } {
  if (spec.type === 'bool') {
    if (raw === true || raw === 'true' || raw === '1') return { ok: true, value: true };
    if (raw === false || raw === 'false' || raw === '0') return { ok: true, value: false };
    return { ok: false };
  }
  if (spec.type === 'port' || spec.type === 'int') {
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (!/^-?\d+$/.test(text)) return { ok: false };
    const value = Number(text);
    if (!Number.isSafeInteger(value)) return { ok: false };
    if (spec.type === 'port' && (value < 0 || value > 65535)) return { ok: false };
    if (spec.type === 'int' && (value < (spec.min ?? 0) || value > (spec.max ?? Infinity))) return { ok: false };
    return { ok: true, value };
  }
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false };
  if (spec.type === 'choice' && !spec.choices!.includes(raw)) return { ok: false };
  return { ok: true, value: raw };
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`config: cannot read --config file ${path}: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError([`config: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`config: ${path} must hold a mapping of keys to values`]);
  return parsed as Record<string, unknown>;
}

// argv (without node and the script), the environment → a validated configuration, or a
// ConfigError listing every bad value.
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): LifeguardConfig {
  const options = Object.fromEntries([
    ...configKeys.map((spec) => [flagOf(spec.key).slice(2), { type: spec.type === 'bool' ? ('boolean' as const) : ('string' as const) }]),
    ['config', { type: 'string' as const }],
  ]);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message);
    if (unknown) throw new ConfigError([`arguments: unknown flag ${unknown[1]} (the flags are listed in the README's configuration table)`]);
    throw new ConfigError([`arguments: ${(error as Error).message}`]);
  }
  const dashDash = argv.indexOf('--');
  if (parsed.positionals.length > 0 && dashDash === -1) {
    throw new ConfigError([`arguments: unexpected "${parsed.positionals[0]}"; put the worker command after --`]);
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  const configPath = (flags.config as string | undefined) ?? env.LIFEGUARD_CONFIG;
  const file = configPath ? readConfigFile(configPath) : {};

  const problems: string[] = [];
  const knownKeys = new Set<string>([...configKeys.map((k) => k.key), 'worker_command']);
  for (const key of Object.keys(file)) {
    if (!knownKeys.has(key)) problems.push(`config: unknown key "${key}" in ${configPath} (known: ${[...knownKeys].join(', ')})`);
  }

  const result: Record<string, unknown> = {};
  for (const spec of configKeys as readonly KeySpec[]) {
    const flag = flags[flagOf(spec.key).slice(2)];
    const sources: Source[] = [
      { value: flag, from: flagOf(spec.key) },
      { value: env[envOf(spec.key)], from: envOf(spec.key) },
      { value: file[spec.key], from: `${configPath} key ${spec.key}` },
    ];
    const chosen = sources.find((s) => s.value !== undefined && s.value !== '');
    if (!chosen) {
      result[camel(spec.key)] = spec.default;
      continue;
    }
    const coerced = coerce(spec, chosen.value);
    if (!coerced.ok) {
      problems.push(`${spec.key}: ${JSON.stringify(chosen.value)} (from ${chosen.from}) is not ${describeExpected(spec)}`);
    } else {
      result[camel(spec.key)] = coerced.value;
    }
  }

  let workerCommand: string[] = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  if (workerCommand.length === 0 && file.worker_command !== undefined) {
    const fromFile = file.worker_command;
    if (!Array.isArray(fromFile) || fromFile.length === 0 || !fromFile.every((part) => typeof part === 'string')) {
      problems.push(`worker_command: ${JSON.stringify(fromFile)} (from ${configPath}) is not a non-empty list of strings`);
    } else {
      workerCommand = fromFile;
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const config = result as unknown as LifeguardConfig;
  if (config.backoffMaxMs < config.backoffBaseMs) {
    throw new ConfigError([`backoff_max_ms: ${config.backoffMaxMs} is smaller than backoff_base_ms ${config.backoffBaseMs}`]);
  }
  if (config.otelEndpoint !== null && !(/^https?:\/\//.test(config.otelEndpoint) && URL.canParse(config.otelEndpoint))) {
    throw new ConfigError([`otel_endpoint: ${JSON.stringify(config.otelEndpoint)} is not an http(s) URL (expected e.g. http://127.0.0.1:4318)`]);
  }
  // Port 0 means "any free port": two such lifeguards are not rivals, so each gets its own lock.
  const defaultLock = config.port === 0 ? `lifeguard-0-${process.pid}.lock` : `lifeguard-${config.port}.lock`;
  config.lockFile = (result.lockFile as string | null) ?? join(tmpdir(), defaultLock);
  config.workerCommand = workerCommand;
  if (config.driver === 'openai-http' && !workerCommand.some((arg) => arg.includes('{port}'))) {
    throw new ConfigError([
      `driver: openai-http needs a worker command with {port} after -- (got ${workerCommand.length ? JSON.stringify(workerCommand.join(' ')) : 'none'}), e.g. -- llama-server -m model.gguf --port {port}`,
    ]);
  }
  return config;
}
