import assert from 'node:assert/strict';
import { TdockError } from '@tdock/core';
import { DEFAULT_CAPABILITIES, type DockerSeccompProfile, type OciSpec } from '@tdock/runtime';
import { toOciSpec, mergeTmpfsOptions, processArgs, replaceOrAppendEnv, DEFAULT_MASKED_PATHS, type OciRuntimeSpec, type SpecInput, type SpecOptions } from '../src/specconv/index.js';

const ID = '0123456789ab' + 'c'.repeat(52);
const BASE_OPTS: SpecOptions = { rootfs: '/r/merged', volumePath: (n) => `/data/volumes/${n}/_data` };

function spec(input: Partial<SpecInput>, opts: Partial<SpecOptions> = {}): OciRuntimeSpec {
  return toOciSpec({ id: ID, config: { Cmd: ['sh'] }, hostConfig: {}, ...input }, { ...BASE_OPTS, ...opts });
}
function mount(s: OciRuntimeSpec, dst: string): OciRuntimeSpec['mounts'][number] | undefined {
  return s.mounts.find((m) => m.destination === dst);
}
function invalid(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof TdockError && e.kind === 'invalid-argument' && re.test(e.message));
}

describe('specconv: Docker container → OCI spec', () => {
  describe('process', () => {
    const cases: Array<[string, Partial<SpecInput>, string[]]> = [
      ['user Cmd only', { config: { Cmd: ['echo', 'hi'] } }, ['echo', 'hi']],
      ['image Entrypoint + image Cmd', { config: {}, image: { Entrypoint: ['/ep'], Cmd: ['a'] } }, ['/ep', 'a']],
      ['image Entrypoint + user Cmd', { config: { Cmd: ['b'] }, image: { Entrypoint: ['/ep'], Cmd: ['a'] } }, ['/ep', 'b']],
      ['user Entrypoint drops image Cmd', { config: { Entrypoint: ['/mine'] }, image: { Entrypoint: ['/ep'], Cmd: ['a'] } }, ['/mine']],
      ['empty Entrypoint [""] uses Cmd alone', { config: { Entrypoint: [''], Cmd: ['ls'] }, image: { Entrypoint: ['/ep'] } }, ['ls']],
    ];
    for (const [name, input, args] of cases) it(`args: ${name}`, () => assert.deepEqual(spec(input).process.args, args));

    it('rejects a container without a command', () => invalid(() => spec({ config: {} }), /no command specified/));

    it('produces what @tdock/runtime takes (compile-time check)', () => {
      const forRuntime: OciSpec = spec({});
      assert.equal(forRuntime.root?.path, '/r/merged');
    });

    it('merges env: defaults, image env under user env, TERM with a TTY', () => {
      const s = spec({ config: { Cmd: ['sh'], Tty: true, Env: ['A=1', 'PATH=/x'], Hostname: 'web' }, image: { Env: ['A=image', 'B=2'] } });
      assert.deepEqual(s.process.env, ['PATH=/x', 'HOSTNAME=web', 'TERM=xterm', 'A=1', 'B=2']);
      assert.equal(s.process.terminal, true);
      assert.equal(s.hostname, 'web');
      assert.deepEqual(replaceOrAppendEnv(['A=1', 'B=2'], ['A']), ['B=2']);
      assert.deepEqual(processArgs({ Entrypoint: ['a'], Cmd: ['b'] }), ['a', 'b']);
    });

    it('defaults hostname to the short ID, cwd to /, user to root; takes image WorkingDir and numeric users', () => {
      let s = spec({});
      assert.equal(s.hostname, '0123456789ab');
      assert.equal(s.process.cwd, '/');
      assert.deepEqual(s.process.user, { uid: 0, gid: 0 });
      s = spec({ config: { Cmd: ['sh'], User: '1000:1001' }, image: { WorkingDir: '/app' } });
      assert.deepEqual(s.process.user, { uid: 1000, gid: 1001 });
      assert.equal(s.process.cwd, '/app');
      s = spec({ image: { User: 'nobody' } }, { resolveUser: (u) => (u === 'nobody' ? { uid: 65534, gid: 65534 } : { uid: 0, gid: 0 }) });
      assert.deepEqual(s.process.user, { uid: 65534, gid: 65534 });
      invalid(() => spec({ config: { Cmd: ['sh'], User: 'ghost' } }), /unable to find user ghost/);
    });

    it('sets rlimits from Ulimits over daemon defaults, OOM score and console size', () => {
      const s = spec({ config: { Cmd: ['sh'], Tty: true }, hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }], OomScoreAdj: 500, ConsoleSize: [24, 80] } }, { defaultUlimits: [{ Name: 'nofile', Soft: 1, Hard: 1 }, { Name: 'nproc', Soft: 10, Hard: 20 }] });
      assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }, { type: 'RLIMIT_NPROC', soft: 10, hard: 20 }]);
      assert.equal(s.process.oomScoreAdj, 500);
      assert.deepEqual(s.process.consoleSize, { height: 24, width: 80 });
    });
  });

  describe('security', () => {
    it("uses Docker's default capabilities, CapAdd/CapDrop and Privileged", () => {
      assert.deepEqual(spec({}).process.capabilities?.bounding, [...DEFAULT_CAPABILITIES]);
      const s = spec({ hostConfig: { CapAdd: ['NET_ADMIN'], CapDrop: ['chown'] } });
      assert.ok(s.process.capabilities?.effective.includes('CAP_NET_ADMIN'));
      assert.ok(!s.process.capabilities?.effective.includes('CAP_CHOWN'));
      const p = spec({ hostConfig: { Privileged: true } });
      assert.ok(p.process.capabilities?.bounding.includes('CAP_SYS_ADMIN'));
      assert.deepEqual(p.linux.maskedPaths, []);
      assert.deepEqual(p.linux.readonlyPaths, []);
      assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
      assert.ok(!mount(p, '/sys')?.options.includes('ro'));
      assert.ok(!mount(p, '/sys/fs/cgroup')?.options.includes('ro'));
    });

    it("keeps Docker's masked and read-only paths and device rules by default", () => {
      const s = spec({});
      assert.deepEqual(s.linux.maskedPaths, [...DEFAULT_MASKED_PATHS]);
      assert.ok(s.linux.maskedPaths.includes('/proc/kcore') && s.linux.maskedPaths.includes('/sys/firmware'));
      assert.deepEqual(s.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
      assert.deepEqual(s.linux.resources.devices[0], { allow: false, access: 'rwm' });
      assert.equal(s.linux.resources.devices.length, 8);
      assert.equal(s.process.noNewPrivileges, false);
    });

    it('applies no-new-privileges and seccomp options', () => {
      const profile: DockerSeccompProfile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] } as DockerSeccompProfile;
      const o = { seccompProfile: profile, arch: 'amd64', kernelRelease: '6.1.0' };
      assert.equal(spec({ hostConfig: { SecurityOpt: ['no-new-privileges'] } }).process.noNewPrivileges, true);
      assert.equal(spec({ hostConfig: { SecurityOpt: ['no-new-privileges=false'] } }, { noNewPrivileges: true }).process.noNewPrivileges, false);
      assert.equal(spec({}, o).linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
      assert.equal(spec({ hostConfig: { SecurityOpt: ['seccomp=unconfined'] } }, o).linux.seccomp, undefined);
      assert.equal(spec({ hostConfig: { Privileged: true } }, o).linux.seccomp, undefined);
      const custom = spec({ hostConfig: { SecurityOpt: ['seccomp=' + JSON.stringify({ defaultAction: 'SCMP_ACT_LOG' })] } }, o);
      assert.equal(custom.linux.seccomp?.defaultAction, 'SCMP_ACT_LOG');
      invalid(() => spec({ hostConfig: { SecurityOpt: ['bogus=1'] } }), /invalid --security-opt 2/);
      invalid(() => spec({ hostConfig: { SecurityOpt: ['nope'] } }), /invalid --security-opt 1/);
    });
  });

  describe('mounts', () => {
    it("has Docker's default mounts with the shm size", () => {
      const s = spec({ hostConfig: { ShmSize: 1 << 20 } });
      assert.deepEqual(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
      assert.deepEqual(mount(s, '/dev/shm')?.options, ['rw', 'nosuid', 'noexec', 'nodev', 'mode=1777', 'size=1048576']);
      assert.ok(mount(spec({}), '/dev/shm')?.options.includes('size=67108864'));
      assert.deepEqual(mount(s, '/dev/pts')?.options, ['rw', 'nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
      assert.equal(mount(spec({ hostConfig: { IpcMode: 'none' } }), '/dev/shm'), undefined);
    });

    it('turns Binds, Mounts, Tmpfs and anonymous volumes into sorted mounts', () => {
      const s = spec(
        {
          config: { Cmd: ['sh'], Volumes: { '/anon': {} } },
          hostConfig: {
            Binds: ['/host/a:/data/sub:ro', 'vol1:/data'],
            Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1024, Mode: 0o700 } }, { Type: 'bind', Source: '/src', Target: '/mnt', BindOptions: { Propagation: 'rslave' } }],
            Tmpfs: { '/run': 'size=64m,exec' },
          },
        },
        { anonymousVolumes: { '/anon': '/data/volumes/abc/_data' } },
      );
      const user = s.mounts.slice(7);
      assert.deepEqual(user.map((m) => m.destination), ['/anon', '/data', '/scratch', '/mnt', '/run', '/data/sub']);
      assert.deepEqual(mount(s, '/data/sub'), { destination: '/data/sub', type: 'bind', source: '/host/a', options: ['rbind', 'ro', 'rprivate'] });
      assert.deepEqual(mount(s, '/data'), { destination: '/data', type: 'bind', source: '/data/volumes/vol1/_data', options: ['rbind'] });
      assert.deepEqual(mount(s, '/mnt')?.options, ['rbind', 'rslave']);
      assert.deepEqual(mount(s, '/scratch'), { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1024', 'mode=700'] });
      assert.deepEqual(mount(s, '/run')?.options, ['nosuid', 'nodev', 'rprivate', 'size=64m', 'exec']);
      assert.deepEqual(mergeTmpfsOptions(['noexec', 'size=1', 'exec', 'size=2']), ['exec', 'size=2']);
    });

    it('rejects bad binds', () => {
      invalid(() => spec({ hostConfig: { Binds: ['/a'] } }), /invalid volume specification/);
      invalid(() => spec({ hostConfig: { Binds: ['/a:rel'] } }), /must be absolute/);
      invalid(() => spec({ hostConfig: { Binds: ['/a:/b:bogus'] } }), /invalid mode: bogus/);
      invalid(() => spec({ hostConfig: { Mounts: [{ Type: 'nfs', Target: '/x' }] } }), /mount type unknown/);
    });

    it('makes default mounts read-only with ReadonlyRootfs, except proc and /dev ones', () => {
      const s = spec({ hostConfig: { ReadonlyRootfs: true, Binds: ['/h:/w'] } }, { etcFiles: { hosts: '/c/hosts' } });
      assert.equal(s.root.readonly, true);
      assert.ok(!mount(s, '/proc')?.options.includes('ro'));
      assert.ok(!mount(s, '/dev/shm')?.options.includes('ro'));
      assert.ok(mount(s, '/dev/mqueue')?.options.includes('rw'));
      assert.ok(mount(s, '/etc/hosts')?.options.includes('ro'));
      assert.ok(!mount(s, '/w')?.options.includes('ro'));
    });

    it('adds the init binary with Init and prefixes the args', () => {
      const s = spec({ hostConfig: { Init: true } }, { initBinary: '/usr/libexec/tdock-init' });
      assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh']);
      assert.deepEqual(mount(s, '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/libexec/tdock-init', options: ['bind', 'ro'] });
      assert.deepEqual(spec({ hostConfig: { Init: true, PidMode: 'host' } }, { initBinary: '/i' }).process.args, ['sh']);
    });
  });

  describe('resources and namespaces', () => {
    it('converts memory, CPU, pids and blkio', () => {
      const s = spec(
        { hostConfig: { Memory: 32 << 20, MemorySwap: 64 << 20, MemoryReservation: 16 << 20, NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1', PidsLimit: 100, BlkioWeight: 300, BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1000 }] } },
        { hostDevice: () => ({ type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 }) },
      );
      assert.deepEqual(s.linux.resources.memory, { limit: 32 << 20, reservation: 16 << 20, swap: 64 << 20 });
      assert.deepEqual(s.linux.resources.cpu, { shares: 512, cpus: '0-1', period: 100000, quota: 150000 });
      assert.deepEqual(s.linux.resources.pids, { limit: 100 });
      assert.deepEqual(s.linux.resources.blockIO, { weight: 300, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }] });
      assert.deepEqual(spec({ hostConfig: { PidsLimit: 0 } }).linux.resources.pids, { limit: -1 });
      assert.deepEqual(spec({ hostConfig: { CpuQuota: 50000, CpuPeriod: 200000 } }).linux.resources.cpu, { period: 200000, quota: 50000 });
      assert.equal(spec({}).linux.resources.memory, undefined);
      invalid(() => spec({ hostConfig: { NanoCpus: 1e9, CpuQuota: 1 } }), /Nano CPUs/);
    });

    it('maps Devices through the injected host stat', () => {
      const s = spec({ hostConfig: { Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rw' }] } }, { hostDevice: () => ({ type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }) });
      assert.deepEqual(s.linux.devices, [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]);
      assert.deepEqual(s.linux.resources.devices.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
    });

    it('creates namespaces per mode and default network sysctls for a private netns', () => {
      const types = (s: OciRuntimeSpec): string[] => s.linux.namespaces.map((n) => n.type);
      assert.deepEqual(types(spec({})), ['mount', 'network', 'uts', 'pid', 'ipc']);
      assert.deepEqual(types(spec({}, { cgroupVersion: 2 })), ['mount', 'network', 'uts', 'pid', 'ipc', 'cgroup']);
      const host = spec({ hostConfig: { NetworkMode: 'host', Sysctls: { 'kernel.shmmax': '1' } } });
      assert.deepEqual(types(host), ['mount', 'uts', 'pid', 'ipc']);
      assert.deepEqual(host.linux.sysctl, { 'kernel.shmmax': '1' });
      assert.deepEqual(spec({}).linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
      const joined = spec({ hostConfig: { NetworkMode: 'container:abc' } }, { containerNamespace: (id, t) => `/proc/42/ns/${t === 'network' ? 'net' : t}#${id}` });
      assert.deepEqual(joined.linux.namespaces[1], { type: 'network', path: '/proc/42/ns/net#abc' });
      assert.deepEqual(types(spec({ hostConfig: { PidMode: 'host', IpcMode: 'host', UTSMode: 'host' } })), ['mount', 'network']);
    });
  });
});
