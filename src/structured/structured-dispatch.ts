import type { AnswerEvent, ChatRequestBody, Usage } from '../drivers/driver.js';
import { StructuredOutputError, WorkerCrashedError } from '../errors.js';
import type { CancelSignal } from '../util/cancellation.js';
import type { Logger } from '../util/logger.js';
import type { Dispatch, DispatchFn } from '../supervisor/supervisor.js';
import { correctiveFollowUp, withInstruction } from './instruction.js';
import { readResponseFormat, type StructuredFormat } from './response-format.js';
import { schemaCheck, type Verdict } from './schema-check.js';

export interface StructuredOutputOptions {
  /** State the format in the turn (a worker with no per-request schema of its own: Claude Code). */
  instruct: boolean;
  logger: Logger;
}

interface Collected {
  text: string;
  events: AnswerEvent[];
  /** The answer holds more than text (a tool call): a format applies to text answers only. */
  beyondText: boolean;
  done: Extract<AnswerEvent, { type: 'done' }>;
}

async function collect(dispatch: Dispatch): Promise<Collected> {
  let text = '';
  let beyondText = false;
  const events: AnswerEvent[] = [];
  for await (const event of dispatch.events) {
    events.push(event);
    if (event.type === 'done') return { text, events, beyondText, done: event };
    if (event.type === 'delta') text += event.content;
    else beyondText = true;
  }
  // Nothing of it reached the client: the gateway may re-dispatch the request.
  throw new WorkerCrashedError(dispatch.workerId, false, 'ended the answer without "done"');
}

const addUsage = (a: Usage, b: Usage): Usage => ({ promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens });

const describe = (format: StructuredFormat) => (format.kind === 'json_schema' ? `the JSON Schema "${format.name}"` : 'a JSON object');
const preview = (text: string) => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);

// Validated answers: the answer is read whole, checked against the request's `response_format`, and
// passed on as one delta only once it conforms. An answer that does not gets one corrective follow-up
// turn (the conversation so far + the answer + what failed); still wrong → StructuredOutputError (502).
async function* validatedAnswer(dispatch: DispatchFn, first: Dispatch, asked: ChatRequestBody, format: StructuredFormat, check: (answer: string) => Verdict, signal: CancelSignal, options: StructuredOutputOptions): AsyncGenerator<AnswerEvent> {
  const answer = await collect(first);
  if (answer.beyondText) return yield* answer.events;
  let verdict = check(answer.text);
  let done = answer.done;
  if (!verdict.ok) {
    options.logger.log('WARN', `the answer does not conform to ${describe(format)} (${verdict.failure}): asking once for a correction`, { worker: first.workerId });
    const followUp = await dispatch(correctiveFollowUp(asked, answer.text, verdict.failure), signal);
    const corrected = await collect(followUp);
    if (corrected.beyondText) return yield* corrected.events;
    verdict = check(corrected.text);
    done = { ...corrected.done, usage: addUsage(answer.done.usage, corrected.done.usage) };
    if (!verdict.ok) {
      throw new StructuredOutputError(
        `The worker's answer does not conform to response_format (${describe(format)}) after one corrective turn: ${verdict.failure}. Last answer: ${preview(corrected.text)}`,
      );
    }
  }
  yield { type: 'delta', content: verdict.json };
  yield done;
}

// The generator's events; a return() before the first read still gives the first dispatch's lease back.
function releasing(generator: AsyncGenerator<AnswerEvent>, first: Dispatch): AsyncIterable<AnswerEvent> {
  let started = false;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        started = true;
        return generator.next();
      },
      return: async () => {
        if (!started) await first.events[Symbol.asyncIterator]().return?.();
        return generator.return(undefined);
      },
    }),
  };
}

// Wraps the gateway's dispatch: requests with a JSON `response_format` get validated answers (above);
// the rest pass as they are.
export function withStructuredOutput(dispatch: DispatchFn, options: StructuredOutputOptions): DispatchFn {
  return async (body, signal, avoid) => {
    const format = readResponseFormat(body);
    if (!format) return dispatch(body, signal, avoid);
    const check = schemaCheck(format);
    const asked = options.instruct ? withInstruction(body, format) : body;
    const first = await dispatch(asked, signal, avoid);
    return { ...first, events: releasing(validatedAnswer(dispatch, first, asked, format, check, signal, options), first) };
  };
}

export type StructuredOutputSetting = 'auto' | 'validate' | 'pass-through';

// Who validates: `auto` → the claude-code driver (whose CLI knows no per-request schema); `validate` →
// every driver (only claude-code's turns get the format stated); `pass-through` → none.
export function structuredOutputFor(driver: string, setting: StructuredOutputSetting): { instruct: boolean } | null {
  if (setting === 'pass-through') return null;
  if (setting === 'auto' && driver !== 'claude-code') return null;
  return { instruct: driver === 'claude-code' };
}
