import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Errors } from './catalogue.js';

/** Rows of docs/errors.md: | name | `code` | status | message | when | */
function documented(): Map<string, { code: string; status: number; message: string }> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, { code: string; status: number; message: string }>();
  for (const match of text.matchAll(/^\| ([A-Z_]+) \| `([A-Z_]+)` \| (\d{3}) \| ([^|]+) \|/gm)) {
    rows.set(match[1] as string, { code: match[2] as string, status: Number(match[3]), message: (match[4] as string).trim() });
  }
  return rows;
}

describe('error catalogue', () => {
  it('matches docs/errors.md entry for entry', () => {
    const docs = documented();
    assert.deepEqual([...docs.keys()].sort(), Object.keys(Errors).sort(), 'every code documented, no stale docs');
    for (const [name, entry] of Object.entries(Errors)) {
      assert.deepEqual(docs.get(name), { code: entry.code, status: entry.status, message: entry.message }, name);
    }
  });

  it('covers every code of the OCI distribution spec', () => {
    const codes = new Set(Object.values(Errors).map((e) => e.code));
    for (const code of ['BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED', 'DENIED', 'UNSUPPORTED', 'TOOMANYREQUESTS']) {
      assert.ok(codes.has(code), code);
    }
  });
});
