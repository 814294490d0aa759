// Not a test: measures create+start+wait of `true` through Runtime, cold or from the warm pool.
//   node packages/runtime/dist/test/support/bench-start.js [--pool] [N]
// Prints the median/min wall time, the children's CPU per container, and the init's own work time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixtures } from '@tdock/testkit';
import { Runtime, defaultSpec } from '@tdock/runtime';

const pool = process.argv.includes('--pool');
const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 11);
const busybox = (await fixtures()).busybox.rootfs;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-bench-'));
const parent = `tdock-test-bench-${process.pid}`;
const socketDir = fs.mkdtempSync('/tmp/tdk-b');
const rt = new Runtime({ stateRoot: path.join(dir, 'state'), socketDir, cgroups: { root: '/sys/fs/cgroup', parent } });
const spec = defaultSpec({ args: ['true'] });
const childCpuMs = (): number => {
  const f = fs.readFileSync('/proc/self/stat', 'utf8');
  const a = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(a[13]) + Number(a[14])) * 10;
};

async function one(id: string): Promise<{ ms: number; work: number }> {
  const upper = path.join(dir, id, 'upper');
  const work = path.join(dir, id, 'work');
  fs.mkdirSync(upper, { recursive: true });
  fs.mkdirSync(work);
  if (pool) await rt.prestart(1);
  const t0 = performance.now();
  await rt.create(id, { bundle: dir, spec, rootfs: { type: 'overlay', lowers: [busybox], upper, work } });
  await rt.start(id);
  const exit = await rt.wait(id);
  const ms = performance.now() - t0;
  const rec = JSON.parse(fs.readFileSync(path.join(rt.stateDir(id), 'state.json'), 'utf8')) as { initWorkMs?: number };
  await rt.delete(id);
  if (exit.exitCode !== 0) throw new Error(`exit ${exit.exitCode}`);
  return { ms, work: rec.initWorkMs ?? NaN };
}

try {
  await one('warmup');
  const cpu0 = childCpuMs();
  const runs: { ms: number; work: number }[] = [];
  for (let i = 0; i < n; i++) runs.push(await one(`b${i}`));
  const cpu = (childCpuMs() - cpu0) / n;
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  const ms = runs.map((r) => r.ms);
  console.log(`${pool ? 'warm' : 'cold'}: create+start+wait true: median ${med(ms).toFixed(1)} ms, min ${Math.min(...ms).toFixed(1)} ms (n=${n}); `
    + `children CPU ${cpu.toFixed(0)} ms/container; init work until created: median ${med(runs.map((r) => r.work)).toFixed(1)} ms; load ${os.loadavg()[0]?.toFixed(1)}`);
} finally {
  rt.close();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(socketDir, { recursive: true, force: true });
  for (const h of fs.readdirSync('/sys/fs/cgroup')) {
    const d = path.join('/sys/fs/cgroup', h, parent);
    if (fs.existsSync(d)) fs.rmdirSync(d);
  }
}
