import { familiarName, parseNormalizedNamed } from '@tdock/core';
import type { ApiImageSummary } from './api-types.js';
import type { RowOptions } from './containers.js';
import { GoStruct } from './template.js';
import { goTimeString, UTC } from './time.js';
import { humanDuration, humanSize, humanSizeWithPrecision, truncateId } from './units.js';

/** `docker images`'s default table (docker/cli `formatter/image.go`). */
export const DEFAULT_IMAGE_TABLE_FORMAT =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
/** `docker images --digests`. */
export const DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGE_HEADERS: Readonly<Record<string, string>> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** One `docker images` row (an image appears once per repository:tag). */
export class ImageContext extends GoStruct {
  readonly goTypeName = '*formatter.imageContext';

  constructor(
    private readonly i: ApiImageSummary,
    private readonly repo: string,
    private readonly tag: string,
    private readonly digest: string,
    private readonly o: RowOptions,
  ) {
    super();
  }

  ID(): string {
    return this.o.trunc ? truncateId(this.i.Id) : this.i.Id;
  }
  Repository(): string {
    return this.repo;
  }
  Tag(): string {
    return this.tag;
  }
  Digest(): string {
    return this.digest;
  }
  CreatedSince(): string {
    return `${humanDuration(this.o.nowMs - this.i.Created * 1000)} ago`;
  }
  CreatedAt(): string {
    return goTimeString(this.i.Created * 1000, this.o.zone ?? UTC);
  }
  Size(): string {
    return humanSizeWithPrecision(this.i.Size, 3);
  }
  Containers(): string {
    return this.i.Containers === undefined || this.i.Containers === -1 ? 'N/A' : String(this.i.Containers);
  }
  VirtualSize(): string {
    return humanSize(this.i.Size);
  }
  SharedSize(): string {
    return this.i.SharedSize === undefined || this.i.SharedSize === -1 ? 'N/A' : humanSize(this.i.SharedSize);
  }
  UniqueSize(): string {
    if (this.i.Size === -1 || this.i.SharedSize === undefined || this.i.SharedSize === -1) return 'N/A';
    return humanSize(this.i.Size - this.i.SharedSize);
  }
}

function isDangling(img: ApiImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

/** Options for {@link imageRows}. */
export interface ImageRowOptions extends RowOptions {
  /** `--digests`. */
  digests?: boolean;
  /** The format mentions `{{.Digest}}`. */
  formatUsesDigest?: boolean;
}

/** Expands API images into rows as docker's `imageFormat` does: one per repo:tag (and per digest when shown). */
export function imageRows(images: readonly ApiImageSummary[], o: ImageRowOptions): ImageContext[] {
  const rows: ImageContext[] = [];
  const needDigest = o.digests === true || o.formatUsesDigest === true;
  for (const img of images) {
    if (isDangling(img)) {
      rows.push(new ImageContext(img, '<none>', '<none>', '<none>', o));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const s of img.RepoTags ?? []) {
      try {
        const ref = parseNormalizedNamed(s);
        if (ref.tag !== undefined) repoTags.set(familiarName(ref), [...(repoTags.get(familiarName(ref)) ?? []), ref.tag]);
      } catch {
        continue;
      }
    }
    for (const s of img.RepoDigests ?? []) {
      try {
        const ref = parseNormalizedNamed(s);
        if (ref.digest !== undefined) repoDigests.set(familiarName(ref), [...(repoDigests.get(familiarName(ref)) ?? []), ref.digest]);
      } catch {
        continue;
      }
    }
    for (const [repo, tags] of repoTags) {
      const digests = needDigest ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) rows.push(new ImageContext(img, repo, tag, '<none>', o));
        else for (const d of digests) rows.push(new ImageContext(img, repo, tag, d, o));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (o.digests) for (const d of digests) rows.push(new ImageContext(img, repo, '<none>', d, o));
      else rows.push(new ImageContext(img, repo, '<none>', '', o));
    }
  }
  return rows;
}
