import { Transform, pipeline, type Readable } from 'node:stream';
import { referenceString, type Descriptor, type Reference } from '@tdock/core';
import { RegistryError } from './errors.js';
import type { PullContext } from './pull.js';
import { pullScope, pushScope, type Endpoint } from './session.js';
import { repositoryScope } from './auth.js';
import { digestOf } from './verify.js';

/** A blob's bytes for upload: a buffer, or a function opening a fresh stream of them. */
export type BlobSource = Uint8Array | (() => Promise<Readable> | Readable);

/** How a blob reached the target repository. */
export type BlobPushResult = 'exists' | 'mounted' | 'uploaded';

/** Progress of one blob push: found, mounted, bytes sent so far, or done. */
export type BlobProgress =
  | { phase: 'exists' }
  | { phase: 'mounted'; from: string }
  | { phase: 'uploading'; current: number; total: number }
  | { phase: 'uploaded' };

/** Options of a blob upload. */
export interface UploadOptions {
  /** Called as the push of the blob advances (uploading: at most about every 1% of the blob). */
  onProgress?: (progress: BlobProgress) => void;
  /** Upload in PATCH chunks of this many bytes (chunked upload); default: one monolithic PUT. */
  chunkSize?: number;
  /** Repositories on the same registry to try a cross-repository mount from, in order. */
  mountFrom?: readonly string[];
  signal?: AbortSignal;
}

const OCTET = 'application/octet-stream';

/** HEAD the blob: true when the repository has it. */
export async function blobExists(ctx: PullContext, ep: Endpoint, ref: Reference, digest: string, signal?: AbortSignal): Promise<boolean> {
  const res = await ctx.session.expect(ep, {
    method: 'HEAD', path: `${ref.path}/blobs/${digest}`, scopes: [pushScope(ref)], signal,
  }, [200, 404], `blob ${digest} in ${ref.path}`);
  await res.body.dump();
  return res.status === 200;
}

/**
 * Tries a cross-repository mount (`POST /blobs/uploads/?mount=<digest>&from=<repo>`). Returns true
 * when mounted (201). When the registry cannot mount it answers 202 with an upload session, which is
 * cancelled here; the caller then uploads.
 */
export async function mountBlob(
  ctx: PullContext, ep: Endpoint, ref: Reference, digest: string, from: string, signal?: AbortSignal,
): Promise<boolean> {
  const res = await ctx.session.expect(ep, {
    method: 'POST', path: `${ref.path}/blobs/uploads/`, query: { mount: digest, from },
    scopes: [pushScope(ref), repositoryScope(from, ['pull'])], signal,
  }, [201, 202], `mount of ${digest} from ${from} into ${ref.path}`);
  await res.body.dump();
  if (res.status === 201) return true;
  const location = res.headers.location;
  if (typeof location === 'string') {
    const cancel = await ctx.session.send(ep, { method: 'DELETE', url: new URL(location, res.url), scopes: [pushScope(ref)], signal });
    await cancel.body.dump();
  }
  return false;
}

async function startUpload(ctx: PullContext, ep: Endpoint, ref: Reference, signal?: AbortSignal): Promise<URL> {
  const res = await ctx.session.expect(ep, {
    method: 'POST', path: `${ref.path}/blobs/uploads/`, scopes: [pushScope(ref)], signal,
  }, [202], `upload to ${ref.path}`, 'NAME_UNKNOWN');
  await res.body.dump();
  return nextLocation(res.headers.location, res.url);
}

function nextLocation(location: string | string[] | undefined, base: URL): URL {
  if (typeof location !== 'string') throw new RegistryError('BLOB_UPLOAD_INVALID', 'registry gave no upload location');
  return new URL(location, base);
}

async function openSource(source: BlobSource): Promise<Iterable<Uint8Array> | AsyncIterable<Uint8Array>> {
  if (source instanceof Uint8Array) return [source];
  return (await source()) as AsyncIterable<Uint8Array>;
}

/** Wraps a stream so that `onProgress` hears the bytes passing (throttled to about 1% steps). */
function counted(stream: Readable, total: number, onProgress: UploadOptions['onProgress']): Readable {
  if (!onProgress) return stream;
  let current = 0;
  let last = -Infinity;
  const step = Math.max(total / 100, 64 * 1024);
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      current += chunk.length;
      if (current - last >= step || current === total) {
        last = current;
        onProgress({ phase: 'uploading', current, total });
      }
      done(null, chunk);
    },
  });
  // Errors of the source reach the counter (and so the request body) through the pipeline.
  pipeline(stream, counter, () => undefined);
  return counter;
}

