import { z } from 'zod';
import { Errors, WharfError } from '../errors/index.js';
import { parseDigest } from './digest.js';
import { type ManifestKind, MediaTypes, manifestKindOf } from './media-types.js';

/** Largest manifest accepted; the spec asks registries to take at least 4 MB. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const digestString = z.string().refine((value) => {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}, 'not a valid digest');

const descriptor = z.looseObject({
  mediaType: z.string().min(1),
  digest: digestString,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  artifactType: z.string().optional(),
});
type Descriptor = z.infer<typeof descriptor>;

const common = {
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  subject: descriptor.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
};
const imageSchema = z.looseObject({ ...common, config: descriptor, layers: z.array(descriptor) });
const indexSchema = z.looseObject({ ...common, manifests: z.array(descriptor) });

/** What Wharf needs to know about a pushed manifest, besides its exact bytes. */
export interface ParsedManifest {
  readonly mediaType: string;
  readonly kind: ManifestKind;
  /** Blobs (config and layers) that must exist in the repository. */
  readonly blobs: readonly string[];
  /** Child manifests (of an index) that must exist in the repository. */
  readonly children: readonly string[];
  readonly subject?: string;
  /** The referrers-API artifact type: `artifactType`, else an image's config media type. */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Layers a registry is not expected to hold (Windows foreign layers, non-distributable). */
function isDistributable(d: Descriptor): boolean {
  return !(d.urls && d.urls.length > 0) && !d.mediaType.includes('foreign') && !d.mediaType.includes('nondistributable');
}

function decideMediaType(body: Record<string, unknown>, contentType: string | undefined): string {
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined;
  if (declared !== undefined) {
    if (!manifestKindOf(declared)) throw new WharfError(Errors.MANIFEST_INVALID, `unsupported manifest media type ${declared}`);
    if (contentType && manifestKindOf(contentType) && contentType !== declared) {
      throw new WharfError(Errors.MANIFEST_INVALID, `Content-Type ${contentType} does not match mediaType ${declared}`);
    }
    return declared;
  }
  if (contentType && manifestKindOf(contentType)) return contentType;
  // No usable type at all (e.g. application/json without mediaType): go by structure, OCI types.
  if (Array.isArray(body.manifests)) return MediaTypes.ociIndex;
  if (body.config !== undefined && Array.isArray(body.layers)) return MediaTypes.ociManifest;
  throw new WharfError(Errors.MANIFEST_INVALID, 'cannot determine the manifest media type');
}

function schemaProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid manifest';
}

/**
 * Parses and validates manifest bytes. `contentType` is the request's bare media type, used when
 * the manifest carries no `mediaType` field (umoci and some older tools omit it).
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new WharfError(Errors.MANIFEST_INVALID, 'manifest is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WharfError(Errors.MANIFEST_INVALID, 'manifest must be a JSON object');
  }
  const mediaType = decideMediaType(body as Record<string, unknown>, contentType);
  const kind = manifestKindOf(mediaType) as ManifestKind;
  if (kind === 'image') {
    const parsed = imageSchema.safeParse(body);
    if (!parsed.success) throw new WharfError(Errors.MANIFEST_INVALID, schemaProblem(parsed.error));
    const m = parsed.data;
    return {
      mediaType,
      kind,
      blobs: [m.config, ...m.layers].filter(isDistributable).map((d) => d.digest),
      children: [],
      subject: m.subject?.digest,
      artifactType: m.artifactType ?? m.config.mediaType,
      annotations: m.annotations,
    };
  }
  const parsed = indexSchema.safeParse(body);
  if (!parsed.success) throw new WharfError(Errors.MANIFEST_INVALID, schemaProblem(parsed.error));
  const m = parsed.data;
  return {
    mediaType,
    kind,
    blobs: [],
    children: m.manifests.map((d) => d.digest),
    subject: m.subject?.digest,
    artifactType: m.artifactType,
    annotations: m.annotations,
  };
}
