/** SIGINT/SIGTERM run the registered closers once, last registered first, within a time limit. */
import type { Logger } from 'pino';

export interface Shutdown {
  onShutdown(name: string, close: () => Promise<void>): void;
  run(reason: string): Promise<void>;
  /** Closes what has been opened so far without exiting: a start that failed half-way. */
  closeOpened(): Promise<void>;
}

export function createShutdown(logger: Logger, timeoutMs = 15_000, exit = true): Shutdown {
  const closers: Array<{ name: string; close: () => Promise<void> }> = [];
  let running: Promise<void> | undefined;

  const closeAll = async () => {
    for (const { name, close } of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        logger.warn({ err: (error as Error).message, step: name }, 'shutdown step failed');
      }
    }
  };

  const run = (reason: string): Promise<void> => {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error('shutdown took too long; exiting');
        if (exit) process.exit(1);
      }, timeoutMs);
      timer.unref();
      await closeAll();
      clearTimeout(timer);
      logger.info('stopped');
      if (exit) process.exit(0);
    })();
    return running;
  };

  if (exit) {
    process.once('SIGINT', () => void run('SIGINT'));
    process.once('SIGTERM', () => void run('SIGTERM'));
  }
  return { onShutdown: (name, close) => closers.push({ name, close }), run, closeOpened: closeAll };
}
