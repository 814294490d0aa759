// A pull without a daemon, for profiling the image store (issue 4): `store.pull` of a kit image from
// the kit registry into a fresh store, N times; prints wall time, the process's CPU time (user and
// system, zlib's thread-pool work included) and when each layer status first came.
//   npm run build && node bench/pull-probe.mjs debian 3
//   PROF=/tmp/pull.cpuprofile node bench/pull-probe.mjs debian 1   (V8 profile of the last pull only)
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { ImageStore, sysFsOps } from '@tdock/engine';
import { RegistryClient } from '@tdock/registry-client';
import { fixtures, startRegistry } from '@tdock/testkit';

const which = process.argv[2] ?? 'debian';
const runs = Number(process.argv[3] ?? 3);
const fx = await fixtures();
const registry = await startRegistry();
const client = new RegistryClient();
try {
  for (let i = 0; i < runs; i++) {
    const tmp = await mkdtemp('/var/tmp/tdock-probe-');
    try {
      const store = await ImageStore.open({ dataRoot: join(tmp, 'root'), fsOps: sysFsOps() });
      const prof = process.env.PROF ? new Session() : undefined;
      if (prof) {
        prof.connect();
        await prof.post('Profiler.enable');
        await prof.post('Profiler.start');
      }
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const marks = new Map();
      const img = await client.getImage(fx[which].refIn(registry.host));
      await store.pull(img, { onProgress: (e) => { if (!marks.has(e.status)) marks.set(e.status, performance.now() - t0); } });
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      if (prof) writeFileSync(process.env.PROF, JSON.stringify((await prof.post('Profiler.stop')).profile));
      console.log(`${which} run ${i}: ${ms.toFixed(0)} ms wall, cpu user ${(cpu.user / 1000).toFixed(0)} ms, sys ${(cpu.system / 1000).toFixed(0)} ms`);
      console.log(`  first: ${[...marks].map(([s, t]) => `${s} ${t.toFixed(0)}`).join(', ')}`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
} finally {
  await client.close();
  await registry.stop();
}
