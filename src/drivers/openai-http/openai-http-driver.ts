import { RequestCancelledError, WorkerCrashedError, WorkerRequestError } from '../../errors.js';
import { traceHeaders } from '../../observability/tracing/trace-headers.js';
import type { SpawnSpec, WorkerProcess } from '../../process/worker-process.js';
import { AsyncQueue, type QueueObserver } from '../../util/async-queue.js';
import type { AnswerEvent, ChatRequestBody, ConversationTurn, Driver, SessionHooks, WorkerSession } from '../driver.js';
import { splitChunk } from './split-chunk.js';
import { attachOutputLog } from '../output-log.js';
import { freePort } from './free-port.js';
import { sseData } from './sse-lines.js';
import type { CancelSignal } from '../../util/cancellation.js';

export interface OpenAIHttpDriverOptions {
  /** The server command; `{port}` in any argument is replaced by the port lifeguard picked. */
  command: string[];
  /** The server's environment over lifeguard's own; `{port}` in any value is replaced too. */
  env?: Record<string, string>;
  /** lifeguard's environment, which the server inherits (default: process.env). */
  inheritedEnv?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How often readiness is polled while the server starts. */
  readyPollMs?: number;
}

type Json = Record<string, any>;
type PassThrough = NonNullable<Extract<AnswerEvent, { type: 'delta' }>['passThrough']>;

// --driver openai-http: a command that starts an OpenAI-compatible server (llama-server, vLLM,
// Ollama, …) on a port lifeguard chooses; requests are forwarded to it over loopback HTTP.
export function createOpenAIHttpDriver(options: OpenAIHttpDriverOptions): Driver {
  const env = { ...(options.inheritedEnv ?? process.env), ...options.env };
  if (![...options.command, ...Object.values(env)].some((value) => value?.includes('{port}'))) {
    throw new Error('the openai-http driver needs {port} in the worker command or an environment value, e.g. -- llama-server --port {port}');
  }
  return {
    name: 'openai-http',
    async spawnSpec(): Promise<SpawnSpec> {
      const port = await freePort();
      const withPort = (value: string) => value.replaceAll('{port}', String(port));
      const [command, ...args] = options.command.map(withPort);
      // A server configured by its environment (PORT={port}, OLLAMA_HOST=127.0.0.1:{port}).
      const serverEnv = Object.fromEntries(
        Object.entries(env).flatMap(([key, value]) => (value !== undefined && (value.includes('{port}') || options.env?.[key] !== undefined) ? [[key, withPort(value)]] : [])),
      );
      return { command: command!, args, port, ...(Object.keys(serverEnv).length ? { env: serverEnv } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) };
    },
    attach(worker, hooks, spec) {
      return attachHttpSession(worker, hooks, `http://127.0.0.1:${spec.port}`, options.readyPollMs ?? 100);
    },
  };
}

