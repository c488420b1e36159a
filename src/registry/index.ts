export type { RegistryContext } from './context.js';
export { UploadService, rangeHeader, type Chunk, type UploadStatus } from './uploads.js';
export { BlobService, type BlobSource } from './blobs.js';
export { ManifestService, type PushedManifest } from './manifests.js';
export { ListingService, MAX_PAGE, type PageRequest, type PageResult } from './listings.js';
