import type { RegistryAccess } from '../auth/registry-access.js';
import type { BlobService, ListingService, ManifestService, UploadService } from '../../registry/index.js';
import type { UrlBuilder } from './urls.js';

/** The registry use cases the OCI routes call. */
export interface OciDeps {
  readonly uploads: UploadService;
  readonly blobs: BlobService;
  readonly manifests: ManifestService;
  readonly listings: ListingService;
  readonly urls: UrlBuilder;
  /** Who may do what (AUTHENTICATION_TYPE Open or Database); checked before every handler. */
  readonly access: RegistryAccess;
  /** Send pulls to storage with a 307 where the driver can presign (not with FEATURE_PROXY_STORAGE). */
  readonly redirectBlobs: boolean;
}
