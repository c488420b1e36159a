export * from './digest.js';
export * from './repository-name.js';
export * from './reference.js';
export * from './media-types.js';
export * from './manifest.js';
