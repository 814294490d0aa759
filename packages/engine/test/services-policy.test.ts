// Pure parts of restart policies, health, stats and `docker update` (moby's rules as tables).
import assert from 'node:assert/strict';
import type { CgroupFeatures } from '@tdock/runtime';
import { nextBackoff, shouldRestart } from '../src/services/restart-policy.js';
import { liveResources, mergeResources, verifyResources } from '../src/services/resources-update.js';
import { parseNetDev, systemCpuNs } from '../src/services/stats.js';
import { probeCommand, timeoutOutput } from '../src/services/health.js';
import type { HostConfig } from '../src/api/types.js';

const V1_HOST: CgroupFeatures = {
  version: 1, memoryLimit: true, swapLimit: true, memoryReservation: true, memorySwappiness: true, oomKillDisable: true,
  cpuShares: true, cpuCfs: true, cpuset: true, cpus: '0-1', mems: '0', pidsLimit: true,
  blkioWeight: false, blkioWeightDevice: false, blkioReadBpsDevice: true, blkioWriteBpsDevice: true, blkioReadIOpsDevice: true, blkioWriteIOpsDevice: true,
};
const host = { features: V1_HOST, ncpu: 2 };

describe('engine services: restart policy, update, stats, health (pure)', () => {
  it('decides restarts as moby RestartManager.ShouldRestart', () => {
    const f = (exitCode: number, manuallyStopped = false, restartCount = 0) => ({ exitCode, manuallyStopped, restartCount });
    assert.equal(shouldRestart({ Name: 'no' }, f(1)), false);
    assert.equal(shouldRestart({ Name: '' }, f(1)), false);
    assert.equal(shouldRestart(undefined, f(1)), false);
    assert.equal(shouldRestart({ Name: 'always' }, f(0)), true);
    assert.equal(shouldRestart({ Name: 'always' }, f(0, true)), true, 'the daemon-start rule starts a stopped always container');
    assert.equal(shouldRestart({ Name: 'unless-stopped' }, f(0)), true);
    assert.equal(shouldRestart({ Name: 'unless-stopped' }, f(0, true)), false);
    assert.equal(shouldRestart({ Name: 'on-failure' }, f(0)), false);
    assert.equal(shouldRestart({ Name: 'on-failure' }, f(3, false, 100)), true, 'no maximum');
    assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, f(3, false, 1)), true);
    assert.equal(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, f(3, false, 2)), false);
  });

  it('backs off 100 ms doubling up to a minute, back to 100 ms after a 10 s run', () => {
    let b = 0;
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) seen.push((b = nextBackoff(b, 50)));
    assert.deepEqual(seen, [100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    assert.equal(nextBackoff(60000, 10_000), 100);
    assert.equal(nextBackoff(400, 9_999), 800);
  });

  it('checks update resources as moby verifyPlatformContainerResources (errors, discarded values with warnings)', () => {
    assert.throws(() => verifyResources({ Memory: 1024 * 1024 }, host, true), /^TdockError: Minimum memory limit allowed is 6MB$/);
    assert.throws(() => verifyResources({ Memory: 64 << 20, MemorySwap: 32 << 20 }, host, true), /Minimum memoryswap limit should be larger than memory limit, see usage/);
    assert.doesNotThrow(() => verifyResources({ MemorySwap: 32 << 20 }, host, true), 'swap alone is fine in an update');
    assert.throws(() => verifyResources({ MemorySwap: 32 << 20 }, host, false), /You should always set the Memory limit when using Memoryswap limit, see usage/);
    assert.throws(() => verifyResources({ MemoryReservation: 1 << 20 }, host, true), /Minimum memory reservation allowed is 6MB/);
    assert.throws(() => verifyResources({ Memory: 16 << 20, MemoryReservation: 32 << 20 }, host, true), /Minimum memory limit can not be less than memory reservation limit, see usage/);
    assert.throws(() => verifyResources({ NanoCpus: 3e9 }, host, true), /range of CPUs is from 0\.01 to 2\.00, as there are only 2 CPUs available/);
    assert.throws(() => verifyResources({ NanoCpus: 1e9, CpuQuota: 5000 }, host, true), /Conflicting options: Nano CPUs and CPU Quota cannot both be set/);
    assert.throws(() => verifyResources({ CpuPeriod: 999 }, host, true), /CPU cfs period can not be less than 1ms/);
    assert.throws(() => verifyResources({ CpuQuota: 999 }, host, true), /CPU cfs quota can not be less than 1ms \(i\.e\. 1000\)/);
    assert.throws(() => verifyResources({ CpusetCpus: '1-3' }, host, true), /Requested CPUs are not available - requested 1-3, available: 0-1/);
    assert.throws(() => verifyResources({ CpusetCpus: 'x' }, host, true), /Invalid value x for cpuset cpus: invalid format: x/);
    assert.throws(() => verifyResources({ CpusetMems: '1' }, host, true), /Requested memory nodes are not available - requested 1, available: 0/);
    const r = { BlkioWeight: 300, CpuShares: 512 };
    assert.deepEqual(verifyResources(r, host, true), ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.']);
    assert.deepEqual(r, { BlkioWeight: 0, CpuShares: 512 });
    assert.throws(() => verifyResources({ BlkioWeight: 5 }, { ...host, features: { ...V1_HOST, blkioWeight: true } }, true), /Range of blkio weight is from 10 to 1000/);
    const noSwap = { Memory: 64 << 20, MemorySwap: 0 };
    assert.deepEqual(verifyResources(noSwap, { ...host, features: { ...V1_HOST, swapLimit: false } }, false), ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.']);
    assert.equal(noSwap.MemorySwap, -1);
    assert.deepEqual(verifyResources({ Memory: 1 }, { features: undefined, ncpu: 2 }, true), [], 'no cgroups: nothing to check');
  });

  it('merges an update field by field and refuses conflicts as moby UpdateContainer', () => {
    const hc: HostConfig = { CpuShares: 512, Memory: 64 << 20, MemorySwap: 128 << 20, CpusetCpus: '0', PidsLimit: 10, NanoCpus: 5e8 };
    // The docker CLI sends every field; zero and empty mean "unchanged".
    mergeResources(hc, { CpuShares: 0, Memory: 0, MemorySwap: 0, CpusetCpus: '', BlkioWeight: 0, PidsLimit: 20, MemoryReservation: 32 << 20 });
    assert.deepEqual(hc, { CpuShares: 512, Memory: 64 << 20, MemorySwap: 128 << 20, CpusetCpus: '0', PidsLimit: 20, NanoCpus: 5e8, MemoryReservation: 32 << 20 });
    assert.throws(() => mergeResources(hc, { Memory: 256 << 20 }), /Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time/);
    assert.throws(() => mergeResources({}, { Memory: 64 << 20 }), /Memory limit should be smaller/, 'moby refuses it with no swap stored too');
    assert.throws(() => mergeResources(hc, { CpuQuota: 50000 }), /Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set/);
    assert.throws(() => mergeResources({ CpuPeriod: 100000 }, { NanoCpus: 1e9 }), /Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set/);
  });

  it('writes only the requested resources to a live cgroup (moby toContainerdResources)', () => {
    assert.deepEqual(liveResources({ CpuShares: 0, Memory: 0, MemorySwap: 0, CpusetCpus: '', PidsLimit: undefined }), {});
    assert.deepEqual(liveResources({ CpusetCpus: '0', CpuShares: 512, NanoCpus: 5e8, Memory: 64 << 20, MemorySwap: 128 << 20, MemoryReservation: 32 << 20, PidsLimit: 50, BlkioWeight: 300 }), {
      cpu: { cpus: '0', shares: 512, period: 100000, quota: 50000 },
      memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 },
      pids: { limit: 50 },
      blockIO: { weight: 300 },
    });
    assert.deepEqual(liveResources({ MemorySwap: -1 }), {}, 'moby passes only a positive swap');
    assert.deepEqual(liveResources({ PidsLimit: -1 }), { pids: { limit: -1 } });
  });

  it('reads network counters from /proc/<pid>/net/dev without loopback, and the host CPU time from /proc/stat', () => {
    const dev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     140       2    0    0    0     0          0         0      140       2    0    0    0     0       0          0',
      '  eth0:    1216      14    1    2    0     0          0         0      726       9    3    4    0     0       0          0',
    ].join('\n');
    assert.deepEqual(parseNetDev(dev), { eth0: { rx_bytes: 1216, rx_packets: 14, rx_errors: 1, rx_dropped: 2, tx_bytes: 726, tx_packets: 9, tx_errors: 3, tx_dropped: 4 } });
    assert.deepEqual(parseNetDev(dev.split('\n').slice(0, 3).join('\n')), {});
    assert.equal(systemCpuNs('cpu  10 20 30 40 50 60 70 80 90 100\ncpu0 1 2 3 4 5 6 7\n'), (10 + 20 + 30 + 40 + 50 + 60 + 70) * 10_000_000);
  });

  it('builds probe commands (CMD, CMD-SHELL with Config.Shell, NONE) and the timeout text', () => {
    assert.deepEqual(probeCommand({ Test: ['CMD', 'true'] }), ['true']);
    assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'test -f /ok'] }), ['/bin/sh', '-c', 'test -f /ok']);
    assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'exit 0'] }, ['/bin/bash', '-ec']), ['/bin/bash', '-ec', 'exit 0']);
    assert.equal(probeCommand({ Test: ['NONE'] }), undefined);
    assert.equal(probeCommand({ Test: ['CMD'] }), undefined);
    assert.equal(timeoutOutput(300, ''), 'Health check exceeded timeout (300ms)');
    assert.equal(timeoutOutput(1500, 'partial'), 'Health check exceeded timeout (1.5s): partial');
  });
});
