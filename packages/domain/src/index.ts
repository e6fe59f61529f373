export * from './text.js';
export * from './time.js';
export * from './shard.js';
export * from './ledger.js';
export * from './defined.js';
export * from './rules.js';
export * from './tuples.js';
export * from './funnel.js';
