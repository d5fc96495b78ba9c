#!/usr/bin/env node
// lifeguard's bundled reference worker: speaks jsonl v1 (docs/protocol.md) on stdin/stdout, answers
// deterministically, counts context like an agent (so proactive restarts happen), and has fault
// switches for demos and tests. Plain JavaScript with no dependencies: it runs anywhere Node does.
//
// Fault switches, by environment (whole life) or by a marker in the last user message (one request):
//   REF_WORKER_FAULT=no-ready | fail-probe | ignore-sigterm | fork | garbage | no-json   (comma-separated;
//   ignore-sigterm also ignores the shutdown message)
//   [[crash:N]] exit with code N before answering      [[crash-mid:N]] exit N after the first delta
//   [[exit0]]   exit 0 before answering                  [[hang]] never answer, print nothing
//   [[leak:MB]] keep MB of memory, then answer           [[garbage]] print junk lines, then answer
//   [[long-line:KB]] print one line of KB kilobytes     [[slow:MS]] wait MS between deltas
//   [[long-delta:KB]] answer with one delta of KB kilobytes first (one long jsonl line of the answer)
//   [[error]]   answer with a protocol error             [[fork]] start a grandchild that sleeps
//   [[tokens:N]] count N extra context tokens           [[wait:MS]] wait MS before the first delta
//   [[no-json]] answer "Echo: …" even when response_format asks for JSON
//   [[repeat:N]] say the answer N times over (a long answer from a short request)
//   [[recall]]  answer with what it holds of the conversation (its first user message, how many
//               messages it holds and how many this request brought)
//
// REF_WORKER_STATEFUL=1 makes it a stateful worker (jsonl v1.1): its ready says "stateful":true, it
// keeps the conversation's history itself, a request with "continues":true brings only the new
// messages, and one without starts a new conversation (it warns on stderr if it held another).
//
// Limits: max_completion_tokens (or max_tokens) cuts the answer after that many deltas (its tokens),
// with finish_reason "length". `stop` is left to lifeguard, which cuts at a stop sequence for jsonl workers.
//
// Structured outputs: a request whose response_format is json_schema gets the schema's minimal valid
// instance as its answer (json_object gets {}), so clients that parse JSON see what to expect.
//
// Tool calls (jsonl v1.1): when the request has `tools` and the last user message says [[tool]] (the
// first tool) or [[tool:NAME]], the answer is a call of that tool, its arguments streamed in two
// pieces, with finish_reason "tool_calls". Each string property of the tool's parameters gets the
// message's text without markers (numbers 0, booleans true). When the conversation ends with `tool`
// results, the answer is "Tool result: <their content>" (an image in a result is named "[image]", a file "[file]").
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const env = process.env;
const faults = new Set((env.REF_WORKER_FAULT ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const model = env.REF_WORKER_MODEL ?? 'lifeguard-reference';
const readyDelayMs = Number(env.REF_WORKER_READY_DELAY_MS ?? 0);
const deltaDelayMs = Number(env.REF_WORKER_DELTA_DELAY_MS ?? 0);
const heartbeatMs = Number(env.REF_WORKER_HEARTBEAT_MS ?? 0);
const concurrency = Number(env.REF_WORKER_CONCURRENCY ?? 1);
const stateful = env.REF_WORKER_STATEFUL === '1';

const context = { tokens: 0, turns: 0 };
// The conversation this worker holds (stateful mode): every message so far, its answers included.
let history = [];
const leaks = [];
const active = new Map();

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function startGrandchild() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  process.stderr.write(`grandchild ${child.pid}\n`);
}

if (faults.has('ignore-sigterm')) process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\n'));
if (faults.has('fork')) startGrandchild();
if (heartbeatMs > 0) setInterval(() => send({ type: 'heartbeat' }), heartbeatMs).unref();

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

function lastUserText(body) {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') return textOf(messages[i].content);
  }
  return '';
}

