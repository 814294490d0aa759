import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { main } from '../src/index.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { env: {}, stdout, stderr });
  return { code, out, err };
}

describe('cli/main', () => {
  it('prints the version as docker does', async () => {
    const r = await run(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^tdock version \d+\.\d+\.\d+, build /);
  });

  it('rejects an unknown command with exit code 125', async () => {
    const r = await run(['frobnicate']);
    assert.equal(r.code, 125);
    assert.match(r.err, /'frobnicate' is not a tdock command/);
  });
});

describe('cli/bin', () => {
  it('answers --version before loading the CLI, with core\'s version', async () => {
    const { execFileSync } = await import('node:child_process');
    const { TDOCK_VERSION } = await import('@tdock/core');
    const bin = new URL('../../bin/tdock.js', import.meta.url).pathname;
    assert.equal(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }), `tdock version ${TDOCK_VERSION}, build unknown\n`);
    assert.equal(execFileSync(process.execPath, [bin, '-v'], { encoding: 'utf8' }), `tdock version ${TDOCK_VERSION}, build unknown\n`);
  });
});
