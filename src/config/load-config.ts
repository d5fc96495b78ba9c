import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { LifecyclePolicy } from '../../machines/policy/policy.js';
import { defaultLockDirectory } from './lock-directory.js';
import { parseCommandLine, type CommandLine } from './command-line.js';
import { configKeys, envOf, flagOf, type KeySpec } from './config-keys.js';
import { describeExpected, valueSchema } from './value-schema.js';
import { canonicalIsolation, DEFAULT_TENANT, parseTenantKeys, type TenantKey } from './tenant-keys.js';
import type { Isolation } from '../../machines/pool-types.js';
import { readModelsSection, type ModelConfig } from '../models/models-config.js';

/** The lifecycle policy values the configuration sets (docs/configuration.md; the rest are fixed). */
export type ConfigurablePolicy = Omit<LifecyclePolicy, 'backoffJitterPct' | 'cleanBudgetBackoffMs' | 'memoryRestartBudget' | 'memoryRestartWindowMs'>;

export interface LifeguardConfig extends ConfigurablePolicy {
  port: number;
  host: string;
  driver: 'jsonl' | 'claude-code' | 'openai-http';
  model: string | null;
  structuredOutput: 'auto' | 'validate' | 'pass-through';
  /** claude-code: the CLI's --tools (null: none, `--tools ""`). */
  claudeBuiltinTools: string | null;
  /** claude-code: how long a parked client tool call waits for its result. */
  toolCallTimeoutMs: number;
  toolPolicy: 'drop' | 'strict';
  workerCwd: string | null;
  workers: number;
  /** null: the driver's default (1 for claude-code, 0 otherwise). */
  standby: number | null;
  /** `isolated` in a configuration is read as `conversation` (its old name). */
  isolation: Isolation;
  sessionIdleMs: number;
  maxProcesses: number;
  /** null: derived from the memory available at start (memory-budget.ts). */
  memoryBudgetMb: number | null;
  spawnConcurrency: number;
  apiKey: string | null;
  /** Named client keys, one tenant each (null: none configured). */
  apiKeys: TenantKey[] | null;
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
  /** null: a quarter of V8's heap limit (streamBudgetBytesFor). */
  streamBudgetBytes: number | null;
  maxAnswerBytes: number;
  maxConnections: number;
  headerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  lockFile: string;
  otelEndpoint: string | null;
  /** The worker command after `--`; empty = the bundled reference worker. */
  workerCommand: string[];
  /** The config file's `models:` section (issue #27); null without one: one implicit model, as before. */
  models: ModelConfig[] | null;
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
// ConfigError listing every bad value (--help and --version are answered by readCommandLine).
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): LifeguardConfig {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'error') throw new ConfigError([parsed.message]);
  if (parsed.kind !== 'run') throw new ConfigError([`arguments: ${parsed.kind} requested`]);
  return configFrom(parsed.commandLine, env);
}

/** What the command line asks for: a configuration to run, or the text of --help / --version. */
export type CommandLineRequest = { kind: 'run'; config: LifeguardConfig } | { kind: 'help' | 'version'; text: string };

// The command line's answer: --help and --version as text; otherwise loadConfig's configuration.
export function readCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): CommandLineRequest {
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'error') throw new ConfigError([parsed.message]);
  if (parsed.kind !== 'run') return parsed;
  return { kind: 'run', config: configFrom(parsed.commandLine, env) };
}

function configFrom({ flags, configPath: flagConfigPath, workerCommand: argvWorkerCommand }: CommandLine, env: NodeJS.ProcessEnv): LifeguardConfig {
  const configPath = flagConfigPath ?? (env.LIFEGUARD_CONFIG || undefined);
  const file = configPath ? readConfigFile(configPath) : {};

  const problems: string[] = [];
  const knownKeys = new Set<string>([...configKeys.map((k) => k.key), 'worker_command', 'models']);
  for (const key of Object.keys(file)) {
    if (!knownKeys.has(key)) problems.push(`config: unknown key "${key}" in ${configPath} (known: ${[...knownKeys].join(', ')})`);
  }

  const result: Record<string, unknown> = {};
  const explicit = new Set<string>();
  for (const spec of configKeys as readonly KeySpec[]) {
    // A flag given empty is a mistake; an empty variable or a null file key means "not set".
    const sources: Source[] = [
      { value: flags[spec.key], from: flagOf(spec.key) },
      { value: env[envOf(spec.key)] === '' ? undefined : env[envOf(spec.key)], from: envOf(spec.key) },
      { value: file[spec.key] ?? undefined, from: `${configPath} key ${spec.key}` },
    ];
    const chosen = sources.find((s) => s.value !== undefined);
    if (!chosen) {
      result[camel(spec.key)] = spec.driverDefaults?.[result.driver as LifeguardConfig['driver']] ?? spec.default;
      continue;
    }
    explicit.add(spec.key);
    if (spec.type === 'keys') {
      const keys = parseTenantKeys(chosen.value, chosen.from);
      problems.push(...keys.problems);
      result[camel(spec.key)] = keys.tenants;
      continue;
    }
    const parsed = valueSchema(spec).safeParse(chosen.value);
    if (!parsed.success) {
      problems.push(`${spec.key}: ${JSON.stringify(chosen.value)} (from ${chosen.from}) is not ${describeExpected(spec)}`);
    } else {
      result[camel(spec.key)] = parsed.data;
    }
  }

  let workerCommand: string[] = argvWorkerCommand;
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
  config.isolation = canonicalIsolation(config.isolation);
  if (config.apiKey && config.apiKeys?.some((tenant) => tenant.name === DEFAULT_TENANT || tenant.key === config.apiKey)) {
    throw new ConfigError([`api_key: its tenant is named ${DEFAULT_TENANT}, and api_keys already has that name or that key (give every tenant one name and one key)`]);
  }
  if (config.backoffMaxMs < config.backoffBaseMs) {
    throw new ConfigError([`backoff_max_ms: ${config.backoffMaxMs} is smaller than backoff_base_ms ${config.backoffBaseMs}`]);
  }
  if (config.otelEndpoint !== null && !(/^https?:\/\//.test(config.otelEndpoint) && URL.canParse(config.otelEndpoint))) {
    throw new ConfigError([`otel_endpoint: ${JSON.stringify(config.otelEndpoint)} is not an http(s) URL (expected e.g. http://127.0.0.1:4318)`]);
  }
  // Port 0 means "any free port": two such lifeguards are not rivals, so each gets its own lock.
  const defaultLock = config.port === 0 ? `lifeguard-0-${process.pid}.lock` : `lifeguard-${config.port}.lock`;
  config.lockFile = (result.lockFile as string | null) ?? join(defaultLockDirectory(env), defaultLock);
  config.workerCommand = workerCommand;
  config.models = null;
  if (file.models !== undefined && file.models !== null) {
    const section = readModelsSection(file.models, config, explicit, configPath!);
    if (section.problems.length) throw new ConfigError(section.problems);
    config.models = section.models;
    // Each model's own worker command is checked there; the top level needs none of its own.
    return config;
  }
  const portPlaceholder = [...workerCommand, ...Object.values(env)].some((value) => value?.includes('{port}'));
  if (config.driver === 'openai-http' && !portPlaceholder) {
    throw new ConfigError([
      `driver: openai-http needs {port} in the worker command after -- or in an environment value (got ${workerCommand.length ? JSON.stringify(workerCommand.join(' ')) : 'none'}), e.g. -- llama-server -m model.gguf --port {port}, or OLLAMA_HOST=127.0.0.1:{port} -- ollama serve`,
    ]);
  }
  return config;
}
