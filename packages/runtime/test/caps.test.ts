import assert from 'node:assert/strict';
import { TdockError } from '@tdock/core';
import {
  CAPABILITIES,
  CAP_LAST_CAP,
  DEFAULT_CAPABILITIES,
  capMask,
  capNames,
  capabilityPlan,
  formatCapMask,
  normalizeCapabilities,
  parseProcStatusCaps,
  tweakCapabilities,
} from '../src/caps/index.js';

const invalid = (message: string) => (err: unknown) =>
  err instanceof TdockError && err.kind === 'invalid-argument' && err.message === message;

describe('capabilities', () => {
  it('numbers capabilities as the kernel does', () => {
    assert.equal(CAPABILITIES[0], 'CAP_CHOWN');
    assert.equal(CAPABILITIES[21], 'CAP_SYS_ADMIN');
    assert.equal(CAPABILITIES[24], 'CAP_SYS_RESOURCE');
    assert.equal(CAPABILITIES[37], 'CAP_AUDIT_READ');
    assert.equal(CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
    assert.equal(CAP_LAST_CAP, 40);
  });

  it("gives Docker's default set the CapEff root sees in a Docker container", () => {
    assert.equal(formatCapMask(capMask(DEFAULT_CAPABILITIES)), '00000000a80425fb');
    assert.deepEqual(new Set(capNames(0xa80425fbn)), new Set(DEFAULT_CAPABILITIES));
  });

  it('parses /proc/<pid>/status', () => {
    const caps = parseProcStatusCaps('Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n');
    assert.equal(caps.effective, 0x1fffeffffffn);
    assert.ok(!capNames(caps.effective).includes('CAP_SYS_RESOURCE'));
    assert.equal(capNames(caps.effective).length, 40);
  });

  const table: Array<{ name: string; add?: string[]; drop?: string[]; privileged?: boolean; want: string[] }> = [
    { name: 'nothing to tweak', want: [...DEFAULT_CAPABILITIES] },
    { name: 'add without prefix, any case', add: ['sys_admin', 'Net_Admin'], want: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] },
    { name: 'drop with prefix', drop: ['CAP_CHOWN', 'kill'], want: DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_KILL') },
    { name: 'drop ALL then add', drop: ['all'], add: ['chown'], want: ['CAP_CHOWN'] },
    { name: 'add ALL minus drop', add: ['ALL'], drop: ['sys_admin'], want: CAPABILITIES.filter((c) => c !== 'CAP_SYS_ADMIN') },
    { name: 'add ALL wins over drop ALL', add: ['ALL'], drop: ['ALL'], want: [...CAPABILITIES] },
    { name: 'privileged ignores add and drop', privileged: true, drop: ['ALL'], want: [...CAPABILITIES] },
    { name: 'drop then add the same', drop: ['net_raw'], add: ['NET_RAW'], want: [...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW'), 'CAP_NET_RAW'] },
  ];
  for (const row of table) {
    it(`tweaks: ${row.name}`, () => {
      assert.deepEqual(tweakCapabilities({ add: row.add, drop: row.drop, privileged: row.privileged }), row.want);
    });
  }

  it("rejects unknown capabilities in Docker's words", () => {
    assert.throws(() => tweakCapabilities({ add: ['foo'] }), invalid('unknown capability: "CAP_FOO"'));
    assert.throws(() => tweakCapabilities({ drop: ['cap_bar'] }), invalid('unknown capability: "CAP_BAR"'));
    assert.throws(() => capMask(['CAP_NOPE']), invalid('unknown capability: "CAP_NOPE"'));
  });

  it('honours what the environment can grant', () => {
    const available = CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE');
    assert.throws(
      () => normalizeCapabilities(['sys_resource'], available),
      invalid('capability not supported by your kernel or not available in the current environment: "CAP_SYS_RESOURCE"'),
    );
    assert.deepEqual(tweakCapabilities({ privileged: true, available }), available);
    assert.ok(!tweakCapabilities({ add: ['all'], available }).includes('CAP_SYS_RESOURCE'));
  });

  it('builds the capset v3 structs and the bounding drops', () => {
    const plan = capabilityPlan({
      bounding: [...DEFAULT_CAPABILITIES],
      effective: [...DEFAULT_CAPABILITIES],
      permitted: [...DEFAULT_CAPABILITIES],
      inheritable: [],
      ambient: ['CAP_KILL'],
    });
    assert.equal(plan.capsetHeader.toString('hex'), '22050820' + '00000000');
    assert.equal(plan.capsetData.length, 24);
    assert.equal(plan.capsetData.readUInt32LE(0), 0xa80425fb);
    assert.equal(plan.capsetData.readUInt32LE(4), 0xa80425fb);
    assert.equal(plan.capsetData.readUInt32LE(8), 0);
    assert.equal(plan.capsetData.readUInt32LE(12), 0);
    assert.deepEqual(plan.ambient, [5]);
    assert.equal(plan.dropBounding.length, 41 - DEFAULT_CAPABILITIES.length);
    assert.ok(plan.dropBounding.includes(21) && !plan.dropBounding.includes(0));
  });

  it('puts bits 32+ in the second data struct and skips bits the kernel lacks', () => {
    const plan = capabilityPlan({ effective: ['CAP_SYSLOG', 'CAP_CHECKPOINT_RESTORE'], bounding: ['CAP_CHECKPOINT_RESTORE'] });
    assert.equal(plan.capsetData.readUInt32LE(12), (1 << 2) | (1 << 8));
    const old = capabilityPlan({ effective: ['CAP_CHECKPOINT_RESTORE', 'CAP_CHOWN'] }, 37);
    assert.equal(old.effective, 1n);
    assert.equal(old.dropBounding.at(-1), 37);
  });
});
