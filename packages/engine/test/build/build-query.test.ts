// `/build`'s query as moby's newImageBuildOptions decodes it: rm/forcerm, cachefrom, the RUN resource limits,
// extra hosts, the network mode and the platform; options tdockd does not implement are refused by name.
import assert from 'node:assert/strict';
import { parseBuildQuery } from '../../src/build/service.js';

describe('build: parseBuildQuery', () => {
  it('defaults rm to true, lets forcerm imply it, and reads rm=False as docker-py sends it', () => {
    assert.deepEqual([parseBuildQuery({}).remove, parseBuildQuery({}).forceRemove], [true, false]);
    assert.equal(parseBuildQuery({ rm: 'False' }).remove, false);
    assert.equal(parseBuildQuery({ rm: '0', forcerm: '1' }).remove, true);
    assert.equal(parseBuildQuery({ forcerm: 'True' }).forceRemove, true);
  });

  it('decodes cachefrom (JSON) and the resource limits of RUN containers', () => {
    const r = parseBuildQuery({
      cachefrom: '["app:1","",null,"app:2"]', memory: '67108864', cpushares: '512', cpusetcpus: '0', cpusetmems: '0', cpuperiod: '100000', cpuquota: '50000',
      shmsize: '16777216', ulimits: '[{"Name":"nofile","Soft":1000,"Hard":2000}]', extrahosts: ['a.example:10.0.0.1', 'b.example=10.0.0.2,c.example:::1'],
    });
    assert.deepEqual(r.cacheFrom, ['app:1', 'app:2']);
    assert.deepEqual(r.resources, {
      Memory: 67108864, MemorySwap: 134217728, CpuShares: 512, CpuPeriod: 100000, CpuQuota: 50000, ShmSize: 16777216, CpusetCpus: '0', CpusetMems: '0',
      Ulimits: [{ Name: 'nofile', Soft: 1000, Hard: 2000 }], ExtraHosts: ['a.example:10.0.0.1', 'b.example:10.0.0.2', 'c.example:::1'],
    });
    assert.equal(parseBuildQuery({ memory: '67108864', memswap: '-1' }).resources.MemorySwap, -1);
    assert.deepEqual(parseBuildQuery({ memory: '0', cpushares: '' }).resources, {});
  });

  it('refuses bad values with moby\'s words', () => {
    assert.throws(() => parseBuildQuery({ memory: '1024' }), /Minimum memory limit allowed is 6MB/);
    assert.throws(() => parseBuildQuery({ memory: '67108864', memswap: '1048576' }), /Minimum memoryswap limit should be larger than memory limit/);
    assert.throws(() => parseBuildQuery({ cpushares: 'lots' }), /invalid syntax/);
    assert.throws(() => parseBuildQuery({ extrahosts: 'nocolon' }), /bad format for add-host/);
    assert.throws(() => parseBuildQuery({ cachefrom: '[' }), /invalid cachefrom parameter/);
    assert.throws(() => parseBuildQuery({ platform: 'linux amd64' }), /unknown operating system or architecture/);
  });

  it('maps the network modes and normalises the platform', () => {
    assert.equal(parseBuildQuery({}).network, 'default');
    assert.equal(parseBuildQuery({ networkmode: 'bridge' }).network, 'default');
    assert.equal(parseBuildQuery({ networkmode: 'none' }).network, 'none');
    assert.equal(parseBuildQuery({ networkmode: 'HOST' }).network, 'host');
    assert.equal(parseBuildQuery({ platform: 'Linux/AMD64' }).platform, 'linux/amd64');
    assert.equal(parseBuildQuery({ platform: 'arm64' }).platform, 'linux/arm64');
  });

  it('refuses what tdockd does not implement instead of ignoring it', () => {
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{ networkmode: 'mynet' }, /network mode "mynet" is not supported for builds/],
      [{ squash: '1' }, /--squash is not supported/],
      [{ remote: 'https://example.invalid/repo.git' }, /remote build contexts are not supported/],
      [{ version: '2' }, /BuildKit builds \(version=2\) are not supported by tdockd: use DOCKER_BUILDKIT=0/],
      [{ isolation: 'hyperv' }, /unsupported isolation: "hyperv"/],
      [{ cgroupparent: 'x' }, /--cgroup-parent is not supported for builds/],
      [{ securityopt: 'seccomp=unconfined' }, /security options are not supported on linux/],
      [{ outputs: '[{"Type":"tar"}]' }, /build outputs are not supported by the legacy builder/],
    ];
    for (const [q, re] of refused) assert.throws(() => parseBuildQuery(q), re, JSON.stringify(q));
    assert.doesNotThrow(() => parseBuildQuery({ version: '1', isolation: 'default', outputs: '' }));
  });
});
