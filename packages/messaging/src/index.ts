export * from './bus.js';
export * from './envelope.js';
export * from './codec.js';
export * from './schema.js';
export * from './inbox.js';
export * from './outbox.js';
export * from './runner.js';
export * from './drivers/index.js';
