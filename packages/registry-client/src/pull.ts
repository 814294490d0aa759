import { Readable } from 'node:stream';
import {
  DOCKER_MEDIA_TYPES, OCI_MEDIA_TYPES, isIndexMediaType, isManifestMediaType, isSchema1MediaType, referenceString,
  type Descriptor, type Image, type ImageConfig, type ImageIndex, type ImageManifest, type Layer, type OpenOptions, type Reference,
} from '@tdock/core';
import { RegistryError } from './errors.js';
import type { Limiter } from './limit.js';
import { selectManifest, type PlatformSpec } from './platform.js';
import { pullScope, readLimited, type Endpoint, type Session } from './session.js';
import { isConnectionError } from './transport.js';
import { Verifier, digestOf, verifyBytes } from './verify.js';

/** The Accept header for manifests: both Docker schema2 types and both OCI types. */
export const MANIFEST_ACCEPT = [
  OCI_MEDIA_TYPES.imageIndex, DOCKER_MEDIA_TYPES.manifestList, OCI_MEDIA_TYPES.imageManifest, DOCKER_MEDIA_TYPES.manifestV2,
].join(', ');

const MAX_MANIFEST = 4 << 20;
const MAX_CONFIG = 64 << 20;

/** A manifest or index as fetched: exact bytes, their digest, and the parsed JSON. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  size: number;
  /** Set when `mediaType` is a single-image manifest. */
  manifest?: ImageManifest;
  /** Set when `mediaType` is an index or manifest list. */
  index?: ImageIndex;
}

/** The parts of the client that pull code needs. */
export interface PullContext {
  session: Session;
  limiter: Limiter;
}

function mediaTypeOf(contentType: string | string[] | undefined, json: { mediaType?: unknown; schemaVersion?: unknown; manifests?: unknown; config?: unknown }): string {
  const header = (Array.isArray(contentType) ? contentType[0] : contentType)?.split(';')[0]?.trim() ?? '';
  if (isManifestMediaType(header) || isIndexMediaType(header) || (isSchema1MediaType(header) && header !== 'application/json')) return header;
  if (typeof json.mediaType === 'string' && json.mediaType !== '') return json.mediaType;
  if (json.schemaVersion === 1) return DOCKER_MEDIA_TYPES.manifestV1Signed;
  if (Array.isArray(json.manifests)) return OCI_MEDIA_TYPES.imageIndex;
  if (json.config !== undefined) return OCI_MEDIA_TYPES.imageManifest;
  return header;
}

/**
 * Fetches a manifest by tag or digest with the four Accept types; verifies its digest against the
 * reference's digest (or `expected`), else against Docker-Content-Digest; refuses schema1.
 */
export async function fetchManifest(
  ctx: PullContext, ep: Endpoint, ref: Reference, selector: string, expected?: Descriptor, signal?: AbortSignal,
): Promise<FetchedManifest> {
  const what = `manifest for ${referenceString({ domain: ref.domain, path: ref.path })}:${selector}`.replace(/:(sha\d+:)/, '@$1');
  const res = await ctx.session.expect(ep, {
    method: 'GET', path: `${ref.path}/manifests/${selector}`, headers: { accept: MANIFEST_ACCEPT }, scopes: [pullScope(ref)], signal,
  }, [200], what, 'MANIFEST_UNKNOWN');
  const bytes = await readLimited(res, MAX_MANIFEST, what);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new RegistryError('MANIFEST_INVALID', `${what}: not JSON`, { cause: err });
  }
  const mediaType = mediaTypeOf(res.headers['content-type'], json);
  if (isSchema1MediaType(mediaType) || json.schemaVersion === 1) {
    throw new RegistryError('UNSUPPORTED_MANIFEST', `${what}: Docker Image manifest version 2, schema 1 is not supported; `
      + 'ask the image\'s author to push it as Docker schema 2 or OCI');
  }
  const want = expected?.digest ?? (selector.includes(':') ? selector : undefined);
  const headerDigest = res.headers['docker-content-digest'];
  let digest: string;
  if (want !== undefined) {
    verifyBytes(bytes, want, expected?.size, 'manifest');
    digest = want;
  } else {
    digest = digestOf(bytes);
    if (typeof headerDigest === 'string' && headerDigest.startsWith('sha256:') && headerDigest !== digest) {
      throw new RegistryError('DIGEST_MISMATCH', `${what}: Docker-Content-Digest ${headerDigest} does not match the content (${digest})`);
    }
  }
  const out: FetchedManifest = { digest, mediaType, bytes, size: bytes.byteLength };
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(json.manifests)) throw new RegistryError('MANIFEST_INVALID', `${what}: index without manifests`);
    out.index = json as unknown as ImageIndex;
  } else if (isManifestMediaType(mediaType)) {
    const m = json as unknown as ImageManifest;
    if (typeof m.config?.digest !== 'string' || !Array.isArray(m.layers)) throw new RegistryError('MANIFEST_INVALID', `${what}: missing config or layers`);
    out.manifest = m;
  } else {
    throw new RegistryError('UNSUPPORTED_MANIFEST', `${what}: unsupported manifest media type ${JSON.stringify(mediaType)}`);
  }
  return out;
}

