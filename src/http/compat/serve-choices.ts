import type { Context } from 'hono';
import type { AnswerEvent, ChatRequestBody, Usage } from '../../drivers/driver.js';
import { ClientTooSlowError, WorkerCrashedError } from '../../errors.js';
import type { DispatchFn } from '../../supervisor/supervisor.js';
import type { AnswerRun } from '../answer-run.js';
import { streamBoundedSSE } from '../bounded-sse.js';
import type { CollectedAnswer } from '../collect-answer.js';
import { completeOnce, openAnswer, type AnswerDeps, type OpenedAnswer, type SseMessage } from '../serve-answer.js';

/** How an API renders several choices of one request (chat completions' `n`, a legacy prompt array). */
export interface ChoicesRenderer {
  complete(answers: CollectedAnswer[]): unknown;
  stream(): {
    open(): SseMessage[];
    /** One event of choice `index`. */
    event(event: AnswerEvent, index: number): SseMessage[];
    /** Every choice is done: the summed usage, then the end of the stream. */
    end(usage: Usage): SseMessage[];
    fail(error: unknown): SseMessage[];
  };
}

export const sumUsage = (usages: Usage[]): Usage => ({
  promptTokens: usages.reduce((sum, u) => sum + u.promptTokens, 0),
  completionTokens: usages.reduce((sum, u) => sum + u.completionTokens, 0),
});

// The events of several answers as they come, each with its choice's index (bounded: one pending read per answer).
async function* interleave(opened: OpenedAnswer[]): AsyncGenerator<{ index: number; event: AnswerEvent }> {
  const reads = new Map<number, Promise<{ index: number; result: IteratorResult<AnswerEvent> }>>();
  const read = (index: number, next: Promise<IteratorResult<AnswerEvent>>) => reads.set(index, next.then((result) => ({ index, result })));
  opened.forEach((answer, index) => read(index, Promise.resolve(answer.first)));
  while (reads.size > 0) {
    const { index, result } = await Promise.race(reads.values());
    reads.delete(index);
    if (result.done) throw new WorkerCrashedError(opened[index]!.dispatch.workerId, true, 'ended the answer without "done"');
    yield { index, event: result.value };
    if (result.value.type !== 'done') read(index, opened[index]!.iterator.next());
  }
}

// n choices (docs/http-api.md): each body is its own dispatch — at once, so that free workers answer them in
// parallel and the rest wait in the queue as any request does — rendered as indexed choices with the
// usage summed. One choice failing fails the request, and the others are cancelled.
export async function serveChoices(c: Context, deps: AnswerDeps, run: AnswerRun, dispatch: DispatchFn, request: { choices: ChatRequestBody[]; stream: boolean; renderer: ChoicesRenderer }): Promise<Response> {
  const { cancellation } = run;
  const { renderer, choices } = request;
  if (!request.stream) {
    try {
      const answers = await Promise.all(choices.map((body) => completeOnce(dispatch, deps.logger, body, cancellation, deps.maxAnswerBytes).catch((error: unknown) => {
        cancellation.abort(error);
        throw error;
      })));
      run.facts.context = answers.at(-1)?.context ?? null;
      return c.json(renderer.complete(answers) as object);
    } catch (error) {
      throw run.failure(error);
    } finally {
      run.finish();
    }
  }

  const settled = await Promise.allSettled(choices.map((body) => openAnswer(dispatch, deps.logger, body, cancellation)));
  const opened = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    cancellation.abort(failed.reason);
    await Promise.all(opened.map((o) => o.iterator.return?.()));
    run.finish();
    throw run.failure(failed.reason);
  }
  run.facts.streamed = true;
  return streamBoundedSSE(c, { limitBytes: deps.streamBufferBytes, flushTimeoutMs: deps.requestTimeoutMs }, async (stream) => {
    stream.onAbort(() => cancellation.abort(new Error('client disconnected')));
    const view = renderer.stream();
    const write = async (messages: SseMessage[]) => {
      for (const message of messages) await stream.writeSSE(message);
    };
    const usages: Usage[] = [];
    try {
      await write(view.open());
      for await (const { index, event } of interleave(opened)) {
        await write(view.event(event, index));
        if (event.type === 'done') {
          usages.push(event.usage);
          run.facts.context = event.context;
        }
      }
      await write(view.end(sumUsage(usages)));
    } catch (error) {
      if (stream.aborted || stream.closed) return;
      if (error instanceof ClientTooSlowError) cancellation.abort(error);
      const failure = run.failure(error);
      cancellation.abort(failure);
      deps.logger.log('ERROR', `stream ended with an error: ${(failure as Error).message}`);
      for (const message of view.fail(failure)) await stream.writeLast(message);
    } finally {
      run.finish();
      await Promise.all(opened.map((o) => o.iterator.return?.()));
    }
  });
}
