import type { Actor, Principal } from '../auth/principal.js';
import type { AuditPerformer, NewAuditEntry } from '../metadata/store.js';

export function performerOf(principal: Principal): AuditPerformer {
  return principal.kind === 'anonymous' ? { kind: 'anonymous', name: undefined } : { kind: principal.kind, name: principal.name };
}

/**
 * One audit row, written by the use case in the same transaction as the change it records.
 * Kinds follow Quay's log kinds where one exists (push_repo, delete_tag, create_repo,
 * change_repo_visibility, org_create_team, create_robot, ...).
 */
export function auditEntry(
  actor: Actor,
  kind: string,
  where: { namespace?: string; repository?: string },
  metadata: Record<string, unknown> = {},
): NewAuditEntry {
  return { kind, performer: performerOf(actor.principal), namespace: where.namespace, repository: where.repository, ip: actor.ip, metadata };
}