/** Uploads a blob (monolithic PUT, or PATCH chunks then PUT) and checks the registry's digest. */
export async function uploadBlob(
  ctx: PullContext, ep: Endpoint, ref: Reference, desc: { digest: string; size: number }, source: BlobSource, options: UploadOptions = {},
): Promise<void> {
  const { signal } = options;
  let location = await startUpload(ctx, ep, ref, signal);
  const scopes = [pushScope(ref)];
  const what = `upload of ${desc.digest} to ${ref.path}`;
  if (options.chunkSize !== undefined && desc.size > options.chunkSize) {
    let offset = 0;
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const flush = async (): Promise<void> => {
      const body = Buffer.concat(pending, pendingSize);
      pending = [];
      pendingSize = 0;
      const res = await ctx.session.expect(ep, {
        // Not retried: a PATCH that reached the registry before the connection broke cannot be replayed.
        method: 'PATCH', url: location, body, scopes, signal, retry: false,
        headers: { 'content-type': OCTET, 'content-length': String(body.length), 'content-range': `${offset}-${offset + body.length - 1}` },
      }, [202], what, 'BLOB_UPLOAD_UNKNOWN');
      await res.body.dump();
      offset += body.length;
      location = nextLocation(res.headers.location, res.url);
      options.onProgress?.({ phase: 'uploading', current: offset, total: desc.size });
    };
    for await (const chunk of await openSource(source)) {
      let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      while (data.length > 0) {
        const take = Math.min(options.chunkSize - pendingSize, data.length);
        pending.push(data.subarray(0, take));
        pendingSize += take;
        data = data.subarray(take);
        if (pendingSize === options.chunkSize) await flush();
      }
    }
    if (pendingSize > 0) await flush();
    options.onProgress?.({ phase: 'uploading', current: offset, total: desc.size });
    location.searchParams.set('digest', desc.digest);
    const res = await ctx.session.expect(ep, {
      method: 'PUT', url: location, body: new Uint8Array(0), scopes, signal, headers: { 'content-length': '0' },
    }, [201], what, 'BLOB_UPLOAD_UNKNOWN');
    await res.body.dump();
    return;
  }
  location.searchParams.set('digest', desc.digest);
  const stream = source instanceof Uint8Array ? undefined : counted(await source(), desc.size, options.onProgress);
  const res = await ctx.session.expect(ep, {
    method: 'PUT', url: location, scopes, signal, retry: stream === undefined,
    body: stream === undefined ? (source as Uint8Array) : () => stream,
    headers: { 'content-type': OCTET, 'content-length': String(desc.size) },
  }, [201], what, 'BLOB_UPLOAD_UNKNOWN');
  await res.body.dump();
  const got = res.headers['docker-content-digest'];
  if (typeof got === 'string' && got !== desc.digest) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: registry stored ${got}`);
  }
}

/** Existence check, then mounts from `mountFrom`, then an upload. */
export async function pushBlob(
  ctx: PullContext, ep: Endpoint, ref: Reference, desc: { digest: string; size: number }, source: BlobSource, options: UploadOptions = {},
): Promise<BlobPushResult> {
  const { onProgress } = options;
  if (await blobExists(ctx, ep, ref, desc.digest, options.signal)) {
    onProgress?.({ phase: 'exists' });
    return 'exists';
  }
  for (const from of options.mountFrom ?? []) {
    if (from !== ref.path && (await mountBlob(ctx, ep, ref, desc.digest, from, options.signal))) {
      onProgress?.({ phase: 'mounted', from });
      return 'mounted';
    }
  }
  try {
    await uploadBlob(ctx, ep, ref, desc, source, options);
  } catch (err) {
    // A final PUT retried after a lost answer finds its session gone although the blob arrived.
    if (!(err instanceof RegistryError && err.code === 'BLOB_UPLOAD_UNKNOWN' && (await blobExists(ctx, ep, ref, desc.digest, options.signal)))) {
      throw err;
    }
  }
  onProgress?.({ phase: 'uploaded' });
  return 'uploaded';
}

/**
 * PUTs a manifest or index under `ref`'s tag (or its digest when it has no tag). Returns the digest
 * of the bytes, which must match the registry's Docker-Content-Digest.
 */
export async function putManifest(
  ctx: PullContext, ep: Endpoint, ref: Reference, bytes: Uint8Array, mediaType: string, signal?: AbortSignal,
): Promise<string> {
  const digest = digestOf(bytes);
  if (ref.digest !== undefined && ref.digest !== digest) {
    throw new RegistryError('DIGEST_MISMATCH', `manifest for ${referenceString(ref)}: content hashes to ${digest}`);
  }
  const selector = ref.tag ?? digest;
  const res = await ctx.session.expect(ep, {
    method: 'PUT', path: `${ref.path}/manifests/${selector}`, body: bytes, scopes: [pushScope(ref)], signal,
    headers: { 'content-type': mediaType, 'content-length': String(bytes.byteLength) },
  }, [201], `manifest for ${referenceString(ref)}`);
  await res.body.dump();
  const got = res.headers['docker-content-digest'];
  if (typeof got === 'string' && got !== digest) throw new RegistryError('DIGEST_MISMATCH', `manifest PUT: registry computed ${got}, expected ${digest}`);
  return digest;
}

/** Lists a repository's tags, following `Link: <...>; rel="next"` pages. */
export async function listTags(ctx: PullContext, ep: Endpoint, ref: Reference, options: { pageSize?: number; signal?: AbortSignal } = {}): Promise<string[]> {
  const tags: string[] = [];
  let url: URL | undefined;
  let first = true;
  while (first || url) {
    const res = await ctx.session.expect(ep, {
      method: 'GET', scopes: [pullScope(ref)], signal: options.signal,
      ...(url ? { url } : { path: `${ref.path}/tags/list`, ...(options.pageSize ? { query: { n: String(options.pageSize) } } : {}) }),
    }, [200], `tags of ${ref.path}`, 'NAME_UNKNOWN');
    const body = JSON.parse(await res.body.text()) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    const link = res.headers.link;
    const m = typeof link === 'string' ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
    url = m?.[1] ? new URL(m[1], res.url) : undefined;
    first = false;
  }
  return tags;
}

/** Descriptor list of the blobs an image manifest references (config first). */
export function manifestBlobs(manifest: { config: Descriptor; layers: Descriptor[] }): Descriptor[] {
  return [manifest.config, ...manifest.layers];
}
