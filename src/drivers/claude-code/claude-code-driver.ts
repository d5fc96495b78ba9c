import { randomUUID } from 'node:crypto';
import { RequestCancelledError, WorkerCrashedError, WorkerRequestError } from '../../errors.js';
import type { SpawnSpec, WorkerProcess } from '../../process/worker-process.js';
import { AsyncQueue, type QueueObserver } from '../../util/async-queue.js';
import type { CancelSignal } from '../../util/cancellation.js';
import type { AnswerEvent, ChatMessage, ChatRequestBody, ConversationTurn, Driver, SessionHooks, WorkerSession } from '../driver.js';
import { createLineSplitter } from '../jsonl/line-splitter.js';
import { attachOutputLog } from '../output-log.js';
import { applyStreamEvent, emptyUsage, newTurn, type Json, type StreamEventHooks, type Turn } from './claude-turn.js';
import { builtinNames, STREAM_JSON_ARGS, toolArgs } from './cli-flags.js';
import { mcpToolsOf, NO_RESULT, nonToolMessages, toolResultsOf, toolSetDigest, type McpTool, type McpToolResult } from './client-tools.js';
import { createCompactionWatch } from './compaction.js';
import { foldMessages } from './fold-messages.js';
import { mediaBlocks } from './media-blocks.js';
import { ParkedCalls } from './parked-calls.js';
import { createToolBridge } from './tool-bridge.js';
import { quietStartArgs, quietStartEnv } from './quiet-start.js';

export interface ClaudeCodeDriverOptions {
  /** The CLI and any pass-through options, e.g. ['claude', '--permission-mode', 'bypassPermissions']. */
  command: string[];
  model: string | null;
  env?: Record<string, string>;
  cwd?: string;
  maxLineBytes: number;
  /** The CLI's built-in tools the workers may run (its --tools); null or absent: none (`--tools ""`). */
  builtinTools?: string | null;
  /** How long a client tool call parked on a process waits for the client's result (tool_call_timeout_ms). */
  toolCallTimeoutMs?: number;
}

/** The default of tool_call_timeout_ms. */
export const TOOL_CALL_TIMEOUT_MS = 600_000;

// --driver claude-code: one persistent `claude -p` process in stream-json mode per worker.
export function createClaudeCodeDriver(options: ClaudeCodeDriverOptions): Driver {
  const [command, ...passThrough] = options.command;
  if (!command) throw new Error('the claude-code driver needs a command (default: claude)');
  return {
    name: 'claude-code',
    spawnSpec: (): SpawnSpec => ({
      command,
      args: [...passThrough, ...STREAM_JSON_ARGS, ...quietStartArgs(passThrough), ...toolArgs(passThrough, options.builtinTools ?? null), ...(options.model ? ['--model', options.model] : [])],
      env: {
        ...quietStartEnv(process.env),
        // Client tools reach the model under their own names, and their results whole (up to the CLI's cap).
        CLAUDE_AGENT_SDK_MCP_NO_PREFIX: '1',
        MAX_MCP_OUTPUT_TOKENS: process.env.MAX_MCP_OUTPUT_TOKENS ?? '200000',
        ...options.env,
      },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }),
    attach: (worker, hooks) => attachClaudeSession(worker, hooks, options, builtinNames(passThrough, options.builtinTools ?? null)),
  };
}

