import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AsyncQueue, type QueueObserver } from '../../src/util/async-queue.js';

// A full GC on demand, without starting the test process with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const recorder = () => {
  const seen: string[] = [];
  const observer: QueueObserver<string> = { pushed: (value) => seen.push(value), settled: () => seen.push('settled') };
  return { seen, observer };
};

async function drain<T>(queue: AsyncQueue<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of queue) values.push(value);
  return values;
}

describe('AsyncQueue', () => {
  it('gives what was pushed, in order, to a consumer that comes before or after it', async () => {
    const queue = new AsyncQueue<string>();
    queue.push('a');
    const drained = drain(queue);
    queue.push('b');
    queue.end();
    expect(await drained).toEqual(['a', 'b']);
  });

  it('fails its consumer with the error it failed with, after what came before it', async () => {
    const queue = new AsyncQueue<string>();
    const values: string[] = [];
    queue.push('a');
    queue.fail(new Error('worker gone'));
    await expect(
      (async () => {
        for await (const value of queue) values.push(value);
      })(),
    ).rejects.toThrow('worker gone');
    expect(values).toEqual(['a']);
  });

  it('shows each value to its observer as it is pushed, and its end once; nothing after the end', async () => {
    const { seen, observer } = recorder();
    const queue = new AsyncQueue<string>(observer);
    queue.push('a');
    expect(seen).toEqual(['a']);
    queue.end();
    queue.push('b');
    queue.fail(new Error('late'));
    queue.end();
    expect(seen).toEqual(['a', 'settled']);
    expect(await drain(queue)).toEqual(['a']);
  });

  it('lets go of its observer once settled, though the queue itself is still held', async () => {
    const held: Array<AsyncQueue<string>> = [];
    let released = false;
    const registry = new FinalizationRegistry(() => {
      released = true;
    });
    (() => {
      const { observer } = recorder();
      const queue = new AsyncQueue<string>(observer);
      registry.register(observer, 'observer');
      queue.push('a');
      queue.end();
      held.push(queue);
    })();
    // The observer is reachable only through the queue: once the queue has ended, a full GC takes it.
    for (let attempt = 0; attempt < 20 && !released; attempt++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    expect(released).toBe(true);
    expect(held[0]!.settled).toBe(true);
  });
});
