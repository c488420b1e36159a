import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../auth/principal.js';
import { isWharfError } from '../errors/index.js';
import { openMetadataStore } from '../metadata/sql/metadata-store.js';
import type { Id, MetadataStore } from '../metadata/store.js';
import { AuditLogService, LOGS_PER_PAGE, type LogPage, type LogWindow, parseDay } from './audit-log.js';
import { managementContext } from '../../test/support/management.js';

const ROOT: Principal = { kind: 'user', id: 1, name: 'root', superuser: true };
const DAY = 86_400_000;

/** MM/DD/YYYY of today (UTC) shifted by `days`. */
function day(days: number): string {
  const d = new Date(Date.now() + days * DAY);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}

const invalid = (e: unknown) => isWharfError(e) && e.entry.code === 'INVALID_REQUEST';

describe('parseDay', () => {
  it('reads MM/DD/YYYY as the start of that day in UTC', () => {
    assert.equal(parseDay('12/01/2026', 'starttime'), Date.UTC(2026, 11, 1));
    assert.equal(parseDay('2/29/2028', 'starttime'), Date.UTC(2028, 1, 29));
  });

  it('refuses other formats and impossible dates with INVALID_REQUEST', () => {
    for (const text of ['2026-12-01', '13/01/2026', '02/30/2026', '2/29/2027', '', '1/1/26', '00/10/2026']) {
      assert.throws(() => parseDay(text, 'starttime'), invalid, text);
    }
  });
});

describe('audit log paging', () => {
  let dir: string;
  let metadata: MetadataStore;
  let logs: AuditLogService;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-audit-'));
    metadata = await openMetadataStore({ dialect: 'sqlite', path: join(dir, 'wharf.db') });
    await metadata.migrate();
    logs = new AuditLogService(managementContext(metadata));
    await metadata.transaction(async (tx) => {
      for (let i = 0; i < 2_100; i++) {
        await tx.audit.record({ kind: 'test', performer: { kind: 'user', name: 'root' }, namespace: 'acme', repository: undefined, ip: undefined, metadata: { i } });
      }
    });
  });
  after(async () => {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Every page from the first, following next_page. */
  async function walk(window: Omit<LogWindow, 'before'>): Promise<LogPage[]> {
    const pages: LogPage[] = [];
    let before: Id | undefined;
    do {
      const page = await logs.everything(ROOT, { ...window, before });
      pages.push(page);
      before = page.next;
    } while (before !== undefined && pages.length < 100);
    return pages;
  }

  it('pages of 50 cover the whole log, newest first, once each', async () => {
    const pages = await walk({});
    assert.equal(pages.length, Math.ceil(2_100 / LOGS_PER_PAGE));
    const order = pages.flatMap((p) => p.entries.map((e) => e.metadata.i));
    assert.deepEqual(order, Array.from({ length: 2_100 }, (_, k) => 2_099 - k));
    assert.equal(pages.at(-1)?.next, undefined);
  });

  it('a window containing today keeps everything; one before today holds nothing', async () => {
    const today = await logs.everything(ROOT, { startTime: day(0), endTime: day(0) });
    assert.equal(today.entries.length, LOGS_PER_PAGE);
    assert.ok(today.next !== undefined);
    const yesterdayOnly = await walk({ startTime: day(-1), endTime: day(-1) });
    assert.deepEqual(yesterdayOnly.flatMap((p) => p.entries), []);
    assert.equal(yesterdayOnly[0]?.start, parseDay(day(-1), 'starttime'));
    assert.equal(yesterdayOnly[0]?.end, parseDay(day(-1), 'endtime') + DAY);
  });

  it('entries newer than the window are skipped; a long skip hands over through next_page rather than scanning without end', async () => {
    const first = await logs.everything(ROOT, { endTime: day(-1) });
    assert.equal(first.entries.length, 0);
    assert.ok(first.next !== undefined, 'the scan stops after a bounded number of entries and says where to go on');
    const pages = await walk({ endTime: day(-1) });
    assert.ok(pages.length >= 2);
    assert.equal(pages.flatMap((p) => p.entries).length, 0);
    assert.equal(pages.at(-1)?.next, undefined);
  });

  it('refuses an end before the start', async () => {
    await assert.rejects(logs.everything(ROOT, { startTime: day(0), endTime: day(-2) }), invalid);
  });

  it('user and organization logs need the right caller', async () => {
    await assert.rejects(logs.performer({ kind: 'anonymous' }, {}), (e: unknown) => isWharfError(e) && e.entry.code === 'INVALID_TOKEN');
    await assert.rejects(logs.organization(ROOT, 'acme', {}), (e: unknown) => isWharfError(e) && e.entry.code === 'NOT_FOUND');
    await assert.rejects(logs.everything({ kind: 'user', id: 5, name: 'alice', superuser: false }, {}), (e: unknown) => isWharfError(e) && e.entry.code === 'INSUFFICIENT_SCOPE');
    const own = await logs.performer(ROOT, {});
    assert.equal(own.entries.length, LOGS_PER_PAGE);
    assert.equal(own.namespaces?.get('acme'), undefined, 'acme is no namespace row here, so no kind is known');
  });
});