// The conversation as this worker sees it once the request is read.
function conversationOf(message) {
  const messages = Array.isArray(message.body?.messages) ? message.body.messages : [];
  if (!stateful) return messages;
  if (!message.continues && history.length > 0) process.stderr.write(`[WARN] a new conversation replaces one of ${history.length} messages\n`);
  history = message.continues ? [...history, ...messages] : [...messages];
  return history;
}

// A tool result's text, with each image or file it carries named ("[image]", "[file]").
function resultText(content) {
  const media = Array.isArray(content) ? content.flatMap((p) => (p?.type === 'image_url' ? [' [image]'] : p?.type === 'file' ? [' [file]'] : [])) : [];
  return textOf(content) + media.join('');
}

// The tool results that end the conversation (the client answered our tool calls), or null.
function trailingToolResults(messages) {
  const results = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]?.role === 'tool'; i--) results.unshift(resultText(messages[i].content));
  return results.length ? results : null;
}

function requestedTool(body, text) {
  const tools = Array.isArray(body?.tools) ? body.tools.filter((t) => typeof t?.function?.name === 'string') : [];
  const match = /\[\[tool(?::([\w.-]+))?\]\]/.exec(text);
  if (!match || !tools.length) return null;
  return match[1] ? tools.find((t) => t.function.name === match[1]) ?? null : tools[0];
}

// A tool whose schema lists `required` properties gets those only (a shell tool's `cmd`, not its
// `workdir`); one without gets every property.
function argumentsFor(tool, text) {
  const parameters = tool.function.parameters ?? {};
  const required = Array.isArray(parameters.required) && parameters.required.length ? new Set(parameters.required) : null;
  const properties = Object.entries(parameters.properties ?? {}).filter(([name]) => !required || required.has(name));
  const values = { string: text, number: 0, integer: 0, boolean: true };
  return JSON.stringify(Object.fromEntries(properties.map(([name, schema]) => [name, Array.isArray(schema?.enum) ? schema.enum[0] : (values[schema?.type] ?? null)])));
}

// The request's token limit (max_completion_tokens, else max_tokens): this worker's tokens are its deltas.
function tokenLimit(body) {
  const limit = body?.max_completion_tokens ?? body?.max_tokens;
  return Number.isInteger(limit) && limit > 0 ? limit : null;
}

function estimateTokens(text) {
  return Math.max(1, Math.ceil(text.length / 4));
}

function marker(text, name) {
  const match = new RegExp(`\\[\\[${name}(?::(\\d+))?\\]\\]`).exec(text);
  if (!match) return null;
  return match[1] === undefined ? true : Number(match[1]);
}

const FORMAT_EXAMPLES = {
  'date-time': '1970-01-01T00:00:00Z', date: '1970-01-01', time: '00:00:00Z', duration: 'P0D',
  email: 'user@example.com', hostname: 'example.com', ipv4: '0.0.0.0', ipv6: '::', uri: 'https://example.com/',
  uuid: '00000000-0000-0000-0000-000000000000',
};

function resolveRef(root, ref) {
  if (!ref.startsWith('#')) return {};
  return ref.slice(1).split('/').filter(Boolean)
    .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, part) => (node && typeof node === 'object' ? node[part] : undefined), root) ?? {};
}

function minimalNumber(schema, integer) {
  const step = schema.multipleOf ?? (integer ? 1 : 0);
  let value = 0;
  if (typeof schema.minimum === 'number') value = Math.max(value, schema.minimum);
  else if (typeof schema.exclusiveMinimum === 'number') value = Math.max(value, schema.exclusiveMinimum + (step || 1));
  if (typeof schema.maximum === 'number' && value > schema.maximum) value = schema.minimum ?? schema.maximum;
  if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) value = schema.minimum ?? schema.exclusiveMaximum - (step || 1);
  return step ? Math.ceil(value / step) * step : value;
}

