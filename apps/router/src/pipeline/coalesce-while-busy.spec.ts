import { Subject, lastValueFrom, toArray } from 'rxjs';
import { coalesceWhileBusy } from './coalesce-while-busy';

describe('coalesceWhileBusy', () => {
  it('runs one batch at a time and keeps each key once while a batch is running', async () => {
    const source = new Subject<{ key: string; n: number }>();
    const batches: string[][] = [];
    let running = 0;
    let overlapped = false;
    const done = lastValueFrom(
      source.pipe(
        coalesceWhileBusy(
          (item) => item.key,
          async (batch) => {
            overlapped ||= running > 0;
            running++;
            batches.push(batch.map((i) => `${i.key}${i.n}`));
            await new Promise((resolve) => setTimeout(resolve, 5));
            running--;
            return batch.length;
          },
        ),
        toArray(),
      ),
    );
    source.next({ key: 'a', n: 1 });
    // While the first batch runs: a burst for `b`, another `a`.
    for (let n = 1; n <= 100; n++) source.next({ key: 'b', n });
    source.next({ key: 'a', n: 2 });
    source.complete();
    const results = await done;
    expect(batches).toEqual([['a1'], ['b1', 'a2']]);
    expect(results).toEqual([
      { result: 1, idle: false },
      { result: 2, idle: true },
    ]);
    expect(overlapped).toBe(false);
  });

  it('errors the stream when the work rejects', async () => {
    const source = new Subject<number>();
    const done = lastValueFrom(
      source.pipe(
        coalesceWhileBusy(
          (n) => n,
          () => Promise.reject(new Error('broken')),
        ),
      ),
    );
    source.next(1);
    await expect(done).rejects.toThrow('broken');
  });
});
