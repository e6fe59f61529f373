/**
 * What a driver's reader hands out: messages in arrival order, pulled one at a time. `next(idleMs)`
 * waits at most that long for one, then answers undefined (caught up for now); a failure for good
 * rejects every later call.
 */
import type { IncomingMessage } from '../bus.js';

export class ReaderQueue {
  private readonly buffer: IncomingMessage[] = [];
  private waiter: { resolve: (m: IncomingMessage | undefined) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  /** Called with each message as `next()` hands it out (a driver acknowledges it then, to free a permit). */
  constructor(private readonly onTaken: (message: IncomingMessage) => void = () => undefined) {}

  get size(): number {
    return this.buffer.length;
  }

  push(message: IncomingMessage): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.onTaken(message);
      waiter.resolve(message);
    } else this.buffer.push(message);
  }

  fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  next(idleMs: number): Promise<IncomingMessage | undefined> {
    const first = this.buffer.shift();
    if (first) {
      this.onTaken(first);
      return Promise.resolve(first);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new Error('a reader is read by one caller at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, idleMs);
      this.waiter = {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }
}
