import pino, { type Logger } from 'pino';

/** JSON logs; every line carries the service name (handlers add correlation fields). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