// The smallest JSON value a JSON Schema accepts (first branch of a union, required properties only,
// minItems items, minLength characters). Regex patterns are not honoured.
function minimalInstance(schema, root, depth = 0) {
  if (!schema || typeof schema !== 'object' || depth > 32) return null;
  if (typeof schema.$ref === 'string') return minimalInstance(resolveRef(root, schema.$ref), root, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf']) if (Array.isArray(schema[key]) && schema[key].length) return minimalInstance(schema[key][0], root, depth + 1);
  if (Array.isArray(schema.allOf)) return minimalInstance(Object.assign({}, ...schema.allOf, { allOf: undefined }), root, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : (schema.type ?? (schema.properties ? 'object' : schema.items ? 'array' : 'null'));
  switch (type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, minimalInstance(schema.properties?.[name], root, depth + 1)]));
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, (_, i) => minimalInstance(schema.prefixItems?.[i] ?? schema.items, root, depth + 1));
    case 'string':
      return FORMAT_EXAMPLES[schema.format] ?? 'x'.repeat(schema.minLength ?? 0);
    case 'integer':
    case 'number':
      return minimalNumber(schema, type === 'integer');
    case 'boolean':
      return false;
    default:
      return null;
  }
}

// The JSON a response_format asks for, as text; null when any text will do.
function structuredReply(body) {
  const format = body?.response_format;
  if (format?.type === 'json_object') return '{}';
  if (format?.type !== 'json_schema') return null;
  const schema = format.json_schema?.schema;
  return JSON.stringify(schema ? minimalInstance(schema, schema) : {});
}

async function answer(id, message) {
  const body = message.body;
  const conversation = conversationOf(message);
  const text = lastUserText(body);
  const state = { cancelled: false };
  active.set(id, state);
  try {
    const crash = marker(text, 'crash');
    if (crash !== null) process.exit(crash === true ? 1 : crash);
    if (marker(text, 'exit0')) process.exit(0);
    if (marker(text, 'hang')) return await new Promise(() => undefined);
    if (marker(text, 'fork')) startGrandchild();
    const leak = marker(text, 'leak');
    if (leak !== null) leaks.push(Buffer.alloc((leak === true ? 64 : leak) * 1024 * 1024, 1));
    if (marker(text, 'garbage') || faults.has('garbage')) {
      process.stdout.write('this is not json\n{"type":"nonsense"}\n{"broken\n');
    }
    const longLine = marker(text, 'long-line');
    if (longLine !== null) process.stdout.write(`${'x'.repeat((longLine === true ? 2048 : longLine) * 1024)}\n`);
    if (marker(text, 'error')) return send({ type: 'error', id, message: 'the reference worker was asked to fail', retryable: false });
    const longDelta = marker(text, 'long-delta');
    if (longDelta !== null) send({ type: 'delta', id, content: 'y'.repeat((longDelta === true ? 2048 : longDelta) * 1024) });

    const wait = marker(text, 'wait');
    if (wait !== null) await sleep(wait === true ? 1000 : wait);
    const plain = text.replace(/\[\[[^\]]*\]\]/g, '').trim();
    const toolResults = trailingToolResults(conversation);
    const tool = toolResults ? null : requestedTool(body, text);
    if (tool) return callTool(id, conversation, tool, plain);
    const firstUser = conversation.find((m) => m?.role === 'user');
    const structured = marker(text, 'no-json') || faults.has('no-json') ? null : structuredReply(body);
    const reply = toolResults
      ? `Tool result: ${toolResults.join(' | ')}`
      : marker(text, 'recall')
        ? `Recall: ${textOf(firstUser?.content).replace(/\[\[[^\]]*\]\]/g, '').trim()} | held ${conversation.length} | received ${body?.messages?.length ?? 0}`
        : (structured ?? `Echo: ${plain || '(empty)'}`);
    const repeat = marker(text, 'repeat');
    const once = reply.split(/(?<= )/);
    const all = typeof repeat === 'number' && repeat > 1 ? Array.from({ length: repeat }, () => once).flat() : once;
    const limit = tokenLimit(body);
    const words = limit !== null && all.length > limit ? all.slice(0, limit) : all;
    const slow = marker(text, 'slow');
    const crashMid = marker(text, 'crash-mid');
    for (const [index, word] of words.entries()) {
      if (state.cancelled) return send({ type: 'error', id, message: 'cancelled', retryable: false });
      send({ type: 'delta', id, content: word });
      if (index === 0 && crashMid !== null) process.exit(crashMid === true ? 1 : crashMid);
      const pause = slow !== null ? (slow === true ? 100 : slow) : deltaDelayMs;
      if (pause > 0) await sleep(pause);
    }
    if (state.cancelled) return send({ type: 'error', id, message: 'cancelled', retryable: false });
    finish(id, conversation, { role: 'assistant', content: words.join('') }, words.length, words.length < all.length ? 'length' : 'stop', marker(text, 'tokens'));
  } finally {
    active.delete(id);
  }
}

