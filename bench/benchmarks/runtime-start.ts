/**
 * runtime-start-*: create + start + wait + delete of `true` through @tdock/runtime on an OCI bundle
 * (`runc spec` adjusted: no terminal, args ["true"], a new network namespace with loopback only,
 * the kit's busybox rootfs), cold (a shim and an init started per container) and warm (from the
 * runtime's pool of pre-started shim+init pairs, refilled untimed between runs), against `runc run`
 * and `crun run` on the same bundle. crun runs in a private mount namespace with
 * /sys/fs/cgroup/unified unmounted (DESIGN §4: it refuses this host's hybrid cgroups otherwise);
 * runc and crun are driven from a long-lived shell, so each run pays one fork+exec of the tool.
 * Goals (issue 5): warm within 2x of crun; cold under 200 ms absolute, of which the runtime's own
 * work at most 30 ms (extra `init_work_ms`); a shim's idle PSS at most 8 MB (extra `shim_pss_mb`).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Runtime, type OciSpec } from '@tdock/runtime';
import { fixtures, tempRoots, type TempRoots } from '@tdock/testkit';
import { median, type Benchmark, type Prepared } from '../src/harness.js';
import { adjustSpec, makeBundle, type BundleConfig } from './lib/oci-bundle.js';
import { pssKb, rssKb } from './lib/memory.js';
import { ShellRunner } from './lib/shell.js';

const exec = promisify(execFile);
const CGROUP_ROOT = '/sys/fs/cgroup';
const UNIFIED = '/sys/fs/cgroup/unified';

type Mode = 'cold' | 'warm';
type Tool = 'runc' | 'crun';

interface Env {
  roots: TempRoots;
  bundle: string;
  spec: BundleConfig;
  runtime: Runtime;
}

async function makeEnv(): Promise<Env> {
  const kit = await fixtures();
  const roots = await tempRoots();
  try {
    const bundle = path.join(roots.dir, 'b');
    const spec = await makeBundle(bundle, kit.busybox.rootfs, ['true']);
    const runtime = new Runtime({
      stateRoot: path.join(roots.execRoot, 'tdock'), socketDir: path.join(roots.dir, 's'),
      cgroups: { root: CGROUP_ROOT, parent: roots.cgroupParent },
    });
    return { roots, bundle, spec, runtime };
  } catch (err) {
    await roots.cleanup();
    throw err;
  }
}

/** Whether the runtime's warm pool holds a ready pair and starts no other. */
function poolReady(runtime: Runtime): boolean {
  const { ready, starting } = runtime.poolStatus();
  return ready >= 1 && starting === 0;
}

async function waitPool(runtime: Runtime): Promise<void> {
  await runtime.prestart(1);
  for (let i = 0; i < 600 && !poolReady(runtime); i++) await new Promise((r) => setTimeout(r, 25));
}

/** The shim's PSS and RSS (kB) of an idle running container, created the way `mode` creates. */
async function idleShimMemory(env: Env, mode: Mode): Promise<{ pss: number; rss: number }> {
  if (mode === 'warm') await waitPool(env.runtime);
  const id = `idle-${mode}`;
  const spec = adjustSpec(env.spec, ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done']) as unknown as OciSpec;
  await env.runtime.run(id, { bundle: env.bundle, spec });
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const rec = JSON.parse(readFileSync(path.join(env.runtime.stateDir(id), 'state.json'), 'utf8')) as { shimPid: number };
    return { pss: pssKb(rec.shimPid), rss: rssKb(rec.shimPid) };
  } finally {
    await env.runtime.delete(id, { force: true });
  }
}

async function toolRunner(tool: Tool, env: Env): Promise<ShellRunner> {
  const err = path.join(env.roots.dir, `${tool}.err`);
  if (tool === 'runc') return ShellRunner.start(['sh'], err);
  // A private mount namespace (unshare's default propagation) where crun sees cgroup v1 only.
  const pre = existsSync(UNIFIED) ? `umount ${UNIFIED} && ` : '';
  return ShellRunner.start(['unshare', '-m', 'sh', '-c', `${pre}exec sh`], err);
}

async function toolMissing(tool: Tool): Promise<string | undefined> {
  try {
    await exec(tool, ['--version']);
    return undefined;
  } catch {
    return `${tool} is not installed`;
  }
}

function startBenchmark(mode: Mode, tool: Tool, goal?: number): Benchmark {
  return {
    name: `runtime-start-${mode}-${tool}`,
    description: `create+start+wait+delete of true: @tdock/runtime ${mode} vs ${tool} run, same bundle`,
    ...(goal !== undefined ? { goal } : {}),
    runs: 11,
    warmup: 2,
    skip: () => toolMissing(tool),
    async prepare(): Promise<Prepared> {
      const env = await makeEnv();
      let shell: ShellRunner | undefined;
      try {
        shell = await toolRunner(tool, env);
      } catch (err) {
        await env.roots.cleanup();
        throw err;
      }
      const sh = shell;
      const toolRoot = path.join(env.roots.execRoot, tool);
      const work: number[] = [];
      let n = 0;
      return {
        subjectLabel: `tdock ${mode}`,
        referenceLabel: tool,
        async beforeEach(side) {
          if (side === 'subject' && mode === 'warm') await waitPool(env.runtime);
        },
        async subject() {
          const id = `t${n++}`;
          await env.runtime.create(id, { bundle: env.bundle });
          try {
            await env.runtime.start(id);
            const exit = await env.runtime.wait(id);
            if (exit.exitCode !== 0) throw new Error(`tdock: true exited ${exit.exitCode}`);
            const rec = JSON.parse(readFileSync(path.join(env.runtime.stateDir(id), 'state.json'), 'utf8')) as { initWorkMs?: number };
            if (rec.initWorkMs !== undefined) work.push(rec.initWorkMs);
          } finally {
            await env.runtime.delete(id, { force: true });
          }
        },
        async reference() {
          await sh.run(`${tool} --root ${toolRoot} run -b ${env.bundle} tdkb-${env.roots.id}-${n++}`);
        },
        async extras() {
          const mem = await idleShimMemory(env, mode);
          return {
            init_work_ms: Math.round(median(work) * 10) / 10,
            shim_pss_mb: Math.round(mem.pss / 102.4) / 10,
            shim_rss_mb: Math.round(mem.rss / 102.4) / 10,
          };
        },
        async teardown() {
          env.runtime.close();
          for (const s of await env.runtime.list().catch(() => [])) await env.runtime.delete(s.id, { force: true }).catch(() => undefined);
          await sh.stop();
          // Containers a failed reference run left behind (their cgroups are named after them).
          const ids = await exec(tool, ['--root', toolRoot, 'list', '-q']).then((r) => r.stdout.split('\n').filter(Boolean), () => []);
          for (const id of ids) await exec(tool, ['--root', toolRoot, 'delete', '-f', id]).catch(() => undefined);
          await env.roots.cleanup();
        },
      };
    },
  };
}

export const runtimeStartColdRunc = startBenchmark('cold', 'runc');
export const runtimeStartWarmRunc = startBenchmark('warm', 'runc');
export const runtimeStartColdCrun = startBenchmark('cold', 'crun');
/** Issue 5's goal: a warm start within 2x of crun. */
export const runtimeStartWarmCrun = startBenchmark('warm', 'crun', 2);
