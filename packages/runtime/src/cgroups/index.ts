export * from './types.js';
export { CgroupV1Manager, V1_CONTROLLERS, type V1Controller } from './v1.js';
export { CgroupV2Manager } from './v2.js';
export { detectCgroups, createCgroupManager, type CgroupSetup } from './detect.js';
export { nodeCgroupFs, cpuSharesToWeight, blkioWeightToIoWeight, memorySwapToV2 } from './util.js';
export {
  BPF_CGROUP_DEVICE,
  BPF_DEVCG,
  BPF_PROG_TYPE_CGROUP_DEVICE,
  deviceFilterProgram,
  emulateDeviceRules,
  type DeviceRule,
  type DeviceRuleSet,
} from './device-filter.js';
export { loadAttachDeviceFilter, DEVICE_FILTER_LICENSE } from './device-filter-load.js';
export { cgroupFeatures, parseCpuList, type CgroupFeatures } from './features.js';
