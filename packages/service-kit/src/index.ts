export * from './config.js';
export * from './logger.js';
export * from './database.js';
export * from './metrics.js';
export * from './ops.js';
export * from './shutdown.js';
export * from './service.js';
export * from './rebuild.js';
