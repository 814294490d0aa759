// Keeps DESIGN §2's package arrows true at the package.json level; eslint's no-restricted-imports
// keeps them true at the import level. Both read ARROWS from eslint.config.js.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARROWS } from '../eslint.config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function workspaceDeps(section) {
  return Object.keys(section ?? {}).filter((d) => d.startsWith('@tdock/')).map((d) => d.slice('@tdock/'.length));
}

describe('package arrows (DESIGN §2)', () => {
  for (const [pkg, allowed] of Object.entries(ARROWS)) {
    it(`${pkg} depends only on ${allowed.length ? allowed.join(', ') : 'no workspace package'}`, () => {
      const json = JSON.parse(fs.readFileSync(path.join(root, 'packages', pkg, 'package.json'), 'utf8'));
      const runtimeDeps = [...workspaceDeps(json.dependencies), ...workspaceDeps(json.peerDependencies), ...workspaceDeps(json.optionalDependencies)];
      for (const dep of runtimeDeps) assert.ok(allowed.includes(dep), `${pkg} may not depend on @tdock/${dep}`);
      for (const dep of workspaceDeps(json.devDependencies)) assert.equal(dep, 'testkit', `${pkg}: only @tdock/testkit may be a dev dependency`);
    });
  }

  it('the testkit is private and depends on no workspace package', () => {
    const json = JSON.parse(fs.readFileSync(path.join(root, 'packages', 'testkit', 'package.json'), 'utf8'));
    assert.equal(json.private, true);
    assert.deepEqual(workspaceDeps(json.dependencies), []);
  });

  it('every package has an exports map and src/index.ts', () => {
    for (const pkg of [...Object.keys(ARROWS), 'testkit']) {
      const json = JSON.parse(fs.readFileSync(path.join(root, 'packages', pkg, 'package.json'), 'utf8'));
      assert.ok(json.exports?.['.'], `${pkg} has no exports map`);
      assert.ok(fs.existsSync(path.join(root, 'packages', pkg, 'src', 'index.ts')), `${pkg} has no src/index.ts`);
    }
  });
});