function attachClaudeSession(worker: WorkerProcess, hooks: SessionHooks, options: ClaudeCodeDriverOptions, builtins: ReadonlySet<string>): WorkerSession {
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

  const bridge = createToolBridge({ write, control, warn });
  const userLine = (text: string, media: Json[] = []) =>
    write({ type: 'user', message: { role: 'user', content: media.length ? [{ type: 'text', text }, ...media] : text }, parent_tool_use_id: null, session_id: 'default' });

  let preparing = false;
  const sendNextTurn = () => {
    const turn = turns[0];
    if (!turn || turn.sent || preparing) return;
    const tools = turn.tools;
    if (!tools || bridge.serves(tools.digest)) {
      turn.sent = true;
      return userLine(turn.text, turn.media);
    }
    // A new tool set: its server is declared and listed before the user line, so the first API call carries it.
    preparing = true;
    void bridge.serve(tools.list, tools.digest).then(() => {
      preparing = false;
      sendNextTurn();
    });
  };

  const parking = new ParkedCalls({
    timeoutMs: options.toolCallTimeoutMs ?? TOOL_CALL_TIMEOUT_MS,
    hooks,
    warn,
    interrupt: () => control({ subtype: 'interrupt' }, () => undefined),
    abandonCalls: (ids) => bridge.abandon(ids),
  });

  const finishTurn = (result: Json) => {
    const turn = turns.shift();
    if (turn) parking.release(turn);
    sendNextTurn();
    if (!turn) return warn('a result arrived with no turn in flight');
    served += 1;
    const usage = (result.usage ?? {}) as Json;
    const inputTokens = Number(usage.input_tokens ?? 0) + Number(usage.cache_read_input_tokens ?? 0) + Number(usage.cache_creation_input_tokens ?? 0);
    const windows = Object.values((result.modelUsage ?? {}) as Record<string, Json>).map((m) => Number(m.contextWindow ?? 0));
    if (windows.length) contextWindow = Math.max(...windows);
    // A turn with a client tool round made several API calls: the result sums them, the context is the last one's.
    const tokens = turn?.bridged ? turn.lastCall.input + turn.lastCall.output : inputTokens + Number(usage.output_tokens ?? 0);
    const report = { tokens, turns: served, ...(contextWindow ? { limits: { tokenLimit: contextWindow } } : {}) };
    hooks.context(report);
    if (turn.cancelled || turn.queue.settled) return;
    if (result.is_error || result.subtype !== 'success') {
      const reason = typeof result.result === 'string' && result.result ? result.result : String(result.subtype ?? 'error');
      turn.queue.fail(new WorkerRequestError(`Claude Code failed the turn: ${reason}`, false));
      return;
    }
    turn.queue.push({
      type: 'done',
      finishReason: result.stop_reason === 'max_tokens' ? 'length' : 'stop',
      // After a client tool round the CLI's result spans several HTTP answers: this one's usage is its own API calls'.
      usage: turn.bridged ? { promptTokens: turn.usage.input, completionTokens: turn.usage.output } : { promptTokens: inputTokens, completionTokens: Number(usage.output_tokens ?? 0) },
      context: { tokens: report.tokens, turns: served },
    });
    turn.queue.end();
  };

  // The client's next request brings the results: they answer the parked calls (a call it sent no
  // result for gets an error result), and the rest of the same CLI turn streams into this answer.
  const resume = (turn: Turn, requestId: string, queue: AsyncQueue<AnswerEvent>, results: Map<string, McpToolResult>, incoming: ChatMessage[], signal: CancelSignal) => {
    const ids = parking.release(turn);
    Object.assign(turn, { requestId, queue, started: false, usage: emptyUsage(), stopReason: null, calls: [] });
    turn.blocks.clear();
    // Words the client sent beside its results reach the model in the same turn (as a reminder).
    const words = nonToolMessages(incoming);
    if (words.some((m) => m.role === 'user')) userLine(foldMessages(words));
    for (const id of ids) bridge.answer(id, results.get(id) ?? { content: [{ type: 'text', text: NO_RESULT }], isError: true });
    signal.onAbort(() => {
      if (queue.settled) return;
      turn.cancelled = true;
      queue.fail(new RequestCancelledError('The request was cancelled'));
      control({ subtype: 'interrupt' }, () => undefined);
    });
    return queue;
  };

  const streamHooks: StreamEventHooks = { clientTools: () => bridge.toolNames(), park: (turn) => parking.park(turn) };

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
        return applyStreamEvent(turn, event, streamHooks);
      }
      case 'result':
        return finishTurn(message);
      case 'system':
        compaction.onSystem(message);
        return;
      case 'control_request':
        // The client tools' MCP server and permission prompts; anything else lifeguard declines.
        if (bridge.handle(message)) return;
        write({ type: 'control_response', response: { subtype: 'error', request_id: message.request_id, error: 'lifeguard does not answer CLI control requests' } });
        return;
      default:
        return;
    }
  };

  // A piece of the answer lost to an over-long line fails the turn (never an answer with text
  // missing); an over-long `result` (it repeats the whole answer, already streamed) still ends it.
  const splitter = createLineSplitter(options.maxLineBytes, onLine, (bytes, head) => {
    hooks.activity();
    warn(`skipped a Claude Code stdout line longer than ${options.maxLineBytes} bytes (${bytes}+ bytes)`);
    const type = /^\s*\{\s*"type"\s*:\s*"([a-z_]+)"/.exec(head)?.[1];
    const turn = turns[0];
    if (type === 'result') return finishTurn({ type: 'result', subtype: 'success', usage: {} });
    if (type !== 'stream_event' || !turn || turn.cancelled) return;
    turn.cancelled = true;
    turn.queue.fail(new WorkerRequestError(`Claude Code sent a stdout line of more than ${options.maxLineBytes} bytes (max_line_bytes) in this answer; lifeguard cannot read it, so the answer would be incomplete`, false));
    control({ subtype: 'interrupt' }, () => undefined);
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
      const queue = new AsyncQueue<AnswerEvent>(observer);
      if (closed) {
        queue.fail(new WorkerCrashedError(workerId, false, closed));
        return queue;
      }
      let tools: McpTool[];
      try {
        tools = mcpToolsOf(body, builtins);
      } catch (error) {
        queue.fail(error);
        return queue;
      }
      // A continuation writes only the new messages: the process holds the rest of the conversation.
      const fresh = conversation?.continues ? conversation.messages : body.messages;
      let media: Json[];
      try {
        media = mediaBlocks(fresh);
      } catch (error) {
        queue.fail(error);
        return queue;
      }
      const head = turns[0];
      if (head?.awaiting) {
        // The turn waits for the client's tool results: this request brings them, or it is another
        // conversation's (isolation shared) or a diverged history, and the waiting turn is given up.
        const lastAssistant = body.messages.map((m) => m.role).lastIndexOf('assistant');
        const incoming = conversation?.continues ? conversation.messages : body.messages.slice(lastAssistant + 1);
        const results = toolResultsOf(incoming, head.awaiting);
        if (results.size > 0) return resume(head, requestId, queue, results, incoming, signal);
        parking.abandon(head);
      }
      const digest = toolSetDigest(tools);
      if (bridge.hasServed() && !bridge.serves(digest)) {
        // The CLI 2.1.112 keeps a removed server's unprefixed tools in the model's tool list (it drops
        // them by the mcp__<server>__ prefix), so a changed tool set cannot be served here: the process
        // is recycled and the request re-dispatched, as a lost conversation, to a fresh one.
        hooks.recycle?.('tool_set_changed');
        queue.fail(new WorkerCrashedError(workerId, false, 'cannot change the client tool set it serves (Claude Code 2.1.112); the conversation moves to a fresh process'));
        return queue;
      }
      const turn = newTurn(requestId, foldMessages(fresh), media, queue, { list: tools, digest });
      signal.onAbort(() => {
        if (queue.settled) return;
        turn.cancelled = true;
        queue.fail(new RequestCancelledError('The request was cancelled'));
        if (turn.sent) {
          // The turn stays first in line until its result arrives, so the next one is not mixed in.
          control({ subtype: 'interrupt' }, () => undefined);
        } else if (turns.includes(turn)) {
          turns.splice(turns.indexOf(turn), 1);
        }
      });
      if (!turn.cancelled) {
        turns.push(turn);
        sendNextTurn();
      }
      return queue;
    },
    shutdown() {
      worker.stdin?.end();
    },
    close(detail) {
      if (closed) return;
      closed = detail;
      compaction.close();
      for (const turn of turns.splice(0)) {
        parking.release(turn);
        turn.queue.fail(new WorkerCrashedError(workerId, turn.started, detail));
      }
      controls.clear();
    },
  };
}