// Ends an answer: counts context, keeps the answer in the history (stateful mode), sends `done`.
function finish(id, conversation, answered, completionTokens, finishReason, extra = null) {
  const promptTokens = estimateTokens(JSON.stringify(conversation));
  if (stateful) history.push(answered);
  context.turns += 1;
  context.tokens += promptTokens + completionTokens + (typeof extra === 'number' ? extra : 0);
  send({
    type: 'done',
    id,
    finish_reason: finishReason,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens },
    context: { ...context },
  });
}

// A tool call in OpenAI's streamed shape: the name first, the arguments appended in two pieces.
function callTool(id, conversation, tool, text) {
  const args = argumentsFor(tool, text);
  const half = Math.ceil(args.length / 2);
  const call = { index: 0, id: `call_${id.replace(/[^\w]/g, '').slice(0, 24)}`, type: 'function' };
  send({ type: 'delta', id, tool_calls: [{ ...call, function: { name: tool.function.name, arguments: args.slice(0, half) } }] });
  send({ type: 'delta', id, tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] });
  const answered = { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: { name: tool.function.name, arguments: args } }] };
  finish(id, conversation, answered, estimateTokens(args), 'tool_calls');
}

// Requests beyond max_concurrency wait their turn, as an agent answers turns in order.
const waiting = [];
function schedule(id, message) {
  waiting.push({ id, message });
  pump();
}
function pump() {
  while (active.size < concurrency && waiting.length) {
    const next = waiting.shift();
    active.set(next.id, { cancelled: false });
    answer(next.id, next.message).finally(pump);
  }
}

function handle(message) {
  switch (message?.type) {
    case 'ping':
      if (!faults.has('fail-probe')) send({ type: 'pong', id: message.id });
      return;
    case 'request':
      return schedule(message.id, message);
    case 'cancel': {
      const queued = waiting.findIndex((w) => w.id === message.id);
      if (queued >= 0) {
        waiting.splice(queued, 1);
        return send({ type: 'error', id: message.id, message: 'cancelled', retryable: false });
      }
      const state = active.get(message.id);
      if (state) state.cancelled = true;
      process.stderr.write(`cancelled ${message.id}\n`);
      return;
    }
    case 'shutdown':
      // A worker that ignores SIGTERM is stubborn about the polite request too.
      if (faults.has('ignore-sigterm')) return process.stderr.write('ignoring shutdown\n');
      process.exit(0);
      return;
    default:
      process.stderr.write(`[WARN] unknown message ${JSON.stringify(message).slice(0, 200)}\n`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  try {
    handle(JSON.parse(line));
  } catch (error) {
    process.stderr.write(`[WARN] unreadable line: ${String(error)}\n`);
  }
});
// lifeguard closing our stdin means it is gone: never outlive it.
lines.on('close', () => process.exit(0));

if (!faults.has('no-ready')) {
  setTimeout(() => {
    send({
      type: 'ready',
      models: [model],
      ...(env.REF_WORKER_TOKEN_LIMIT || env.REF_WORKER_TURN_LIMIT
        ? {
            limits: {
              ...(env.REF_WORKER_TOKEN_LIMIT ? { token_limit: Number(env.REF_WORKER_TOKEN_LIMIT) } : {}),
              ...(env.REF_WORKER_TURN_LIMIT ? { turn_limit: Number(env.REF_WORKER_TURN_LIMIT) } : {}),
            },
          }
        : {}),
      max_concurrency: concurrency,
      ...(stateful ? { stateful: true } : {}),
    });
  }, readyDelayMs);
}
