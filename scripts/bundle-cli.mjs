// Bundles the compiled tdock CLI (packages/cli/dist/src) into packages/cli/dist/src/bundle/ with
// esbuild: one file for the start path, one chunk per lazily loaded command, so a command parses
// only what it uses; ssh2 and the gRPC modules dockerode loads are replaced by a stand-in
// (packages/cli/src/bundle-stub.cts). The output sits at the same depth as dist/src/compose/, so
// paths relative to import.meta.url (the compose schema in packages/cli/assets) still resolve.
// bin/tdock.js loads the bundle when it exists. Measured: `tdock ps` 0.33 s bundled against
// 0.7 s to 1.3 s unbundled on this (loaded) machine.
// One patch to docker-modem: it formats every request's options with util.inspect (all depths,
// hidden properties) for a debug line even when that debug output is off, 2 to 4 ms per CLI run; the
// bundle formats them only when DEBUG enables the `modem` namespace.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/cli');
const outdir = path.join(cli, 'dist/src/bundle');
const stub = path.join(cli, 'dist/src/bundle-stub.cjs');
fs.rmSync(outdir, { recursive: true, force: true });
const INSPECT_CALL = "debug('Sending: %s', util.inspect(options, {";
/** @type {import('esbuild').Plugin} */
const modemDebugPatch = {
  name: 'docker-modem-debug',
  setup(b) {
    b.onLoad({ filter: /docker-modem[\\/]lib[\\/]modem\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      if (!source.includes(INSPECT_CALL)) return { contents: source, loader: 'js', warnings: [{ text: 'docker-modem changed: the debug patch no longer applies' }] };
      return { contents: source.replace(INSPECT_CALL, `debug.enabled && ${INSPECT_CALL}`), loader: 'js' };
    });
  },
};
await build({
  entryPoints: [path.join(cli, 'dist/src/main.js')],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  outExtension: { '.js': '.mjs' },
  alias: { ssh2: stub, '@grpc/grpc-js': stub, '@grpc/proto-loader': stub, protobufjs: stub },
  banner: { js: "import { createRequire as __tdockCreateRequire } from 'node:module'; const require = __tdockCreateRequire(import.meta.url);" },
  plugins: [modemDebugPatch],
  logLevel: 'warning',
});

// V8's code cache for the compose-spec validator (packages/cli/src/compose/schema.ts): this process
// runs without V8 flags, as the CLI does, so the CLI can use it. The sample reaches the schema's
// service, network, volume, config and secret definitions, whose validators compile on first use.
const { writeComposeValidatorCache } = await import(new URL('../packages/cli/dist/src/compose/schema.js', import.meta.url).href);
const service = {
  image: 'busybox', build: { context: '.', dockerfile: 'Dockerfile', args: { A: '1' }, target: 't', labels: ['a=b'] },
  command: ['sh', '-c', 'true'], entrypoint: 'sh', environment: { A: '1', B: null }, env_file: ['.env'],
  ports: ['80', { target: 80, published: '8080', protocol: 'tcp' }], expose: ['90'],
  volumes: ['data:/data', { type: 'bind', source: '.', target: '/src', read_only: true }, { type: 'tmpfs', target: '/t', tmpfs: { size: 1024 } }],
  networks: { front: { aliases: ['a'], ipv4_address: '10.0.0.2' } }, depends_on: { db: { condition: 'service_healthy', restart: true } },
  healthcheck: { test: ['CMD', 'true'], interval: '1s', timeout: '1s', retries: 3, start_period: '1s' },
  restart: 'always', labels: { a: 'b' }, working_dir: '/', user: '0:0', hostname: 'h', container_name: 'c', init: true,
  read_only: true, tmpfs: ['/run'], cap_add: ['NET_ADMIN'], cap_drop: ['ALL'], privileged: false, ulimits: { nofile: { soft: 1, hard: 2 }, nproc: 3 },
  mem_limit: '1g', cpus: 0.5, pids_limit: 10, stop_signal: 'SIGINT', stop_grace_period: '1s', extra_hosts: ['a:1.2.3.4'], dns: ['1.1.1.1'],
  sysctls: { 'net.core.somaxconn': 1024 }, stdin_open: true, tty: true, logging: { driver: 'json-file', options: { 'max-size': '1m' } },
  profiles: ['p'], scale: 1, deploy: { replicas: 1, resources: { limits: { cpus: '0.5', memory: '1g', pids: 5 }, reservations: { memory: '1m' } } },
};
const samples = [
  {
    name: 'p', services: { web: service, db: { image: 'x', network_mode: 'none', depends_on: ['web'], environment: ['A=1'] } },
    networks: { front: { driver: 'bridge', internal: true, enable_ipv6: false, ipam: { config: [{ subnet: '10.0.0.0/24' }] }, labels: ['a=b'] }, ext: { external: true, name: 'n' } },
    volumes: { data: { driver: 'local', driver_opts: { type: 'tmpfs' }, labels: { a: 'b' } }, ext: { external: true } },
    configs: { c: { file: './c' } }, secrets: { s: { file: './s' } },
  },
  { services: { bad: { image: 1, ports: [{ target: 'x' }], unknown: true } } },
];
const bytes = writeComposeValidatorCache(samples);
console.log(`bundle-cli: compose validator code cache ${bytes} bytes`);
