// Every setting of docs/configuration.md: the config-file key; the flag is --key-with-dashes, the environment
// variable LIFEGUARD_KEY_IN_CAPITALS. Precedence: flag > env > file > default.
export type KeyType = 'port' | 'int' | 'string' | 'choice' | 'bool' | 'keys';

export interface KeySpec {
  key: string;
  type: KeyType;
  default: number | string | boolean | null;
  /** Smallest accepted integer. */
  min?: number;
  /** Largest accepted integer. */
  max?: number;
  choices?: readonly string[];
  /** A default of its own for a driver (a model server loads for minutes and keeps no context). */
  driverDefaults?: Partial<Record<'jsonl' | 'claude-code' | 'openai-http', number>>;
  description: string;
}

export const configKeys = [
  { key: 'port', type: 'port', default: 8204, description: 'TCP port to listen on (0 = any free port)' },
  { key: 'host', type: 'string', default: '127.0.0.1', description: 'address to bind' },
  { key: 'driver', type: 'choice', default: 'jsonl', choices: ['jsonl', 'claude-code', 'openai-http'], description: 'how lifeguard talks to the worker (docs/protocol.md)' },
  { key: 'model', type: 'string', default: null, description: 'claude-code: the --model passed to the CLI (also listed first by /v1/models)' },
  { key: 'claude_builtin_tools', type: 'string', default: null, description: 'claude-code: the CLI\'s built-in tools its workers may run, as the CLI\'s --tools takes them ("Read,Grep", or "default" for all); unset: none (--tools ""), so a prompt cannot make the model read or run anything on this host' },
  { key: 'tool_call_timeout_ms', type: 'int', default: 600_000, min: 1, description: 'claude-code: how long a client tool call parked on a process waits for the client\'s result; then the CLI turn is interrupted and the process recycled' },
  { key: 'structured_output', type: 'choice', default: 'auto', choices: ['auto', 'validate', 'pass-through'], description: 'who checks answers against response_format: auto = lifeguard for claude-code, the worker for the others; validate = lifeguard for every driver; pass-through = the worker alone' },
  { key: 'tool_policy', type: 'choice', default: 'drop', choices: ['drop', 'strict'], description: "tools the worker cannot call (hosted tools such as web_search, namespace and custom tools, Anthropic server tools): drop = left out and named in X-Lifeguard-Tools-Dropped and the log; strict = a 400 naming the tool. openai-http passes every tool to its server" },
  { key: 'worker_cwd', type: 'string', default: null, description: "the worker's working directory (default: lifeguard's)" },
  { key: 'workers', type: 'int', default: 1, min: 1, max: 64, description: 'processes started at boot and never stopped below (with standby); the pool grows past it by memory; shared: used processes one tenant spreads over (docs/architecture.md#conversations-and-the-pool)' },
  { key: 'standby', type: 'int', default: null, min: 0, max: 64, description: 'clean spare processes kept started and verified ahead of need at the least; more are kept as new conversations arrive faster (default: 1 for claude-code, 0 otherwise)' },
  { key: 'isolation', type: 'choice', default: 'conversation', choices: ['conversation', 'tenant', 'shared', 'isolated'], description: 'stateful workers: a process of its own per conversation (conversation; isolated is its old name), first turns on a warm lane of the tenant and a process of its own from the second turn (tenant), or any process of the tenant serves any of its requests (shared)' },
  { key: 'session_idle_ms', type: 'int', default: 600_000, min: 1, description: 'a conversation idle this long gives its stateful process up (stopped above the floor, else recycled)' },
  { key: 'max_processes', type: 'int', default: 64, min: 1, max: 1024, description: 'worker processes at most, whatever the memory budget allows' },
  { key: 'memory_budget_mb', type: 'int', default: null, min: 1, description: 'RssAnon+RssShmem all worker processes may take together, in MiB (default: half the memory available at start, the cgroup limit or MemAvailable, whichever is less)' },
  { key: 'spawn_concurrency', type: 'int', default: 2, min: 1, max: 16, description: 'worker processes starting at once at most (spares are refilled in the background within this)' },
  { key: 'api_key', type: 'string', default: null, description: 'bearer key required on /v1/* (unset: no client auth); its tenant is named default' },
  { key: 'api_keys', type: 'keys', default: null, description: 'named client keys, one tenant each: name=key,… (file: a mapping of name to key, or to {key, isolation})' },
  { key: 'admin_token', type: 'string', default: null, description: 'bearer token for /admin/* (unset: loopback clients only)' },
  { key: 'log_format', type: 'choice', default: 'text', choices: ['text', 'json'], description: 'log line format' },
  { key: 'audit_file', type: 'string', default: null, description: 'append one JSON object per lifecycle event to this file' },
  { key: 'inspect', type: 'bool', default: false, description: "send the actors' events to Stately's inspector (needs internet; context sanitised)" },
  { key: 'startup_timeout_ms', type: 'int', default: 30_000, min: 1, driverDefaults: { 'openai-http': 600_000 }, description: 'no ready signal in time → crash' },
  { key: 'verify_timeout_ms', type: 'int', default: 10_000, min: 1, description: 'the verification probe must answer within this' },
  { key: 'backoff_base_ms', type: 'int', default: 1000, min: 0, description: 'crash backoff base (base · 2^(n−1))' },
  { key: 'backoff_max_ms', type: 'int', default: 60_000, min: 0, description: 'crash backoff cap' },
  { key: 'max_consecutive_failures', type: 'int', default: 5, min: 0, description: 'the next failure goes offline (0 = never)' },
  { key: 'stable_run_ms', type: 'int', default: 300_000, min: 1, description: 'healthy this long resets the failure count' },
  { key: 'clean_restart_budget', type: 'int', default: 10, min: 1, description: 'clean exits allowed per window before health_warn + 1 s backoff' },
  { key: 'clean_restart_window_ms', type: 'int', default: 60_000, min: 1, description: 'sliding window of the clean-restart budget' },
  { key: 'proactive_restart_pct', type: 'int', default: 80, min: 1, max: 100, description: 'drain and restart at this % of the token or turn limit' },
  { key: 'token_limit', type: 'int', default: 150_000, min: 0, driverDefaults: { 'openai-http': 0 }, description: 'context token limit (a worker may report its own; 0 = none)' },
  { key: 'turn_limit', type: 'int', default: 10, min: 0, driverDefaults: { 'openai-http': 0, 'claude-code': 0 }, description: 'context turn limit (a worker may report its own; 0 = none)' },
  { key: 'drain_timeout_ms', type: 'int', default: 30_000, min: 0, description: 'in-flight requests get this long when draining' },
  { key: 'stop_grace_ms', type: 'int', default: 5000, min: 0, description: 'SIGTERM → this grace → SIGKILL to the process group' },
  { key: 'wedge_timeout_ms', type: 'int', default: 120_000, min: 1, description: 'no worker output this long while a request is in flight → restart' },
  { key: 'max_rss_mb', type: 'int', default: 0, min: 0, description: 'worker tree RssAnon+RssShmem cap in MiB (0 = off)' },
  { key: 'queue_size', type: 'int', default: 256, min: 0, description: 'requests that may wait for a worker' },
  { key: 'queue_wait_ms', type: 'int', default: 120_000, min: 1, description: 'longest wait in the queue before 503' },
  { key: 'request_timeout_ms', type: 'int', default: 600_000, min: 1, description: 'longest a request may take end to end (→ 504)' },
  { key: 'idle_timeout_ms', type: 'int', default: 120_000, min: 1, description: 'longest silence between two answer events of a request (→ 504 or an SSE error event)' },
  { key: 'body_limit_bytes', type: 'int', default: 4 * 1024 * 1024, min: 1, description: 'largest request body (→ 413)' },
  { key: 'max_line_bytes', type: 'int', default: 8 * 1024 * 1024, min: 1024, description: 'longest worker stdout line (longer: [WARN], skipped)' },
  { key: 'stream_buffer_bytes', type: 'int', default: 8 * 1024 * 1024, min: 1024, description: 'most bytes of a stream that may wait for a slow client (more: the request is cancelled, `client_too_slow`)' },
  { key: 'stream_budget_bytes', type: 'int', default: null, min: 1024, description: 'most bytes waiting for slow stream clients, all streams together (default: a quarter of the heap limit); past it the streams furthest behind end with `client_too_slow`' },
  { key: 'max_answer_bytes', type: 'int', default: 64 * 1024 * 1024, min: 1024, description: 'largest answer lifeguard holds whole (not streamed, or a Responses stream); larger: `answer_too_large` and the worker turn is cancelled' },
  { key: 'max_connections', type: 'int', default: 1024, min: 1, description: 'open client connections at most (also kept 64 under the descriptor limit); more get a 503 and are closed' },
  { key: 'header_timeout_ms', type: 'int', default: 30_000, min: 1, description: "a connection must send a request's headers within this (idle sockets are closed)" },
  { key: 'keep_alive_timeout_ms', type: 'int', default: 5000, min: 1, description: 'an idle keep-alive connection is closed after this' },
  { key: 'otel_endpoint', type: 'string', default: null, description: 'export OpenTelemetry traces over OTLP/HTTP to this base URL (…/v1/traces is appended); unset: the standard OTEL_EXPORTER_OTLP_* variables decide' },
  { key: 'lock_file', type: 'string', default: null, description: 'PID/lock file (default: $XDG_RUNTIME_DIR/lifeguard/lifeguard-<port>.lock, else <tmpdir>/lifeguard-<uid>/lifeguard-<port>.lock; its directory must be writable by lifeguard\'s user alone)' },
] as const satisfies readonly KeySpec[];

/** The default as words, with each driver's own: "30000 (openai-http: 600000)". */
export const describeDefault = (spec: KeySpec) =>
  `${spec.default}${spec.driverDefaults ? ` (${Object.entries(spec.driverDefaults).map(([driver, value]) => `${driver}: ${value}`).join(', ')})` : ''}`;

export const flagOf = (key: string) => `--${key.replace(/_/g, '-')}`;
export const envOf = (key: string) => `LIFEGUARD_${key.toUpperCase()}`;