/**
 * The descriptor of the manifest or index a reference names, from a HEAD request (no body
 * transferred) when the registry sends Docker-Content-Digest, else from a verified GET.
 */
export async function headManifest(ctx: PullContext, ep: Endpoint, ref: Reference, signal?: AbortSignal): Promise<Descriptor> {
  const selector = ref.digest ?? ref.tag ?? 'latest';
  const what = `manifest for ${referenceString(ref)}`;
  const res = await ctx.session.expect(ep, {
    method: 'HEAD', path: `${ref.path}/manifests/${selector}`, headers: { accept: MANIFEST_ACCEPT }, scopes: [pullScope(ref)], signal,
  }, [200], what, 'MANIFEST_UNKNOWN');
  await res.body.dump();
  const digest = res.headers['docker-content-digest'];
  const type = res.headers['content-type'];
  const mediaType = (Array.isArray(type) ? type[0] : type)?.split(';')[0]?.trim();
  const size = Number(res.headers['content-length']);
  if (typeof digest === 'string' && (ref.digest === undefined || digest === ref.digest) && mediaType && Number.isSafeInteger(size)
    && (isManifestMediaType(mediaType) || isIndexMediaType(mediaType))) {
    return { mediaType, digest, size };
  }
  const fetched = await fetchManifest(ctx, ep, ref, selector, undefined, signal);
  return { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.size };
}

/**
 * Opens a blob as a verified stream. The download starts when the stream is first read and takes
 * a slot of the limiter until it ends. A connection cut mid-blob is resumed with `Range` from the
 * byte where it stopped (a server that ignores Range is read from the start, skipping what we
 * have). Size and digest are checked as bytes pass; a mismatch errors the stream before `end`.
 */
export function openBlob(
  ctx: PullContext, ep: Endpoint, ref: Reference, desc: { digest: string; size?: number }, options: OpenOptions & { unlimited?: boolean } = {},
): Readable {
  const { signal } = options;
  const offset = options.offset ?? 0;
  const what = `blob ${desc.digest}`;
  async function* download(): AsyncGenerator<Buffer> {
    const release = options.unlimited ? (): void => undefined : await ctx.limiter.acquire(signal);
    try {
      const verifier = offset === 0 && options.verifyDigest !== false ? new Verifier(desc.digest, desc.size) : undefined;
      let position = offset;
      const logUrl = new URL(`http://${ep.host}/v2/${ref.path}/blobs/${desc.digest}`);
      for (let attempt = 0; ; attempt++) {
        const headers: Record<string, string> = position > 0 ? { range: `bytes=${position}-` } : {};
        let skip = 0;
        let interrupted: unknown;
        try {
          const res = await ctx.session.expect(ep, {
            method: 'GET', path: `${ref.path}/blobs/${desc.digest}`, headers, scopes: [pullScope(ref)], signal,
          }, [200, 206], `${what} in ${ref.path}`, 'BLOB_UNKNOWN');
          if (position > 0 && res.status === 200) skip = position;
          else if (position > 0 && rangeStart(res.headers['content-range']) !== position) {
            await res.body.dump();
            throw new RegistryError('UNKNOWN', `${what}: asked for bytes from ${position}, got Content-Range ${String(res.headers['content-range'])}`);
          }
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            let data = chunk;
            if (skip > 0) {
              const n = Math.min(skip, data.length);
              skip -= n;
              data = data.subarray(n);
              if (data.length === 0) continue;
            }
            verifier?.update(data);
            position += data.length;
            if (desc.size !== undefined && position > desc.size) throw new RegistryError('SIZE_MISMATCH', `${what}: more than ${desc.size} bytes`);
            yield data;
          }
          if (desc.size === undefined || position >= desc.size) break;
          // A response that ended cleanly but short (no Content-Length, connection closed): resume too.
          interrupted = new RegistryError('CONNECTION', `${what}: the response ended after ${position} of ${desc.size} bytes`);
        } catch (err) {
          if (signal?.aborted) throw signal.reason ?? err;
          if (!isConnectionError(err)) throw err;
          interrupted = new RegistryError('CONNECTION', `${what}: connection lost after ${position} bytes: ${(err as Error).message}`, { cause: err });
        }
        if (attempt >= ctx.session.transport.retries) throw interrupted;
        await ctx.session.transport.backoff(attempt + 1, undefined, { method: 'GET', url: logUrl, signal }, 'resume');
      }
      if (verifier) verifier.finish();
      else if (desc.size !== undefined && position !== desc.size) {
        throw new RegistryError('SIZE_MISMATCH', `${what}: received ${position} bytes, expected ${desc.size}`);
      }
    } finally {
      release();
    }
  }
  return Readable.from(download(), { objectMode: false, highWaterMark: 1 << 16 });
}

