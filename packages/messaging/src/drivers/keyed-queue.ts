/**
 * Runs work one batch at a time per key, in arrival order, with at most `concurrency` keys busy at
 * once. This is what keeps Key_Shared's per-key order inside one consumer that handles keys in
 * parallel. A key's batch is what has arrived for it since its last batch started, up to `maxBatch`.
 */
import { defined } from '@beacon/domain';
export class KeyedBatches<T> {
  private readonly waiting = new Map<string, T[]>();
  private readonly ready: string[] = [];
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxBatch: number,
    private readonly run: (items: T[]) => Promise<void>,
  ) {}

  push(key: string, item: T): void {
    const items = this.waiting.get(key);
    if (items) {
      items.push(item);
      return;
    }
    this.waiting.set(key, [item]);
    this.ready.push(key);
    this.pump();
  }

  private pump(): void {
    for (let key = this.ready[0]; key !== undefined && this.running < this.concurrency; key = this.ready[0]) {
      this.ready.shift();
      this.running++;
      void this.runKey(key);
    }
    if (this.running === 0 && this.ready.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async runKey(key: string): Promise<void> {
    const items = defined(this.waiting.get(key), `the queue of key ${key}`);
    while (items.length > 0) {
      const batch = items.slice(0, this.maxBatch);
      try {
        await this.run(batch);
      } catch {
        // the runner reports its own failures; the queue must keep going
      }
      items.splice(0, batch.length);
    }
    this.waiting.delete(key);
    this.running--;
    this.pump();
  }

  /** Resolves when nothing is queued or running. */
  drain(): Promise<void> {
    if (this.running === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

/** One task at a time per key. */
export class KeyedQueue extends KeyedBatches<() => Promise<void>> {
  constructor(concurrency: number) {
    super(concurrency, 1, async (tasks) => {
      for (const task of tasks) await task();
    });
  }
}
