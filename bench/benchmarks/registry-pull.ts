/**
 * registry-pull: pull of the kit's `multilayer` image through @tdock/registry-client alone
 * (manifest, config and every layer downloaded and sha256-verified, nothing unpacked or stored)
 * against curl fetching the same manifest, config and layers with the same parallelism (3) in
 * one process. The ratio is what the client costs over the wire plus hashing. Goal: 1.2×.
 * curl is started by a helper process, not by the bench process: a fork of the bench process
 * (execFile) write-protects its heap, and the in-process subject then paid for it on its next run
 * (measured: layers 110–170 ms after an execFile of curl, 50–65 ms when a helper spawns it).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { RegistryClient } from '@tdock/registry-client';
import { fixtures, startRegistry } from '@tdock/testkit';
import type { Benchmark } from '../src/harness.js';

const run = promisify(execFile);

/** A helper process that runs commands for the bench process, so the bench process never forks. */
function startSpawner(): { run(cmd: string, args: string[]): Promise<void>; stop(): void } {
  const code = "const {execFile}=require('node:child_process');process.on('message',(m)=>execFile(m.cmd,m.args,(e)=>process.send({id:m.id,error:e?String(e):undefined})))";
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  return {
    run(cmd, args) {
      const id = ++next;
      return new Promise((resolve, reject) => {
        const onMessage = (m: { id: number; error?: string }): void => {
          if (m.id !== id) return;
          child.off('message', onMessage);
          if (m.error) reject(new Error(m.error));
          else resolve();
        };
        child.on('message', onMessage);
        child.send({ id, cmd, args });
      });
    },
    stop() {
      child.kill();
    },
  };
}
const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, '
  + 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

export const registryPull: Benchmark = {
  name: 'registry-pull',
  description: 'pull multilayer (download + verify, no unpack): registry-client vs curl',
  goal: 1.2,
  // Short runs with a wide spread (the in-process subject's GC): more of them steady the median.
  runs: 15,
  warmup: 3,
  async skip() {
    try {
      await run('curl', ['--version']);
      return undefined;
    } catch {
      return 'curl not installed';
    }
  },
  async prepare() {
    const kit = await fixtures();
    const registry = await startRegistry();
    const fx = kit.multilayer;
    const base = `${registry.url}/v2/${fx.repository}`;
    const urls = [`${base}/manifests/${fx.tag}`, `${base}/blobs/${fx.configDigest}`, ...fx.layers.map((l) => `${base}/blobs/${l.digest}`)];
    const spawner = startSpawner();
    const curlArgs = ['-sSf', '--parallel', '--parallel-max', '3', '-H', `Accept: ${ACCEPT}`, ...urls.flatMap((u) => ['-o', '/dev/null', u])];
    return {
      subjectLabel: 'registry-client',
      referenceLabel: 'curl',
      async subject() {
        const client = new RegistryClient();
        try {
          const image = await client.getImage(fx.refIn(registry.host), { platform: fx.platform });
          await Promise.all(image.layers.map(async (layer) => {
            await pipeline(await layer.open(), new Writable({ write: (_c, _e, cb) => cb() }));
          }));
        } finally {
          await client.close();
        }
      },
      async reference() {
        await spawner.run('curl', curlArgs);
      },
      async extras() {
        return { layers: fx.layers.length, bytes: fx.layers.reduce((n, l) => n + l.size, 0) };
      },
      async teardown() {
        spawner.stop();
        await registry.stop();
      },
    };
  },
};