/** The first byte position of a `Content-Range: bytes <start>-<end>/<total>` header. */
function rangeStart(value: string | string[] | undefined): number | undefined {
  const m = /^bytes (\d+)-/.exec(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** Reads a small blob (a config) whole, verified. */
export async function readBlob(ctx: PullContext, ep: Endpoint, ref: Reference, desc: Descriptor, signal?: AbortSignal): Promise<Uint8Array> {
  if (desc.size > MAX_CONFIG) throw new RegistryError('SIZE_INVALID', `blob ${desc.digest}: ${desc.size} bytes is too large to read into memory`);
  const chunks: Buffer[] = [];
  // Configs take no download slot: they are small, and a pull must not wait for other pulls' layers.
  for await (const chunk of openBlob(ctx, ep, ref, desc, { signal, unlimited: true })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Options of a pull. */
export interface GetImageOptions {
  /** Wanted platform; default the client's (the host's). */
  platform?: PlatformSpec;
  signal?: AbortSignal;
}

/** Resolves a reference to an Image from one endpoint: index → platform manifest → config → layers. */
export async function getImageFrom(ctx: PullContext, ep: Endpoint, ref: Reference, platform: PlatformSpec, signal?: AbortSignal): Promise<Image> {
  const selector = ref.digest ?? ref.tag ?? 'latest';
  let fetched = await fetchManifest(ctx, ep, ref, selector, undefined, signal);
  let index: Image['index'];
  let chosen: Descriptor | undefined;
  if (fetched.index) {
    index = { digest: fetched.digest, bytes: fetched.bytes, mediaType: fetched.mediaType };
    chosen = selectManifest(fetched.index.manifests, platform);
    fetched = await fetchManifest(ctx, ep, ref, chosen.digest, chosen, signal);
    if (!fetched.manifest) throw new RegistryError('MANIFEST_INVALID', `manifest ${chosen.digest}: an index entry is itself an index`);
  }
  const manifest = fetched.manifest as ImageManifest;
  const configBytes = await readBlob(ctx, ep, ref, manifest.config, signal);
  let config: ImageConfig;
  try {
    config = JSON.parse(Buffer.from(configBytes).toString('utf8')) as ImageConfig;
  } catch (err) {
    throw new RegistryError('MANIFEST_INVALID', `config ${manifest.config.digest}: not JSON`, { cause: err });
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers: Layer[] = manifest.layers.map((descriptor, i) => ({
    descriptor,
    digest: descriptor.digest,
    size: descriptor.size,
    mediaType: descriptor.mediaType,
    ...(diffIds.length === manifest.layers.length && diffIds[i] ? { diffId: diffIds[i] } : {}),
    open: async (options?: OpenOptions) => openBlob(ctx, ep, ref, descriptor, options),
  }));
  const p = chosen?.platform;
  return {
    reference: ref,
    manifestDigest: fetched.digest,
    manifestBytes: fetched.bytes,
    manifestMediaType: fetched.mediaType,
    manifest,
    configBytes,
    config,
    layers,
    platform: p ?? { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) },
    ...(index ? { index } : {}),
  };
}
