import assert from 'node:assert/strict';
import { resolveChown } from '../src/index.js';

const passwd = 'root:x:0:0:root:/root:/bin/sh\n\napp:x:1000:1001::/home/app:/bin/sh\nweird:x:notanumber:5::/:/bin/false\n';
const group = 'root:x:0:\napp:x:1002:\nstaff:x:50:app\n';

describe('builder/chown: legacy --chown resolution', () => {
  const cases: Array<[string, { uid: number; gid: number } | RegExp, { passwd?: string; group?: string }?]> = [
    ['1000', { uid: 1000, gid: 1000 }],
    ['1000:50', { uid: 1000, gid: 50 }],
    ['app', { uid: 1000, gid: 1002 }],
    ['app:staff', { uid: 1000, gid: 50 }],
    ['0:staff', { uid: 0, gid: 50 }],
    ['weird:0', { uid: 0, gid: 0 }],
    ['nobody', /^can't find uid for user nobody: no such user: nobody$/],
    ['app:nogroup', /^can't find gid for group nogroup: no such group: nogroup$/],
    ['a:b:c', /^invalid chown string format: a:b:c$/],
    ['app', /^can't find uid for user app: open \/etc\/passwd: no such file or directory$/, { group }],
    ['7:7', { uid: 7, gid: 7 }, {}],
  ];
  for (const [chown, want, files] of cases) {
    it(`${chown} -> ${want instanceof RegExp ? want.source : JSON.stringify(want)}`, () => {
      const f = files ?? { passwd, group };
      if (want instanceof RegExp) assert.throws(() => resolveChown(chown, f), (e: Error) => want.test(e.message));
      else assert.deepEqual(resolveChown(chown, f), want);
    });
  }
});
