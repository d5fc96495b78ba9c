import { randomUUID } from 'node:crypto';
import { InvalidRequestError, RequestCancelledError, WorkerCrashedError, WorkerRequestError } from '../../errors.js';
import type { SpawnSpec, WorkerProcess } from '../../process/worker-process.js';
import { AsyncQueue, type QueueObserver } from '../../util/async-queue.js';
import type { CancelSignal } from '../../util/cancellation.js';
import type { AnswerEvent, ChatRequestBody, ConversationTurn, Driver, SessionHooks, WorkerSession } from '../driver.js';
import { createLineSplitter } from '../jsonl/line-splitter.js';
import { attachOutputLog } from '../output-log.js';
import { createCompactionWatch } from './compaction.js';
import { foldMessages } from './fold-messages.js';
import { quietStartArgs, quietStartEnv } from './quiet-start.js';

export interface ClaudeCodeDriverOptions {
  /** The CLI and any pass-through options, e.g. ['claude', '--permission-mode', 'bypassPermissions']. */
  command: string[];
  model: string | null;
  env?: Record<string, string>;
  cwd?: string;
  maxLineBytes: number;
}

export const STREAM_JSON_ARGS = ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'];

interface Turn {
  requestId: string;
  text: string;
  queue: AsyncQueue<AnswerEvent>;
  started: boolean;
  cancelled: boolean;
  sent: boolean;
}

type Json = Record<string, any>;

