export { Errors, type ErrorEntry, type ErrorName } from './catalogue.js';
export { WharfError, isWharfError } from './wharf-error.js';
