// Regenerates goldens.json by running the real docker CLI against a fake Engine API on a unix socket
// that serves api.json (Created times shifted so relative ages match `nowMs`). Not run by the tests.
// Usage: node packages/cli/test/format-fixtures/generate.mjs [path/to/docker]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const api = JSON.parse(readFileSync(join(here, 'api.json'), 'utf8'));
const cases = JSON.parse(readFileSync(join(here, 'cases.json'), 'utf8'));
const docker = process.argv[2] ?? 'docker';
const dir = mkdtempSync(join(tmpdir(), 'tdock-fmt-'));
const sock = join(dir, 'd.sock');
const shift = Math.floor(Date.now() / 1000) - api.nowMs / 1000;
const shifted = (list) => list.map((x) => ({ ...x, Created: x.Created + shift }));

const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname.replace(/^\/v[0-9.]+/, '');
  const headers = { 'Content-Type': 'application/json', 'Api-Version': '1.49', 'Docker-Experimental': 'false', 'Ostype': 'linux' };
  const send = (body) => {
    res.writeHead(200, headers);
    res.end(JSON.stringify(body));
  };
  if (path === '/_ping') {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/plain' });
    return res.end(req.method === 'HEAD' ? undefined : 'OK');
  }
  if (path === '/containers/json') return send(shifted(api.containers));
  const stats = /^\/containers\/([^/]+)\/stats$/.exec(path);
  if (stats) {
    const id = Object.keys(api.stats).find((k) => k.startsWith(stats[1]) || api.stats[k].name === `/${stats[1]}`);
    if (id) return send(api.stats[id]);
  }
  if (path === '/images/json') return send(shifted(api.images));
  if (path === '/volumes') return send(api.volumes);
  if (path === '/networks') return send(api.networks);
  res.writeHead(404, headers);
  res.end(JSON.stringify({ message: `no route ${path}` }));
});

await new Promise((r) => server.listen(sock, r));
const out = [];
try {
  for (const c of cases) {
    const args = ['-H', `unix://${sock}`, ...c.cmd.split(' ')];
    if (c.format !== undefined) args.push('--format', c.format);
    if (c.quiet) args.push('-q');
    if (c.noTrunc) args.push('--no-trunc');
    if (c.digests) args.push('--digests');
    if (c.size) args.push('--size');
    if (c.args) args.push(...c.args);
    const stdout = await new Promise((resolve, reject) => {
      import('node:child_process').then(({ execFile }) =>
        execFile(docker, args, { env: { PATH: process.env.PATH, HOME: dir, TZ: 'UTC' } }, (err, so, se) => (err ? reject(new Error(se)) : resolve(so))),
      );
    });
    out.push({ ...c, stdout });
  }
} finally {
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
const version = execFileSync(docker, ['--version']).toString().trim();
writeFileSync(join(here, 'goldens.json'), `${JSON.stringify({ generatedBy: version, shiftSeconds: shift, cases: out }, null, 1)}\n`);
console.log(`wrote ${out.length} cases (${version})`);
