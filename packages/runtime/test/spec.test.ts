// Pure spec logic: OCI mount options to mount(2) terms, schema validation, user resolution, spec to plan.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MS } from '@tdock/runtime/sys';
import { PRECOMPILED_SPEC_VALIDATOR, compileSpecValidator, defaultSpec, loadSpecValidator, planMount, resolveUser, resolveUserFrom, specToPlan, validateSpec } from '@tdock/runtime';

describe('spec', () => {
  const validator = compileSpecValidator();

  it('translates mount options like runc', () => {
    const table: [Parameters<typeof planMount>[0], Partial<ReturnType<typeof planMount>>][] = [
      [{ destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] }, { flags: MS.NOSUID | MS.NOEXEC | MS.NODEV, data: '', type: 'proc' }],
      [{ destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] }, { flags: MS.NOSUID | MS.STRICTATIME, data: 'mode=755,size=65536k' }],
      [{ destination: '/data', type: 'bind', source: '/nonexistent', options: ['rbind', 'ro', 'rprivate'] }, { type: 'bind', flags: MS.BIND | MS.REC, remountFlags: MS.RDONLY, propagation: MS.PRIVATE | MS.REC }],
      [{ destination: '/x', source: '/nonexistent', options: ['bind', 'rw', 'nosuid'] }, { type: 'bind', flags: MS.BIND, remountFlags: MS.NOSUID }],
      [{ destination: '/y', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'rw', 'noexec', 'exec'] }, { flags: 0 }],
    ];
    for (const [input, want] of table) {
      const got = planMount(input, () => false);
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, `${input.destination}.${k}`);
    }
  });

  it('validates config.json against the runtime-spec schema', () => {
    assert.equal(validateSpec(defaultSpec({ args: ['sh'] }), validator).ociVersion, '1.0.2-dev');
    assert.throws(() => validateSpec({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'bogus' }] } }, validator), { kind: 'invalid-argument', message: /namespaces\/0\/type/ });
    assert.throws(() => validateSpec({ process: {} }, validator), { kind: 'invalid-argument' });
  });

  it('loads the validator precompiled by the build, which judges like a fresh compile', function () {
    if (!fs.existsSync(PRECOMPILED_SPEC_VALIDATOR)) this.skip(); // a tsc-only build does not write it
    const loaded = loadSpecValidator();
    assert.notEqual(loaded, validator);
    assert.equal('schema' in loaded, false, 'a standalone validator, not one compiled at run time');
    const cases: unknown[] = [
      defaultSpec({ args: ['sh'] }),
      { ociVersion: '1.0.2', linux: { namespaces: [{ type: 'bogus' }] } },
      { process: {} },
      { ociVersion: '1.0.2', process: { cwd: '/', args: ['true'], user: { uid: 'x', gid: 0 } } },
      { ociVersion: '1.0.2', linux: { resources: { memory: { limit: 1e6 } }, seccomp: { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['x'], action: 'nope' }] } } },
    ];
    for (const c of cases) {
      assert.equal(loaded(c), validator(c), JSON.stringify(c));
      assert.equal(loaded.errors?.[0]?.instancePath, validator.errors?.[0]?.instancePath, JSON.stringify(c));
    }
  });

  it('resolves users and groups by name or number like Docker', () => {
    const passwd = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n';
    const group = 'root:x:0:\nwww:x:33:\nstaff:x:50:www,other\naudio:x:63:www\n';
    assert.deepEqual(resolveUserFrom('', passwd, group), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
    assert.deepEqual(resolveUserFrom('www', passwd, group), { uid: 33, gid: 33, additionalGids: [50, 63], home: '/var/www' });
    assert.deepEqual(resolveUserFrom('www:staff', passwd, group), { uid: 33, gid: 50, additionalGids: [], home: '/var/www' });
    assert.deepEqual(resolveUserFrom('1234:5678', passwd, group), { uid: 1234, gid: 5678, additionalGids: [], home: '/' });
    assert.deepEqual(resolveUserFrom('33', passwd, group, ['audio', '7']).additionalGids, [50, 63, 7]);
    assert.throws(() => resolveUserFrom('nobody', passwd, group), { kind: 'invalid-argument', message: /unable to find user nobody/ });
    assert.throws(() => resolveUserFrom('www:nogroup', passwd, group), { message: /unable to find group nogroup/ });
  });

  it('reads passwd inside the rootfs even through an absolute symlink', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-user-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      fs.mkdirSync(path.join(root, 'real'));
      fs.writeFileSync(path.join(root, 'real', 'passwd'), 'app:x:7:8::/app:/bin/sh\n');
      fs.symlinkSync('/real/passwd', path.join(root, 'etc', 'passwd'));
      assert.equal(resolveUser(root, 'app').uid, 7);
      assert.throws(() => resolveUser(root, 'root'), /unable to find user root/); // not the host's passwd
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('plans namespaces, caps and seccomp from a Docker-like spec; refuses user namespaces', () => {
    const spec = defaultSpec({ args: ['sh'], hostname: 'h' });
    const plan = specToPlan(spec, { rootfs: { type: 'bind', source: '/r' }, merged: '/m' });
    assert.deepEqual(plan.namespaces.map((n) => n.type).sort(), ['cgroup', 'ipc', 'mount', 'network', 'uts']);
    assert.equal(BigInt(plan.caps?.effective ?? '0').toString(16), 'a80425fb');
    assert.ok(plan.seccomp !== undefined && Buffer.from(plan.seccomp, 'base64').length % 8 === 0);
    assert.ok(!plan.mounts.some((m) => m.type === 'cgroup'));
    assert.equal(plan.defaultDevices, true);
    spec.linux?.namespaces?.push({ type: 'user' });
    assert.throws(() => specToPlan(spec, { rootfs: { type: 'bind', source: '/r' }, merged: '/m' }), { kind: 'not-implemented' });
    const noUts = defaultSpec({ args: ['sh'], hostname: 'h' });
    noUts.linux = { ...noUts.linux, namespaces: [{ type: 'pid' }, { type: 'mount' }] };
    assert.throws(() => specToPlan(noUts, { rootfs: { type: 'bind', source: '/r' }, merged: '/m' }), /hostname without a new UTS/);
  });
});
