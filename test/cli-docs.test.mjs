// docs/cli.md lists the flags the CLI supports; it is generated from --help and must stay current.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { render } from '../scripts/gen-cli-docs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('docs/cli.md', () => {
  it('matches the CLI (regenerate with `node scripts/gen-cli-docs.mjs`)', async () => {
    assert.equal(fs.readFileSync(path.join(root, 'docs/cli.md'), 'utf8'), await render());
  });

  it('documents every command with its flags, none with a daemon error', async () => {
    const text = await render();
    assert.doesNotMatch(text, /Cannot connect to the tdock daemon/);
    for (const flag of ['--network-rate', '--publish', '--no-trunc', '--detach-keys']) assert.match(text, new RegExp(flag));
  });
});

describe('tdock completion', () => {
  it('prints bash and zsh scripts that bash accepts and that complete commands', () => {
    const cli = path.join(root, 'packages/cli/bin/tdock.js');
    for (const shell of ['bash', 'zsh']) {
      const script = execFileSync('node', [cli, 'completion', shell], { encoding: 'utf8' });
      assert.match(script, /complete -F _tdock tdock/);
    }
    const bash = execFileSync('node', [cli, 'completion', 'bash'], { encoding: 'utf8' });
    const out = execFileSync('bash', ['-c', `${bash}\nCOMP_WORDS=(tdock netw); COMP_CWORD=1; _tdock; echo "\${COMPREPLY[@]}"; COMP_WORDS=(tdock network dis); COMP_CWORD=2; _tdock; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    assert.equal(out, 'network\ndisconnect\n');
  });
});
