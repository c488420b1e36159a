/** Every /api/v1 row of the matrix; the suite checks them against the served OpenAPI document. */
import { API_ACCOUNT_ROWS } from './api-account-rows.js';
import { API_REPOSITORY_ROWS } from './api-repository-rows.js';
import type { MatrixRow } from './row.js';

export const API_ROWS: readonly MatrixRow[] = [...API_REPOSITORY_ROWS, ...API_ACCOUNT_ROWS];
