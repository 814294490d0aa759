// The compiled Docker profile and the capability plan applied by the real kernel, each in a child
// `node` process (a filter cannot be removed, so never in the test runner itself).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const seccompUrl = new URL('../src/seccomp/index.js', import.meta.url).href;
const capsUrl = new URL('../src/caps/index.js', import.meta.url).href;
const sysUrl = new URL('../src/sys/index.js', import.meta.url).href;

function runChild(body: string): Record<string, string> {
  const script = `
    import fs from 'node:fs';
    import { execFileSync } from 'node:child_process';
    import * as seccomp from ${JSON.stringify(seccompUrl)};
    import * as caps from ${JSON.stringify(capsUrl)};
    import * as sys from ${JSON.stringify(sysUrl)};
    const out = {};
    const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.code ?? String(e); } };
    const status = (key) => new RegExp('^' + key + ':\\\\s*(\\\\S+)', 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1];
    ${body}
    process.stdout.write(JSON.stringify(out));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60000 });
  return JSON.parse(out) as Record<string, string>;
}

describe('seccomp and capabilities on the real kernel', function () {
  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });

  it("Docker's default profile: EPERM for unshare and mount, everything Node and exec need still works", () => {
    const out = runChild(`
      const oci = seccomp.dockerProfileToOci(seccomp.loadDockerDefaultProfile(), { capabilities: caps.DEFAULT_CAPABILITIES });
      const { program, flags } = seccomp.compileSeccomp(oci);
      sys.prctl(sys.PR.SET_NO_NEW_PRIVS, 1);
      sys.seccompSetFilter(program, flags);
      out.seccomp = status('Seccomp');
      out.noNewPrivs = status('NoNewPrivs');
      out.unshare = attempt(() => sys.unshare(sys.CLONE.NEWNS));
      out.mount = attempt(() => sys.mount('none', '/tmp', 'tmpfs', 0));
      out.getpid = String(sys.getpid() === process.pid);
      out.exec = execFileSync('/bin/echo', ['hello']).toString().trim();
      out.read = String(fs.readFileSync('/proc/self/cmdline').length > 0);
    `);
    assert.deepEqual(out, {
      seccomp: '2',
      noNewPrivs: '1',
      unshare: 'EPERM',
      mount: 'EPERM',
      getpid: 'true',
      exec: 'hello',
      read: 'true',
    });
  });

  it("the capability plan for Docker's default set gives CapEff 00000000a80425fb", () => {
    const out = runChild(`
      const set = [...caps.DEFAULT_CAPABILITIES];
      const lastCap = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
      const plan = caps.capabilityPlan({ bounding: set, effective: set, permitted: set, inheritable: [] }, lastCap);
      for (const bit of plan.dropBounding) sys.prctl(sys.PR.CAPBSET_DROP, bit);
      sys.capset({ effective: plan.effective, permitted: plan.permitted, inheritable: plan.inheritable });
      out.capEff = status('CapEff');
      out.capBnd = status('CapBnd');
      out.unshare = attempt(() => sys.unshare(sys.CLONE.NEWUTS));
    `);
    assert.deepEqual(out, { capEff: '00000000a80425fb', capBnd: '00000000a80425fb', unshare: 'EPERM' });
  });
});