function attachHttpSession(worker: WorkerProcess, hooks: SessionHooks, baseUrl: string, pollMs: number): WorkerSession {
  const { workerId } = hooks;
  let closed: string | null = null;
  let served = 0;
  let tokens = 0;
  const inFlight = new Set<AbortController>();

  const models = async (signal?: AbortSignal): Promise<Json[]> => {
    const response = await fetch(`${baseUrl}/v1/models`, signal ? { signal } : {});
    if (!response.ok) throw new Error(`GET /v1/models answered ${response.status}`);
    const body = (await response.json()) as Json;
    return Array.isArray(body.data) ? (body.data as unknown[]).filter((m): m is Json => typeof m === 'object' && m !== null && 'id' in m) : [];
  };

  // Readiness: poll /health, then /v1/models, until the server answers (the machine's startup
  // timeout bounds how long).
  void (async () => {
    while (!closed) {
      try {
        const health = await fetch(`${baseUrl}/health`).catch(() => null);
        if (health && health.status !== 404 && !health.ok) throw new Error(`health ${health.status}`);
        const offered = await models();
        hooks.activity();
        const ids = offered.map((m) => String(m.id));
        hooks.ready({ models: ids.length ? ids : ['openai-http'], modelEntries: offered, maxConcurrency: 1 });
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    }
  })();

  // A model server's stdout is its log, like its stderr: logged, never parsed.
  worker.stdout?.on('data', () => hooks.activity());
  attachOutputLog(worker, hooks, 'stdout');
  attachOutputLog(worker, hooks);

  const run = async (queue: AsyncQueue<AnswerEvent>, body: ChatRequestBody, controller: AbortController, state: { started: boolean }) => {
    const response = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      // The request's trace goes on upstream (W3C traceparent; nothing when tracing is off).
      headers: { 'content-type': 'application/json', ...traceHeaders() },
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      throw new WorkerRequestError(`The model server answered ${response.status}: ${text.slice(0, 200)}`, response.status >= 500);
    }
    let finishReason = 'stop';
    let usage: Json | null = null;
    let answered = 0;
    // Chunk-level fields (system_fingerprint, timings) of chunks that carried nothing else: they go
    // with the next event, so an empty chunk never counts as the answer having started.
    let carried: PassThrough['chunk'];
    for await (const data of sseData(response.body)) {
      hooks.activity();
      if (data === '[DONE]') break;
      const chunk = JSON.parse(data) as Json;
      if (chunk.error) throw new WorkerRequestError(`The model server failed the request: ${chunk.error.message ?? 'error'}`, false);
      if (chunk.usage) usage = chunk.usage as Json;
      const choice = Array.isArray(chunk.choices) ? (chunk.choices[0] as Json | undefined) : undefined;
      if (choice?.finish_reason) finishReason = String(choice.finish_reason);
      const { content, toolCalls, passThrough = {} } = splitChunk(chunk, choice ?? {});
      if (carried || passThrough.chunk) passThrough.chunk = { ...carried, ...passThrough.chunk };
      const withPassThrough = passThrough.chunk || passThrough.delta || passThrough.choice ? { passThrough } : {};
      if (content) answered += content.length;
      if (content || passThrough.delta || passThrough.choice) {
        queue.push({ type: 'delta', content, ...withPassThrough });
      } else if (toolCalls.length) {
        queue.push({ type: 'tool_call', call: toolCalls.shift()!, ...withPassThrough });
      } else {
        carried = passThrough.chunk;
        continue;
      }
      carried = undefined;
      state.started = true;
      for (const call of toolCalls) queue.push({ type: 'tool_call', call });
    }
    served += 1;
    // A server that reports no usage is estimated at 4 characters a token, so limits still act.
    const promptTokens = Number(usage?.prompt_tokens ?? Math.ceil(JSON.stringify(body.messages ?? []).length / 4));
    const completionTokens = Number(usage?.completion_tokens ?? Math.ceil(answered / 4));
    // A model server is stateless per request: its "context" is what this process has served.
    tokens += promptTokens + completionTokens;
    hooks.context({ tokens, turns: served });
    const done: AnswerEvent = { type: 'done', finishReason, usage: { promptTokens, completionTokens, ...(usage ? { raw: usage } : {}) }, context: { tokens, turns: served } };
    queue.push(carried ? { ...done, passThrough: { chunk: carried } } : done);
    queue.end();
  };

  return {
    async probe(timeoutMs) {
      await models(AbortSignal.timeout(timeoutMs));
    },
    answer(_requestId: string, body: ChatRequestBody, signal: CancelSignal, _turn?: ConversationTurn, observer?: QueueObserver<AnswerEvent>) {
      const queue = new AsyncQueue<AnswerEvent>(observer);
      if (closed) {
        queue.fail(new WorkerCrashedError(workerId, false, closed));
        return queue;
      }
      const controller = new AbortController();
      const state = { started: false };
      inFlight.add(controller);
      const stopWatching = signal.onAbort(() => controller.abort(new RequestCancelledError('The request was cancelled')));
      run(queue, body, controller, state)
        .catch((error: unknown) => {
          if (signal.aborted) return queue.fail(new RequestCancelledError('The request was cancelled'));
          if (closed) return queue.fail(new WorkerCrashedError(workerId, state.started, closed));
          if (error instanceof WorkerRequestError) return queue.fail(error);
          queue.fail(new WorkerCrashedError(workerId, state.started, `stopped answering (${(error as Error).message})`));
        })
        .finally(() => {
          inFlight.delete(controller);
          stopWatching();
        });
      return queue;
    },
    shutdown() {
      // Model servers stop on SIGTERM; nothing to say first.
    },
    forward(path, body, signal) {
      hooks.activity();
      return fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...traceHeaders() }, body, signal });
    },
    close(detail) {
      if (closed) return;
      closed = detail;
      for (const controller of inFlight) controller.abort(new Error(detail));
    },
  };
}
