/**
 * The rows that change when FEATURE_ANONYMOUS_ACCESS is off, run on a second server over the
 * same database: anonymous callers lose the public repository (and the catalog), everyone else
 * keeps exactly what they had.
 */
import assert from 'node:assert/strict';
import { PUBLIC } from './fixture.js';
import type { MatrixRow } from './row.js';
import { catalog, getBlob, getManifest, tagsList, v2 } from './v2-rows.js';

export const ANONYMOUS_OFF_ROWS: readonly MatrixRow[] = [
  //                                                               anon user member creator orgadmin robot super
  v2('GET', '/v2/{name}/manifests/{reference}', PUBLIC,           [401, 200, 200, 200, 200, 200, 200], getManifest(PUBLIC, 'GET')),
  v2('GET', '/v2/{name}/manifests/{reference}', PUBLIC,           [401, 200, 200, 200, 200, 200, 200], getManifest(PUBLIC, 'GET'), { basic: true }),
  v2('GET', '/v2/{name}/blobs/{digest}', PUBLIC,                  [401, 200, 200, 200, 200, 200, 200], getBlob(PUBLIC, 'GET')),
  v2('GET', '/v2/{name}/tags/list', PUBLIC,                       [401, 200, 200, 200, 200, 200, 200], tagsList(PUBLIC), { basic: true }),
  v2('GET', '/v2/_catalog', 'filtered to what each one may pull', [401, 200, 200, 200, 200, 200, 200], catalog),
  {
    surface: 'api',
    method: 'GET',
    path: '/api/v1/repository/{repository}',
    target: PUBLIC,
    expect: [404, 200, 200, 200, 200, 200, 200],
    prepare: async () => ({
      call: { method: 'GET', path: `/api/v1/repository/${PUBLIC}` },
      check: async (res, allowed) => {
        if (allowed) assert.equal(res.json<{ is_public: boolean }>().is_public, true);
      },
    }),
  },
];
