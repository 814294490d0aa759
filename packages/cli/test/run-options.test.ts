import assert from 'node:assert/strict';
import { parseEnvFile, parseMount, toCreateBody, type ContainerFlagValues } from '../src/run-options.js';

function flags(over: Partial<ContainerFlagValues> = {}): ContainerFlagValues {
  const lists = ['attach', 'addHost', 'deviceReadBps', 'deviceWriteBps', 'deviceReadIops', 'deviceWriteIops', 'capAdd', 'capDrop', 'dns', 'dnsOption', 'dnsSearch', 'env', 'expose', 'groupAdd', 'label', 'logOpt', 'mount', 'networkAlias', 'publish', 'securityOpt', 'sysctl', 'tmpfs', 'ulimit', 'volume', 'volumesFrom'];
  return { ...Object.fromEntries(lists.map((k) => [k, []])), ...over } as unknown as ContainerFlagValues;
}
const noFiles = { envFiles: [], labelFiles: [] };

describe('cli/run-options (docker run flags to a create body)', () => {
  it('attaches stdout and stderr by default, stdin with -i, nothing with -d', () => {
    const a = toCreateBody(flags(), 'bb', ['echo', 'hi'], noFiles, {});
    assert.deepEqual([a.AttachStdin, a.AttachStdout, a.AttachStderr, a.OpenStdin, a.StdinOnce], [false, true, true, false, false]);
    assert.deepEqual(a.Cmd, ['echo', 'hi']);
    assert.equal(a.HostConfig.NetworkMode, 'default');
    const i = toCreateBody(flags({ interactive: true, tty: true }), 'bb', [], noFiles, {});
    assert.deepEqual([i.AttachStdin, i.OpenStdin, i.StdinOnce, i.Tty, i.Cmd], [true, true, true, true, undefined]);
    const d = toCreateBody(flags({ detach: true, interactive: true }), 'bb', [], noFiles, {});
    assert.deepEqual([d.AttachStdin, d.AttachStdout, d.StdinOnce, d.OpenStdin], [false, false, false, true]);
  });

  it('converts resources with docker units', () => {
    const b = toCreateBody(flags({ memory: '32m', memorySwap: '-1', cpus: '0.5', pidsLimit: '64', shmSize: '1g', cpuShares: '512' }), 'bb', [], noFiles, {});
    assert.equal(b.HostConfig.Memory, 32 * 1024 * 1024);
    assert.equal(b.HostConfig.MemorySwap, -1);
    assert.equal(b.HostConfig.NanoCpus, 500_000_000);
    assert.equal(b.HostConfig.PidsLimit, 64);
    assert.equal(b.HostConfig.ShmSize, 1024 ** 3);
    assert.equal(b.HostConfig.CpuShares, 512);
    assert.throws(() => toCreateBody(flags({ pidsLimit: 'x' }), 'bb', [], noFiles, {}), /invalid argument "x" for "pids-limit" flag/);
  });

  it('splits -v into binds and anonymous volumes, and parses ports, env and labels', () => {
    const b = toCreateBody(
      flags({ volume: ['/host:/ctr:ro', 'named:/data', '/anon'], publish: ['127.0.0.1:8080:80'], expose: ['9000-9001/udp'], env: ['A=1', 'FROM_ENV', 'MISSING'], label: ['k=v', 'flag'] }),
      'bb', [], { envFiles: ['# comment\nE=2\n\nFROM_ENV\n'], labelFiles: [] }, { FROM_ENV: 'x' },
    );
    assert.deepEqual(b.HostConfig.Binds, ['/host:/ctr:ro', 'named:/data']);
    assert.deepEqual(b.Volumes, { '/anon': {} });
    assert.deepEqual(b.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    assert.deepEqual(Object.keys(b.ExposedPorts as object).sort(), ['80/tcp', '9000/udp', '9001/udp']);
    assert.deepEqual(b.Env, ['E=2', 'FROM_ENV=x', 'A=1', 'FROM_ENV=x', 'MISSING']);
    assert.deepEqual(b.Labels, { k: 'v', flag: '' });
    assert.throws(() => toCreateBody(flags({ volume: ['rel:ctr'] }), 'bb', [], noFiles, {}), /mount path must be absolute/);
  });

  it('parses restart policies, ulimits, health flags and --entrypoint ""', () => {
    const b = toCreateBody(flags({ restart: 'on-failure:3', ulimit: ['nofile=1024:2048'], healthCmd: 'true', healthInterval: '5s', entrypoint: '' }), 'bb', [], noFiles, {});
    assert.deepEqual(b.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(b.HostConfig.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 0, StartPeriod: 0, StartInterval: 0, Retries: 0 });
    assert.deepEqual(b.Entrypoint, ['']);
    assert.throws(() => toCreateBody(flags({ restart: 'always:3' }), 'bb', [], noFiles, {}), /maximum retry count can only be used with 'on-failure'/);
    assert.throws(() => toCreateBody(flags({ restart: 'sometimes' }), 'bb', [], noFiles, {}), /invalid restart policy format/);
    assert.deepEqual(toCreateBody(flags({ healthcheck: false }), 'bb', [], noFiles, {}).Healthcheck, { Test: ['NONE'] });
  });

  it('puts aliases and a static IP on the named network only', () => {
    const b = toCreateBody(flags({ network: 'front', networkAlias: ['web'], ip: '10.1.0.5' }), 'bb', [], noFiles, {});
    assert.equal(b.HostConfig.NetworkMode, 'front');
    assert.deepEqual(b.NetworkingConfig, { EndpointsConfig: { front: { Aliases: ['web'], IPAMConfig: { IPv4Address: '10.1.0.5' } } } });
  });

  it('parses --mount as docker does', () => {
    assert.deepEqual(parseMount('type=bind,source=/a,target=/b,readonly,bind-propagation=rshared'), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'rshared' } });
    assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 ** 2, Mode: 0o1770 } });
    assert.deepEqual(parseMount('src=v,dst=/d,volume-nocopy,volume-label=a=b'), { Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } });
    assert.throws(() => parseMount('type=bind,source=/a'), /target is required/);
    assert.throws(() => parseMount('type=bind,bogus=1,target=/x'), /unexpected key 'bogus'/);
  });

  it('reads env files as docker does', () => {
    assert.deepEqual(parseEnvFile('A=1\n  # c\nB\n\nC=x=y\n', { B: 'b' }), ['A=1', 'B=b', 'C=x=y']);
  });
});
