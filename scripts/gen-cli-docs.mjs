// Writes docs/cli.md from the CLI's own --help output, so the page lists exactly the flags supported.
// test/cli-docs.test.mjs fails when the page is out of date: run `node scripts/gen-cli-docs.mjs`.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { main } = await import(path.join(root, 'packages/cli/dist/src/main.js'));
const { COMMANDS } = await import(path.join(root, 'packages/cli/dist/src/commands/index.js'));

async function help(argv) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  await main(argv, { env: {}, stdout: out, stderr: out });
  return text.trimEnd();
}

const GROUPS = { volume: ['create', 'ls', 'rm', 'inspect', 'prune'], network: ['create', 'ls', 'rm', 'inspect', 'connect', 'disconnect', 'prune'], system: ['df', 'prune'], compose: ['up', 'down', 'ps', 'logs', 'config', 'build', 'pull', 'push', 'exec', 'run', 'start', 'stop', 'restart', 'rm', 'kill', 'top', 'images', 'port', 'ls'] };

export async function render() {
  const parts = ['# tdock CLI reference', '', 'Generated from `tdock <command> --help` by `scripts/gen-cli-docs.mjs`; do not edit by hand.', '', '```', await help(['--help']), '```', ''];
  for (const name of Object.keys(COMMANDS).sort()) {
    const subs = GROUPS[name];
    for (const argv of subs ? subs.map((s) => [name, s, '--help']) : [[name, '--help']]) {
      parts.push(`## tdock ${argv.slice(0, -1).join(' ')}`, '', '```', await help(argv), '```', '');
    }
  }
  return parts.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(path.join(root, 'docs/cli.md'), await render());
  console.log('wrote docs/cli.md');
}
