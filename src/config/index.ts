export * from './config.js';
export { buildConfig, loadConfigFile, splitPreference, PREFERENCE_ENV, type DriverParamsValidator, type LoadOptions } from './load.js';
export { embeddedConfig } from './embedded.js';
export { parseDatabaseUri } from './database-uri.js';
