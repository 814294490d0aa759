// Picks the cgroup driver for a host by probing its cgroupfs root once.
import { TdockError } from '@tdock/core';
import type { CgroupFs, CgroupManager } from './types.js';
import { nodeCgroupFs } from './util.js';
import { CgroupV1Manager, V1_CONTROLLERS } from './v1.js';
import { CgroupV2Manager } from './v2.js';

/** What {@link detectCgroups} found. */
export interface CgroupSetup {
  version: 1 | 2;
  root: string;
  /** v1: the controller hierarchies mounted under the root; v2: the root's cgroup.controllers. */
  controllers: string[];
}

/**
 * Probes a cgroupfs root: `cgroup.controllers` at the root means the unified hierarchy (v2);
 * controller directories under it mean v1 (hybrid hosts, with a cgroup2 mount at `unified/`
 * beside the v1 controllers, count as v1).
 * @throws TdockError unavailable when neither is there.
 */
export function detectCgroups(root = '/sys/fs/cgroup', cfs: CgroupFs = nodeCgroupFs): CgroupSetup {
  const unified = `${root}/cgroup.controllers`;
  if (cfs.exists(unified)) {
    return { version: 2, root, controllers: cfs.readFile(unified).trim().split(/\s+/).filter(Boolean) };
  }
  const controllers = V1_CONTROLLERS.filter((c) => cfs.exists(`${root}/${c}/cgroup.procs`));
  if (controllers.length === 0) throw new TdockError('unavailable', `no cgroup hierarchy found under ${root}`);
  return { version: 1, root, controllers: [...controllers] };
}

/** A manager for the cgroup at `path` (relative, e.g. `tdock/<id>`) with the detected driver. */
export function createCgroupManager(setup: CgroupSetup, path: string, cfs: CgroupFs = nodeCgroupFs): CgroupManager {
  return setup.version === 2 ? new CgroupV2Manager(setup.root, path, cfs) : new CgroupV1Manager(setup.root, path, cfs);
}
