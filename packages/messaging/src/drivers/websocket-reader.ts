/**
 * A reader over Pulsar's WebSocket API (`/ws/v2/reader/...`): the proxy opens a non-durable
 * subscription from `messageId` (earliest, latest, or a base64 id: delivery starts after it). It
 * sends at most `receiverQueueSize` messages not yet acknowledged; an ack frees one. A dropped socket
 * reopens after the last message it delivered, so nothing is read twice or skipped.
 */
import WebSocket from 'ws';
import type { Logger } from 'pino';
import type { IncomingMessage, ReadOptions, Reader } from '../bus.js';
import { ReaderQueue } from './reader-queue.js';

const PING_INTERVAL_MS = 30_000;
const MAX_BACKOFF_MS = 10_000;
/** Refusals that retrying will not change: bad parameters, no permission, no such topic. */
const FINAL_STATUS = new Set([400, 401, 403, 404]);

interface ReaderFrame {
  messageId?: string;
  payload?: string;
  properties?: Record<string, string>;
  publishTime?: string;
  key?: string;
}

export class WebSocketReader implements Reader {
  private socket: WebSocket | undefined;
  private closed = false;
  private attempt = 0;
  private ping: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** The last message this reader received: a reconnect starts after it. */
  private last: string | undefined;
  private readonly queue: ReaderQueue;
  /** The socket each buffered message came on: its permit is freed there, or not at all. */
  private readonly cameOn = new WeakMap<IncomingMessage, WebSocket>();
  private readonly from: number;
  readonly ready: Promise<void>;
  private settleReady: ((error?: Error) => void) | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string>,
    private readonly options: ReadOptions,
    private readonly logger: Logger | undefined,
    private readonly socketOptions: WebSocket.ClientOptions,
  ) {
    this.from = options.publishedFrom?.getTime() ?? Number.NEGATIVE_INFINITY;
    this.queue = new ReaderQueue((m) => this.ack(m));
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.connect();
  }

  get topic(): string {
    return this.options.topic;
  }

  private url(): string {
    const start = this.options.start ?? 'earliest';
    const messageId = this.last ?? (typeof start === 'string' ? start : start.after);
    const params = new URLSearchParams({
      messageId,
      receiverQueueSize: String(Math.min(1000, this.options.receiverQueueSize ?? 500)),
    });
    return `${this.baseUrl}?${params}`;
  }

  private connect(): void {
    if (this.closed) return;
    const socket = new WebSocket(this.url(), {
      ...this.socketOptions,
      headers: this.headers,
      handshakeTimeout: 10_000,
    });
    socket.once('open', () => {
      this.socket = socket;
      this.attempt = 0;
      this.ping = setInterval(() => socket.ping(), PING_INTERVAL_MS);
      this.settleReady?.();
      this.settleReady = undefined;
    });
    socket.once('unexpected-response', (_req, res) => {
      socket.terminate();
      if (!FINAL_STATUS.has(res.statusCode ?? 0)) return;
      const error = new Error(`reading ${this.options.topic} refused: HTTP ${res.statusCode}`);
      this.closed = true;
      this.settleReady?.(error);
      this.queue.fail(error);
    });
    socket.on('error', (error) => this.logger?.warn({ err: error.message, topic: this.topic }, 'reader socket error'));
    socket.on('message', (data) => this.onFrame(socket, data.toString()));
    socket.on('close', () => {
      clearInterval(this.ping);
      if (this.socket === socket) this.socket = undefined;
      if (this.closed) return;
      const base = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.attempt++);
      this.reconnectTimer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
    });
  }

  private onFrame(socket: WebSocket, text: string): void {
    let frame: ReaderFrame;
    try {
      frame = JSON.parse(text) as ReaderFrame;
    } catch {
      return;
    }
    if (!frame.messageId || frame.publishTime === undefined) return;
    this.last = frame.messageId;
    const message: IncomingMessage = {
      topic: this.options.topic,
      brokerMessageId: frame.messageId,
      key: frame.key,
      payload: Buffer.from(frame.payload ?? '', 'base64'),
      properties: frame.properties ?? {},
      redeliveryCount: 0,
      publishTime: frame.publishTime,
    };
    if (Date.parse(frame.publishTime) < this.from) socket.send(JSON.stringify({ messageId: frame.messageId }));
    else {
      this.cameOn.set(message, socket);
      this.queue.push(message);
    }
  }

  /** Frees the proxy's permit for a message handed out; after a reconnect there is nothing to free. */
  private ack(message: IncomingMessage): void {
    const socket = this.cameOn.get(message);
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ messageId: message.brokerMessageId }));
  }

  next(idleMs: number): Promise<IncomingMessage | undefined> {
    return this.queue.next(idleMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.ping);
    this.settleReady?.(new Error('reader closed'));
    this.queue.fail(new Error('reader closed'));
    this.socket?.close();
  }
}
