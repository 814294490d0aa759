import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import {
  parseDockerRef, tagNameOnly, type Descriptor, type Image, type ImageManifest, type OpenOptions, type Reference,
} from '@tdock/core';
import { staticCredentials, type Credentials } from './credentials.js';
import { RegistryError } from './errors.js';
import { Limiter } from './limit.js';
import { hostPlatform, parsePlatform, type PlatformSpec } from './platform.js';
import { fetchManifest, getImageFrom, headManifest, openBlob, type FetchedManifest, type PullContext } from './pull.js';
import {
  blobExists, listTags, mountBlob, pushBlob, putManifest, uploadBlob, type BlobPushResult, type BlobSource, type UploadOptions,
} from './push.js';
import { Session, type Endpoint, type SessionOptions } from './session.js';

/** Options of a {@link RegistryClient}. All are optional; nothing is read from the environment. */
export interface RegistryClientOptions extends SessionOptions {
  /** Blobs transferred at once (pull streams being read, push uploads). Default 3, as Docker. */
  concurrency?: number;
  /** Default platform for pulls. Default: this process's (`hostPlatform()`). */
  platform?: PlatformSpec;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of {@link RegistryClient.getImage}. */
export interface PullOptions extends CallOptions {
  /** `os/arch[/variant]` or a parsed platform; default the client's platform. */
  platform?: string | PlatformSpec;
}

/** An image to push: what a pull returns, or one built locally (layers give their bytes via `open`). */
export type PushableImage = Pick<Image, 'manifestBytes' | 'manifestMediaType' | 'configBytes' | 'layers'> & {
  /** Where the image came from: blobs are mounted from it when it is on the target registry. */
  reference?: Reference;
};

/**
 * Push progress of one layer, in `docker push`'s words: `Preparing`, `Layer already exists`,
 * `Mounted from <repo>`, `Pushing` (with bytes), `Pushed`.
 * `id` is the first 12 hex digits of the layer digest. The config blob reports nothing, as Docker.
 */
export interface PushProgress {
  id: string;
  digest: string;
  status: 'Preparing' | 'Layer already exists' | 'Pushing' | 'Pushed' | `Mounted from ${string}`;
  current?: number;
  total?: number;
}

/** Options of {@link RegistryClient.pushImage}. */
export interface PushOptions extends CallOptions {
  onProgress?: (progress: PushProgress) => void;
  /** Extra repositories on the target registry to mount blobs from. */
  mountFrom?: readonly string[];
  /** Chunk size for chunked uploads; default monolithic. */
  chunkSize?: number;
}

/** The outcome of a push. */
export interface PushResult {
  /** Digest of the manifest pushed. */
  digest: string;
  /** How each blob (config and layers) got there. */
  blobs: Record<string, BlobPushResult>;
}

/**
 * The registry host of a server address as `docker login` accepts it: `https://host/v1/` → `host`;
 * Docker Hub's names (`index.docker.io`, `registry-1.docker.io`, empty) → `docker.io`.
 */
export function registryHost(serverAddress: string): string {
  const host = serverAddress.trim().replace(/^[a-z]+:\/\//i, '').split('/')[0]?.toLowerCase() ?? '';
  return host === '' || host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

function toRef(ref: Reference | string): Reference {
  return typeof ref === 'string' ? parseDockerRef(ref) : tagNameOnly(ref);
}

/**
 * A client for OCI distribution registries (Docker Hub, distribution, any OCI registry). Holds
 * keep-alive connections, auth tokens and scheme choices for its lifetime: create one, share it,
 * `close()` it. Writes nothing to disk.
 */
export class RegistryClient {
  private readonly session: Session;
  private readonly ctx: PullContext;
  private readonly platform: PlatformSpec;
  private readonly options: RegistryClientOptions;
  /** Uploads have their own slots: a push reading from pulled layers takes a download slot too. */
  private readonly uploads: Limiter;

  constructor(options: RegistryClientOptions = {}) {
    this.options = options;
    this.session = new Session(options);
    this.ctx = { session: this.session, limiter: new Limiter(options.concurrency ?? 3) };
    this.uploads = new Limiter(options.concurrency ?? 3);
    this.platform = options.platform ?? hostPlatform();
  }

  /**
   * Resolves a reference to a verified single-platform Image: the manifest (chosen from an index
   * for the platform), its exact bytes and digest, the verified config, and lazily opened layers.
   * For docker.io, mirrors are tried first.
   */
  async getImage(reference: Reference | string, options: PullOptions = {}): Promise<Image> {
    const ref = toRef(reference);
    const platform = typeof options.platform === 'string' ? parsePlatform(options.platform, this.platform) : (options.platform ?? this.platform);
    return this.fromEndpoints(ref, (ep) => getImageFrom(this.ctx, ep, ref, platform, options.signal), options.signal);
  }

  /** Fetches the manifest or index a reference names, exactly as stored, verified. */
  async getManifest(reference: Reference | string, options: CallOptions = {}): Promise<FetchedManifest> {
    const ref = toRef(reference);
    return this.fromEndpoints(ref, (ep) => fetchManifest(this.ctx, ep, ref, ref.digest ?? ref.tag ?? 'latest', undefined, options.signal), options.signal);
  }

  /** The descriptor (digest, media type, size) a reference points at, with a HEAD request when possible. */
  async resolve(reference: Reference | string, options: CallOptions = {}): Promise<Descriptor> {
    const ref = toRef(reference);
    return this.fromEndpoints(ref, (ep) => headManifest(this.ctx, ep, ref, options.signal), options.signal);
  }

  /** Opens a blob of `repository` as a verified stream (see `Layer.open`). */
  async openBlob(repository: Reference | string, desc: { digest: string; size?: number }, options: OpenOptions = {}): Promise<Readable> {
    const ref = toRef(repository);
    return openBlob(this.ctx, this.session.pullEndpoints(ref.domain).at(-1) as Endpoint, ref, desc, options);
  }

  /** True when the repository has the blob. */
  async blobExists(repository: Reference | string, digest: string, options: CallOptions = {}): Promise<boolean> {
    const ref = toRef(repository);
    return blobExists(this.ctx, this.session.pushEndpoint(ref.domain), ref, digest, options.signal);
  }

  /** Cross-repository mount of a blob from `from` (a path on the same registry). True when mounted. */
  async mountBlob(repository: Reference | string, digest: string, from: string, options: CallOptions = {}): Promise<boolean> {
    const ref = toRef(repository);
    return mountBlob(this.ctx, this.session.pushEndpoint(ref.domain), ref, digest, from, options.signal);
  }

  /** Uploads a blob unconditionally (monolithic, or chunked with `chunkSize`). */
  async uploadBlob(repository: Reference | string, desc: { digest: string; size: number }, source: BlobSource, options: UploadOptions = {}): Promise<void> {
    const ref = toRef(repository);
    await this.uploads.run(() => uploadBlob(this.ctx, this.session.pushEndpoint(ref.domain), ref, desc, source, options), options.signal);
  }

  /** Existence check, cross-repository mount from `mountFrom`, else upload. */
  async pushBlob(repository: Reference | string, desc: { digest: string; size: number }, source: BlobSource, options: UploadOptions = {}): Promise<BlobPushResult> {
    const ref = toRef(repository);
    return this.uploads.run(() => pushBlob(this.ctx, this.session.pushEndpoint(ref.domain), ref, desc, source, options), options.signal);
  }

  /** PUTs a manifest or index under the reference's tag (or digest). Returns its digest. */
  async putManifest(reference: Reference | string, bytes: Uint8Array, mediaType: string, options: CallOptions = {}): Promise<string> {
    const ref = toRef(reference);
    return putManifest(this.ctx, this.session.pushEndpoint(ref.domain), ref, bytes, mediaType, options.signal);
  }

  /** All tags of a repository. */
  async listTags(repository: Reference | string, options: CallOptions & { pageSize?: number } = {}): Promise<string[]> {
    const ref = toRef(repository);
    return listTags(this.ctx, this.session.pushEndpoint(ref.domain), ref, options);
  }

  /**
   * Pushes an image: its config and layers (several at once, each checked for existence first and
   * mounted from the image's source repository when that is on the same registry), then the
   * manifest under the target's tag.
   */
  async pushImage(image: PushableImage, target: Reference | string, options: PushOptions = {}): Promise<PushResult> {
    const ref = toRef(target);
    const manifest = JSON.parse(Buffer.from(image.manifestBytes).toString('utf8')) as ImageManifest;
    const mountFrom = [...(options.mountFrom ?? [])];
    if (image.reference && image.reference.domain === ref.domain && image.reference.path !== ref.path) mountFrom.unshift(image.reference.path);
    const upload = { mountFrom, signal: options.signal, ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}) };
    const layerByDigest = new Map(image.layers.map((l) => [l.digest, l]));
    const layers = manifest.layers.map((desc) => {
      const layer = layerByDigest.get(desc.digest);
      if (!layer) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `push: no layer ${desc.digest} in the image`);
      return { desc, layer };
    });
    const blobs: Record<string, BlobPushResult> = {};
    const report = options.onProgress;
    const one = async (desc: Descriptor, source: BlobSource, quiet: boolean): Promise<void> => {
      const id = desc.digest.slice(desc.digest.indexOf(':') + 1, desc.digest.indexOf(':') + 13);
      const emit = (status: PushProgress['status'], extra: { current?: number; total?: number } = {}): void => {
        if (!quiet) report?.({ id, digest: desc.digest, status, ...extra });
      };
      emit('Preparing');
      blobs[desc.digest] = await this.pushBlob(ref, desc, source, {
        ...upload,
        onProgress: (p) => {
          if (p.phase === 'exists') emit('Layer already exists');
          else if (p.phase === 'mounted') emit(`Mounted from ${p.from}`);
          else if (p.phase === 'uploading') emit('Pushing', { current: p.current, total: p.total });
          else emit('Pushed');
        },
      });
    };
    await Promise.all([
      one(manifest.config, image.configBytes, true),
      ...layers.map(({ desc, layer }) => one(desc, () => layer.open({ signal: options.signal }), false)),
    ]);
    const digest = await this.putManifest(ref, image.manifestBytes, image.manifestMediaType, options);
    return { digest, blobs };
  }