// --driver claude-code: one persistent `claude -p` process in stream-json mode per worker.
export function createClaudeCodeDriver(options: ClaudeCodeDriverOptions): Driver {
  const [command, ...passThrough] = options.command;
  if (!command) throw new Error('the claude-code driver needs a command (default: claude)');
  return {
    name: 'claude-code',
    spawnSpec: (): SpawnSpec => ({
      command,
      args: [...passThrough, ...STREAM_JSON_ARGS, ...quietStartArgs(passThrough), ...(options.model ? ['--model', options.model] : [])],
      env: { ...quietStartEnv(process.env), ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }),
    attach: (worker, hooks) => attachClaudeSession(worker, hooks, options),
  };
}

function attachClaudeSession(worker: WorkerProcess, hooks: SessionHooks, options: ClaudeCodeDriverOptions): WorkerSession {
  const { logger, workerId } = hooks;
  const pid = worker.pid;
  const controls = new Map<string, (response: Json) => void>();
  // Claude Code answers turns in order: one is written at a time, the rest wait here.
  const turns: Turn[] = [];
  let served = 0;
  let closed: string | null = null;
  let contextWindow: number | null = null;

  const write = (message: object) => {
    if (closed || !worker.stdin || worker.stdin.destroyed) return;
    worker.stdin.write(`${JSON.stringify(message)}\n`);
  };
  const control = (request: Json, onResponse: (response: Json) => void) => {
    const requestId = `lg-${randomUUID()}`;
    controls.set(requestId, onResponse);
    write({ type: 'control_request', request_id: requestId, request });
    return requestId;
  };
  const warn = (message: string) => logger.log('WARN', message, { worker: workerId, pid });
  const compaction = createCompactionWatch(hooks, pid, () => served);

  const sendNextTurn = () => {
    const turn = turns[0];
    if (!turn || turn.sent) return;
    turn.sent = true;
    write({ type: 'user', message: { role: 'user', content: turn.text }, parent_tool_use_id: null, session_id: 'default' });
  };

  const finishTurn = (result: Json) => {
    const turn = turns.shift();
    sendNextTurn();
    if (!turn) return warn('a result arrived with no turn in flight');
    served += 1;
    const usage = (result.usage ?? {}) as Json;
    const inputTokens = Number(usage.input_tokens ?? 0) + Number(usage.cache_read_input_tokens ?? 0) + Number(usage.cache_creation_input_tokens ?? 0);
    const windows = Object.values((result.modelUsage ?? {}) as Record<string, Json>).map((m) => Number(m.contextWindow ?? 0));
    if (windows.length) contextWindow = Math.max(...windows);
    const report = { tokens: inputTokens + Number(usage.output_tokens ?? 0), turns: served, ...(contextWindow ? { limits: { tokenLimit: contextWindow } } : {}) };
    hooks.context(report);
    if (turn.cancelled) return;
    if (result.is_error || result.subtype !== 'success') {
      const reason = typeof result.result === 'string' && result.result ? result.result : String(result.subtype ?? 'error');
      turn.queue.fail(new WorkerRequestError(`Claude Code failed the turn: ${reason}`, false));
      return;
    }
    turn.queue.push({
      type: 'done',
      finishReason: result.stop_reason === 'max_tokens' ? 'length' : 'stop',
      usage: { promptTokens: inputTokens, completionTokens: Number(usage.output_tokens ?? 0) },
      context: { tokens: report.tokens, turns: served },
    });
    turn.queue.end();
  };

  const onLine = (line: string) => {
    hooks.activity();
    if (!line.trim()) return;
    let message: Json;
    try {
      message = JSON.parse(line) as Json;
    } catch {
      return warn(`ignored a line from Claude Code that is not JSON: ${line.slice(0, 120)}`);
    }
    switch (message.type) {
      case 'control_response': {
        const response = (message.response ?? {}) as Json;
        const handler = controls.get(String(response.request_id));
        controls.delete(String(response.request_id));
        handler?.(response);
        return;
      }
      case 'stream_event': {
        const event = (message.event ?? {}) as Json;
        const turn = turns[0];
        if (!turn || turn.cancelled || message.parent_tool_use_id) return;
        if (event.type === 'content_block_delta' && event.delta?.type === 'text_delta' && typeof event.delta.text === 'string') {
          turn.started = true;
          turn.queue.push({ type: 'delta', content: event.delta.text });
        }
        return;
      }
      case 'result':
        return finishTurn(message);
      case 'system':
        compaction.onSystem(message);
        return;
      case 'control_request':
        // The CLI asks us (e.g. can_use_tool): lifeguard is headless, so it declines.
        write({ type: 'control_response', response: { subtype: 'error', request_id: message.request_id, error: 'lifeguard does not answer CLI control requests' } });
        return;
      default:
        return;
    }
  };

  const splitter = createLineSplitter(options.maxLineBytes, onLine, (bytes) => {
    hooks.activity();
    warn(`skipped a Claude Code stdout line longer than ${options.maxLineBytes} bytes (${bytes}+ bytes)`);
  });
  worker.stdout?.on('data', (chunk: Buffer) => splitter.push(chunk));
  worker.stdout?.on('end', () => splitter.flush());
  attachOutputLog(worker, hooks);

  // Readiness: the CLI prints nothing before its first input; the initialize request answers.
  control({ subtype: 'initialize' }, (response) => {
    if (response.subtype !== 'success') return warn(`Claude Code refused initialize: ${JSON.stringify(response).slice(0, 200)}`);
    const offered = Array.isArray(response.response?.models) ? (response.response.models as Json[]).map((m) => String(m.value)) : [];
    const models = [...new Set([...(options.model ? [options.model] : []), ...offered])];
    // One CLI process holds one context whatever session_id says: the pool gives it one conversation.
    hooks.ready({ models: models.length ? models : ['claude-code'], maxConcurrency: 1, stateful: true });
  });

  return {
    probe(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          controls.delete(id);
          reject(new Error(`Claude Code did not answer a control request within ${timeoutMs} ms`));
        }, timeoutMs);
        // Any answer (success or error) proves the CLI reads and answers its input.
        const id = control({ subtype: 'mcp_status' }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    answer(requestId: string, body: ChatRequestBody, signal: CancelSignal, conversation?: ConversationTurn, observer?: QueueObserver<AnswerEvent>) {
      if (Array.isArray(body.tools) && body.tools.length > 0) {
        // Never drop a client's tools silently (SPEC §4): the CLI runs its own tools, and an MCP bridge
        // that serves the request's tools to it is not built yet.
        const refused = new AsyncQueue<AnswerEvent>(observer);
        refused.fail(
          new InvalidRequestError(
            'tools',
            "Invalid value for 'tools': the claude-code driver cannot call a client's tools yet (Claude Code runs its own tools; serving yours to it over MCP is planned). Send the request without 'tools', or use a jsonl or openai-http worker.",
          ),
        );
        return refused;
      }
      // A continuation writes only the new messages: the process holds the rest of the conversation.
      const text = foldMessages(conversation?.continues ? conversation.messages : body.messages);
      const turn: Turn = { requestId, text, queue: new AsyncQueue(observer), started: false, cancelled: false, sent: false };
      if (closed) {
        turn.queue.fail(new WorkerCrashedError(workerId, false, closed));
        return turn.queue;
      }
      const onAbort = () => {
        if (turn.queue.settled) return;
        turn.cancelled = true;
        turn.queue.fail(new RequestCancelledError('The request was cancelled'));
        if (turn.sent) {
          // The turn stays first in line until its result arrives, so the next one is not mixed in.
          control({ subtype: 'interrupt' }, () => undefined);
        } else if (turns.includes(turn)) {
          turns.splice(turns.indexOf(turn), 1);
        }
      };
      signal.onAbort(onAbort);
      if (!turn.cancelled) {
        turns.push(turn);
        sendNextTurn();
      }
      return turn.queue;
    },
    shutdown() {
      worker.stdin?.end();
    },
    close(detail) {
      if (closed) return;
      closed = detail;
      compaction.close();
      for (const turn of turns.splice(0)) turn.queue.fail(new WorkerCrashedError(workerId, turn.started, detail));
      controls.clear();
    },
  };
}
