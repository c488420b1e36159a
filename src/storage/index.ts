export * from './driver.js';
export * from './layout.js';
export * from './keys.js';
