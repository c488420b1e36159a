/**
 * verify-placements (Quay's util.verifyplacements, with a report, a dry run by default and
 * re-replication): checks every placement against its location's storage, batch by batch.
 * `full` re-hashes the bytes. `repair` drops bad placements and enqueues replication for the
 * affected blobs in one transaction per batch. Placements at locations that are not configured
 * are reported but never dropped (they cannot be checked; `remove-location` removes them).
 */
import { parseDigest } from '../../domain/index.js';
import type { BlobPlacements, BlobRef, Id, MetadataStore, PlacementRef } from '../../metadata/store.js';
import type { StorageDriver } from '../../storage/driver.js';
import { blobKey } from '../../storage/layout.js';
import { checkPlacement, type Check } from './check-placement.js';

export type DriftKind = 'missing' | 'size' | 'digest' | 'unconfigured';

export interface Finding {
  readonly blob: BlobRef;
  readonly location: string;
  readonly kind: DriftKind | 'error';
  readonly detail: string;
}

export interface VerifyOptions {
  readonly full: boolean;
  readonly repair: boolean;
  readonly batchSize: number;
  /** Placements checked at once. */
  readonly concurrency?: number;
}

export interface VerifyReport {
  readonly blobs: number;
  readonly placements: number;
  readonly verified: number;
  /** Drift and check errors (an unreachable location is an error, never drift: nothing is dropped). */
  readonly findings: Finding[];
  readonly dropped: number;
  readonly enqueued: number;
  /** Blobs with no verified copy: none recorded, or (with repair) none left. */
  readonly withoutCopy: BlobRef[];
}

export interface VerifyDeps {
  readonly metadata: MetadataStore;
  readonly drivers: ReadonlyMap<Id, { name: string; driver: StorageDriver }>;
  /** Names of location rows (configured or not), for reports. */
  readonly locationNames: ReadonlyMap<Id, string>;
  readonly defaults: readonly Id[];
}

export async function verifyPlacements(deps: VerifyDeps, options: VerifyOptions, onBatch: (blobs: number, findings: Finding[]) => void = () => {}): Promise<VerifyReport> {
  const report = { blobs: 0, placements: 0, verified: 0, findings: [] as Finding[], dropped: 0, enqueued: 0, withoutCopy: [] as BlobRef[] };
  for (let after = 0; ; ) {
    const batch = await deps.metadata.stores.replication.placements(after, options.batchSize);
    const last = batch.at(-1);
    if (!last) return report;
    after = last.id;
    const checks = await checkAll(deps, batch, options);
    const findings: Finding[] = checks.flatMap((c) => (c.result.kind === 'ok' ? [] : [{ blob: ref(c.blob), location: c.location, kind: c.result.kind, detail: c.result.detail }]));
    report.blobs += batch.length;
    report.placements += checks.length;
    report.verified += checks.length - findings.length;
    report.findings.push(...findings);
    report.withoutCopy.push(...batch.filter((b) => b.locationIds.length === 0).map(ref));
    const bad: PlacementRef[] = checks.filter((c) => ['missing', 'size', 'digest'].includes(c.result.kind)).map((c) => ({ blobId: c.blob.id, locationId: c.locationId }));
    if (options.repair && bad.length > 0) {
      const repaired = await deps.metadata.transaction(async (tx) => {
        const dropped = await tx.replication.dropPlacements(bad);
        const enqueued = await tx.replication.enqueueMissing([...new Set(bad.map((p) => p.blobId))], deps.defaults);
        return { ...dropped, enqueued };
      });
      report.dropped += repaired.removed;
      report.enqueued += repaired.enqueued;
      report.withoutCopy.push(...repaired.withoutCopy);
    }
    onBatch(batch.length, findings);
  }
}

interface PlacementCheck {
  readonly blob: BlobPlacements;
  readonly locationId: Id;
  readonly location: string;
  readonly result: Check;
}

async function checkAll(deps: VerifyDeps, batch: readonly BlobPlacements[], options: VerifyOptions): Promise<PlacementCheck[]> {
  const work = batch.flatMap((blob) => blob.locationIds.map((locationId) => ({ blob, locationId })));
  const results: PlacementCheck[] = new Array(work.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < work.length; i = next++) {
      const { blob, locationId } = work[i]!;
      const target = deps.drivers.get(locationId);
      const location = target?.name ?? deps.locationNames.get(locationId) ?? `#${locationId}`;
      const result: Check = target
        ? await checkPlacement(target.driver, blobKey(parseDigest(blob.digest)), blob, options.full)
        : { kind: 'unconfigured', detail: `location ${location} is not in DISTRIBUTED_STORAGE_CONFIG` };
      results[i] = { blob, locationId, location, result };
    }
  };
  await Promise.all([...Array(Math.max(1, options.concurrency ?? 8))].map(worker));
  return results;
}

const ref = (b: BlobRef): BlobRef => ({ id: b.id, uuid: b.uuid, digest: b.digest });
