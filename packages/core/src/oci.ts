/**
 * OCI image-spec and Docker image (schema2) wire types and media types. Types only plus a few pure
 * predicates: the field names are the JSON names on the wire, so these types describe parsed JSON
 * exactly. Digests are always computed over the bytes as received, never over re-serialised JSON.
 */

/** OCI image-spec media types. */
export const OCI_MEDIA_TYPES = {
  descriptor: 'application/vnd.oci.descriptor.v1+json',
  layoutHeader: 'application/vnd.oci.layout.header.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageConfig: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  nondistributableLayerTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  nondistributableLayerTarGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  nondistributableLayerTarZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

/** Docker image-spec (distribution schema2) media types. */
export const DOCKER_MEDIA_TYPES = {
  manifestV2: 'application/vnd.docker.distribution.manifest.v2+json',
  manifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** Schema1: refused by tdock (deprecated and unsupported). */
  manifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  manifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  containerConfig: 'application/vnd.docker.container.image.v1+json',
  layerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  foreignLayerTarGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  pluginConfig: 'application/vnd.docker.plugin.v1+json',
} as const;

/** Media types of single-image manifests (OCI and Docker schema2). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [OCI_MEDIA_TYPES.imageManifest, DOCKER_MEDIA_TYPES.manifestV2];
/** Media types of multi-platform indexes (OCI index and Docker manifest list). */
export const INDEX_MEDIA_TYPES: readonly string[] = [OCI_MEDIA_TYPES.imageIndex, DOCKER_MEDIA_TYPES.manifestList];

/** True for an OCI image manifest or a Docker schema2 manifest media type. */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** True for an OCI image index or a Docker manifest list media type. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_MEDIA_TYPES.includes(mediaType);
}

/** True for a Docker schema1 manifest media type (which tdock refuses). */
export function isSchema1MediaType(mediaType: string | undefined): boolean {
  return mediaType === DOCKER_MEDIA_TYPES.manifestV1 || mediaType === DOCKER_MEDIA_TYPES.manifestV1Signed
    || mediaType === 'application/json';
}

/** A platform as it appears in an index entry or image config. */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

/** A content descriptor: what a blob is, how big, and its digest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

/** OCI image manifest or Docker schema2 manifest (same shape; mediaType tells them apart). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** OCI image index or Docker manifest list (same shape; mediaType tells them apart). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Docker's alias names for the same shapes, for readers coming from distribution's code. */
export type DockerManifestV2 = ImageManifest;
/** Docker manifest list (schema2); the same shape as an OCI index. */
export type DockerManifestList = ImageIndex;

/** Health check of an image config (Docker extension, also read from OCI configs). */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The runtime defaults of an image (`config` field of the image config). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
  [key: string]: unknown;
}

/** The layers of an image's root filesystem, as uncompressed-tar digests (diff IDs), bottom first. */
export interface RootFS {
  type: 'layers' | string;
  diff_ids: string[];
}

/** One history entry of an image config. */
export interface History {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** OCI image config or Docker container image config (`application/vnd.docker.container.image.v1+json`). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  config?: ContainerConfig;
  rootfs: RootFS;
  history?: History[];
  /** Docker-only fields kept when present. */
  container?: string;
  container_config?: ContainerConfig;
  docker_version?: string;
  [key: string]: unknown;
}
