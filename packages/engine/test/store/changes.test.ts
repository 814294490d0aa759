import assert from 'node:assert/strict';
import { applyChanges } from '../../src/store/changes.js';

describe('store: --change instructions', () => {
  it('applies CMD, ENV, WORKDIR, LABEL, EXPOSE, USER like docker import/commit --change', () => {
    const c = applyChanges({ Env: ['A=1'] }, ['CMD ["/bin/sh", "-c", "echo hi"]', 'ENV B=$A-2', 'WORKDIR /srv', 'LABEL k=v', 'EXPOSE 80/tcp', 'USER nobody']);
    assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(c.Env, ['A=1', 'B=1-2']);
    assert.equal(c.WorkingDir, '/srv');
    assert.deepEqual(c.Labels, { k: 'v' });
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}), ['80/tcp']);
    assert.equal(c.User, 'nobody');
  });

  it('refuses instructions that are not change commands', () => {
    assert.throws(() => applyChanges({}, ['RUN rm -rf /']), /RUN is not a valid change command/);
    assert.throws(() => applyChanges({}, ['FROM busybox']), /FROM is not a valid change command/);
  });
});
