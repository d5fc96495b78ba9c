import { describe, expect, it } from 'vitest';
import { Cancellation } from '../../src/util/cancellation.js';

describe('a request’s cancellation', () => {
  it('tells each listener once, with the reason, and then says it is aborted', () => {
    const cancellation = new Cancellation();
    const heard: unknown[] = [];
    cancellation.onAbort((reason) => heard.push(['a', reason]));
    cancellation.onAbort((reason) => heard.push(['b', reason]));
    expect(cancellation.aborted).toBe(false);
    const reason = new Error('client disconnected');
    cancellation.abort(reason);
    cancellation.abort(new Error('a second abort changes nothing'));
    expect(heard).toEqual([['a', reason], ['b', reason]]);
    expect(cancellation.aborted).toBe(true);
    expect(cancellation.reason).toBe(reason);
  });

  it('a listener added after the abort hears of it at once; one that stopped listening hears nothing', () => {
    const cancellation = new Cancellation();
    const heard: string[] = [];
    const stop = cancellation.onAbort(() => heard.push('stopped early'));
    cancellation.onAbort(() => heard.push('kept'));
    stop();
    cancellation.abort();
    cancellation.onAbort(() => heard.push('late'));
    expect(heard).toEqual(['kept', 'late']);
    expect(cancellation.reason).toBeInstanceOf(Error);
  });
});
