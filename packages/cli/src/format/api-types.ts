/** The Engine API list shapes the table writers take (swagger `ContainerSummary`, `ImageSummary`, `Volume`, `Network`). */

export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ApiMountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Driver?: string;
}

export interface ApiContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Command?: string;
  /** Unix seconds. */
  Created: number;
  Ports?: ApiPort[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  NetworkSettings?: { Networks?: Record<string, unknown> } | null;
  Mounts?: ApiMountPoint[];
  /** API 1.48+: the image manifest the container runs, with its platform. */
  ImageManifestDescriptor?: { platform?: { architecture: string; os: string; variant?: string; 'os.version'?: string } } | null;
}

export interface ApiImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  /** Unix seconds. */
  Created: number;
  Size: number;
  SharedSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface ApiVolume {
  Name: string;
  Driver: string;
  Mountpoint?: string;
  Scope?: string;
  Labels?: Record<string, string> | null;
  CreatedAt?: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface ApiNetwork {
  Id: string;
  Name: string;
  Driver?: string;
  Scope?: string;
  /** RFC 3339 with nanoseconds. */
  Created?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}
