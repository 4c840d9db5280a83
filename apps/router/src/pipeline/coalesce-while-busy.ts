import { Observable, type OperatorFunction } from 'rxjs';

/** One finished batch: what the work returned, and whether nothing was waiting when it ended. */
export interface BatchDone<R> {
  result: R;
  idle: boolean;
}

/**
 * Runs `work` on batches, one batch at a time. Items that arrive while a batch is running wait
 * in the next batch, once per key (the first arrival keeps its place, later ones add nothing),
 * so a burst of changes for one key costs one run however long the burst: backpressure without
 * an unbounded queue. `work` must not reject; a rejection errors the stream.
 *
 * When the source completes, the waiting batch still runs, then the stream completes.
 */
export function coalesceWhileBusy<T, R>(
  keyOf: (item: T) => unknown,
  work: (batch: T[]) => Promise<R>,
): OperatorFunction<T, BatchDone<R>> {
  return (source) =>
    new Observable<BatchDone<R>>((subscriber) => {
      const waiting = new Map<unknown, T>();
      let busy = false;
      let sourceDone = false;
      const runNext = (): void => {
        if (busy) return;
        if (waiting.size === 0) {
          if (sourceDone) subscriber.complete();
          return;
        }
        const batch = [...waiting.values()];
        waiting.clear();
        busy = true;
        work(batch).then(
          (result) => {
            busy = false;
            subscriber.next({ result, idle: waiting.size === 0 });
            runNext();
          },
          (error: unknown) => subscriber.error(error),
        );
      };
      const subscription = source.subscribe({
        next: (item) => {
          const key = keyOf(item);
          if (!waiting.has(key)) waiting.set(key, item);
          runNext();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          runNext();
        },
      });
      return () => subscription.unsubscribe();
    });
}
