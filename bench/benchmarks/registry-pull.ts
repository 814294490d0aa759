/**
 * registry-pull: pull of the kit's `multilayer` image through @tdock/registry-client alone
 * (manifest, config and every layer downloaded and sha256-verified, nothing unpacked or stored)
 * against curl fetching the same manifest, config and layers with the same parallelism (3) in
 * one process. The ratio is what the client costs over the wire plus hashing. Goal: 1.2×.
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { RegistryClient } from '@tdock/registry-client';
import { fixtures, startRegistry } from '@tdock/testkit';
import type { Benchmark } from '../src/harness.js';

const run = promisify(execFile);
const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, '
  + 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

export const registryPull: Benchmark = {
  name: 'registry-pull',
  description: 'pull multilayer (download + verify, no unpack): registry-client vs curl',
  goal: 1.2,
  runs: 7,
  warmup: 2,
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
        await run('curl', curlArgs);
      },
      async extras() {
        return { layers: fx.layers.length, bytes: fx.layers.reduce((n, l) => n + l.size, 0) };
      },
      async teardown() {
        await registry.stop();
      },
    };
  },
};