  /**
   * Checks credentials against a registry, as `docker login` does: `GET /v2/` answered with Basic
   * credentials, or with a bearer token obtained with them (no scope). Resolves when the registry
   * accepts them; throws UNAUTHORIZED (or DENIED) otherwise. `serverAddress` may be a host
   * (`localhost:5000`), a URL, or Docker Hub's `https://index.docker.io/v1/`.
   */
  async login(serverAddress: string, credentials: Credentials, options: CallOptions = {}): Promise<void> {
    const registry = registryHost(serverAddress);
    const session = new Session({ ...this.options, credentials: staticCredentials({ [registry]: credentials }) });
    try {
      const ep = session.pushEndpoint(registry);
      const res = await session.send(ep, { method: 'GET', path: '', scopes: [], signal: options.signal });
      await res.body.dump();
      if (res.status !== 200) {
        // dockerd's loginV2 wording, which `docker login` prints.
        const origin = await session.origin(ep, options.signal);
        const code = res.status === 401 ? 'UNAUTHORIZED' : res.status === 403 ? 'DENIED' : 'UNKNOWN';
        throw new RegistryError(code, `login attempt to ${origin}/v2/ failed with status: ${res.status} ${STATUS_CODES[res.status] ?? ''}`.trimEnd(), { status: res.status });
      }
    } finally {
      await session.close();
    }
  }

  /** Closes keep-alive connections. */
  close(): Promise<void> {
    return this.session.close();
  }

  private async fromEndpoints<T>(ref: Reference, fn: (ep: Endpoint) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const endpoints = this.session.pullEndpoints(ref.domain);
    let lastError: unknown;
    for (const ep of endpoints) {
      try {
        return await fn(ep);
      } catch (err) {
        if (signal?.aborted || !ep.mirror) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }
}
