/**
 * Kysely's view of the tables created by metadata/migrations/. Times are epoch milliseconds;
 * int8 columns arrive as numbers on both dialects (see dialects/postgres.ts).
 */
import type { Generated } from 'kysely';

export interface Database {
  namespace: NamespaceTable;
  repository: RepositoryTable;
  blob: BlobTable;
  storage_location: StorageLocationTable;
  blob_placement: BlobPlacementTable;
  namespace_region: NamespaceRegionTable;
  blob_upload: BlobUploadTable;
  manifest: ManifestTable;
  manifest_blob: ManifestBlobTable;
  manifest_child: ManifestChildTable;
  tag: TagTable;
  repo_blob: RepoBlobTable;
  job: JobTable;
  app_user: AppUserTable;
  robot: RobotTable;
  team: TeamTable;
  team_member: TeamMemberTable;
  repository_permission: RepositoryPermissionTable;
  api_token: ApiTokenTable;
  audit_log: AuditLogTable;
  service_key: ServiceKeyTable;
}

export interface NamespaceTable {
  id: Generated<number>;
  name: string;
  kind: 'user' | 'organization';
  email: string | null;
  created_at: number;
}

export interface RepositoryTable {
  id: Generated<number>;
  namespace_id: number;
  /** The full client-visible name. */
  name: string;
  visibility: Generated<'public' | 'private'>;
  state: Generated<string>;
  description: Generated<string>;
  created_at: number;
}

export interface BlobTable {
  id: Generated<number>;
  digest: string;
  size: number;
  uuid: string;
  created_at: number;
}

export interface StorageLocationTable {
  id: Generated<number>;
  name: string;
}

export interface BlobPlacementTable {
  blob_id: number;
  location_id: number;
  created_at: number;
}

export interface NamespaceRegionTable {
  namespace_id: number;
  location_id: number;
}

export interface BlobUploadTable {
  id: string;
  repository_id: number;
  location_id: number;
  offset: number;
  /** JSON text. */
  driver_state: string;
  created_at: number;
  updated_at: number;
}

export interface ManifestTable {
  id: Generated<number>;
  repository_id: number;
  digest: string;
  media_type: string;
  size: number;
  payload: Buffer;
  subject_digest: string | null;
  artifact_type: string | null;
  created_at: number;
}

export interface ManifestBlobTable {
  manifest_id: number;
  blob_id: number;
}

export interface ManifestChildTable {
  manifest_id: number;
  child_manifest_id: number;
}

export interface TagTable {
  id: Generated<number>;
  repository_id: number;
  name: string;
  manifest_id: number;
  lifetime_start: number;
  lifetime_end: number | null;
}

export interface RepoBlobTable {
  repository_id: number;
  blob_id: number;
  created_at: number;
}

export interface JobTable {
  id: Generated<number>;
  kind: string;
  key: string;
  /** JSON text. */
  payload: string;
  state: 'pending' | 'running' | 'done' | 'dead';
  attempts: Generated<number>;
  run_after: number;
  lease_until: number | null;
  lease_owner: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** Login data of a `user` namespace (same id). Flags are 0/1 integers on both dialects. */
export interface AppUserTable {
  namespace_id: number;
  password_hash: string | null;
  superuser: Generated<number>;
  enabled: Generated<number>;
}

export interface RobotTable {
  id: Generated<number>;
  namespace_id: number;
  short_name: string;
  description: Generated<string>;
  token_hash: string;
  created_at: number;
  last_accessed_at: number | null;
}

export interface TeamTable {
  id: Generated<number>;
  organization_id: number;
  name: string;
  role: 'member' | 'creator' | 'admin';
  description: Generated<string>;
}

export interface TeamMemberTable {
  team_id: number;
  member_kind: 'user' | 'robot';
  /** A user's namespace id, or a robot id. */
  member_id: number;
}

export interface RepositoryPermissionTable {
  repository_id: number;
  subject_kind: 'user' | 'robot' | 'team';
  subject_id: number;
  role: 'read' | 'write' | 'admin';
}

export interface ApiTokenTable {
  id: Generated<number>;
  uuid: string;
  user_id: number;
  title: string;
  token_hash: string;
  created_at: number;
  last_accessed_at: number | null;
  expires_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  kind: string;
  performer_kind: 'user' | 'robot' | 'anonymous';
  performer_name: string | null;
  namespace_name: string | null;
  repository_name: string | null;
  ip: string | null;
  /** JSON text. */
  metadata: string;
  created_at: number;
}

export interface ServiceKeyTable {
  kid: string;
  /** JSON text (the public JWK). */
  jwk: string;
  created_at: number;
}
