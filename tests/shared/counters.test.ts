import { AsyncLocalStorage } from 'node:async_hooks';
import { createCounterStore } from '../../server/shared/counters.js';
import { createLogger } from '../../server/shared/logger.js';

const counters = createCounterStore(undefined, createLogger('silent'));

describe('in-process counters', () => {
  it('count, report, penalize and forget a key', async () => {
    const counter = counters.limiter({ keyPrefix: 'test-count', points: 3, durationSeconds: 60 });
    expect(await counter.get('a')).toBeNull();
    expect((await counter.consume('a', 1)).remainingPoints).toBe(2);
    expect((await counter.penalty('a', 1)).remainingPoints).toBe(1);
    expect((await counter.get('a'))?.consumedPoints).toBe(2);
    await expect(counter.consume('a', 2)).rejects.toMatchObject({ remainingPoints: 0, consumedPoints: 4 });
    expect(await counter.delete('a')).toBe(true);
    expect(await counter.get('a')).toBeNull();
    expect(await counter.get('b')).toBeNull(); // keys are apart
  });

  it('start their expiry timers outside the caller\'s async context, so a counted request is not kept alive', async () => {
    // A request handled by oidc-provider runs inside its AsyncLocalStorage (the koa context, with
    // req and res); a timer started there would keep all of it until the counter's window ends.
    const requestContext = new AsyncLocalStorage<{ request: string }>();
    const seenByTimers: unknown[] = [];
    const realSetTimeout = globalThis.setTimeout;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      seenByTimers.push(requestContext.getStore());
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    const counter = counters.limiter({ keyPrefix: 'test-context', points: 10, durationSeconds: 60 });
    let inside: unknown;
    try {
      await requestContext.run({ request: 'a token request' }, async () => {
        await counter.consume('client-1', 1);
        await counter.penalty('client-2', 1);
        inside = requestContext.getStore(); // the caller's own context is untouched
      });
    } finally {
      globalThis.setTimeout = realSetTimeout;
      await counter.delete('client-1');
      await counter.delete('client-2');
    }
    expect(inside).toEqual({ request: 'a token request' });
    expect(seenByTimers).toEqual([undefined, undefined]);
  });
});
