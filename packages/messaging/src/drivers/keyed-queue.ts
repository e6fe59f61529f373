/**
 * Runs tasks one at a time per key, in arrival order, with at most `concurrency` keys busy at once.
 * This is what keeps Key_Shared's per-key order inside one consumer that handles keys in parallel.
 */
export class KeyedQueue {
  private readonly waiting = new Map<string, Array<() => Promise<void>>>();
  private readonly ready: string[] = [];
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly concurrency: number) {}

  push(key: string, task: () => Promise<void>): void {
    const tasks = this.waiting.get(key);
    if (tasks) {
      tasks.push(task);
      return;
    }
    this.waiting.set(key, [task]);
    this.ready.push(key);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.running++;
      void this.runKey(key);
    }
    if (this.running === 0 && this.ready.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async runKey(key: string): Promise<void> {
    const tasks = this.waiting.get(key)!;
    while (tasks.length > 0) {
      const task = tasks[0]!;
      try {
        await task();
      } catch {
        // tasks report their own failures; the queue must keep going
      }
      tasks.shift();
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
