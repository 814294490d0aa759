import assert from 'node:assert/strict';
import type { ContainerConfig } from '@tdock/core';
import {
  CACHE_KEY_VERSION, type StepPlan, sourceDigest, beginStage, buildStageGraph, canonicalJson, dispatchInstruction, explainCacheMiss, fromCacheKey,
  metaArgsScope, parseDockerfileStages, sha256Hash, stepCacheKey,
} from '../src/index.js';

describe('builder/stage-graph', () => {
  const df = parseDockerfileStages([
    'ARG BASE=alpine:3.19', 'ARG SRC=deps',
    'FROM $BASE AS deps', 'RUN echo deps',
    'FROM deps AS build', 'COPY --from=0 /x /x', 'RUN --mount=type=bind,from=tools,target=/t make',
    'FROM golang AS tools',
    'FROM scratch AS lint', 'COPY --from=${SRC} /a /a',
    'FROM alpine:3.19', 'COPY --from=build /out /out', 'COPY --from=nginx:latest /etc/nginx /etc/nginx', 'COPY --from=1 /y /y',
  ].join('\n'));

  it('finds stage and image dependencies, prunes unused stages, and groups independent stages', () => {
    const g = buildStageGraph(df);
    assert.deepEqual(g.nodes.map((n) => n.base), [
      { kind: 'image', ref: 'alpine:3.19', platform: '' }, { kind: 'stage', index: 0 }, { kind: 'image', ref: 'golang', platform: '' },
      { kind: 'scratch' }, { kind: 'image', ref: 'alpine:3.19', platform: '' },
    ]);
    assert.deepEqual(g.nodes.map((n) => n.stageDeps), [[], [0], [], [0], [1]]);
    assert.deepEqual(g.nodes[1].imageDeps, ['tools']);
    assert.deepEqual(g.nodes[4].imageDeps, ['nginx:latest']);
    assert.equal(g.target, 4);
    assert.deepEqual(g.needed, [0, 1, 4]);
    assert.deepEqual(g.levels, [[0], [1], [4]]);
  });

  it('selects a --target and expands --from with meta args', () => {
    const g = buildStageGraph(df, { target: 'LINT' });
    assert.deepEqual(g.needed, [0, 3]);
    assert.deepEqual(buildStageGraph(df, { target: 'lint', buildArgs: { SRC: 'tools' } }).needed, [2, 3]);
    assert.throws(() => buildStageGraph(df, { target: 'nope' }), /target stage "nope" could not be found/);
  });

  it('puts independent stages on one level', () => {
    const g = buildStageGraph(parseDockerfileStages('FROM a AS x\nFROM b AS y\nFROM c AS z\nCOPY --from=x / /\nFROM d\nCOPY --from=y / /\nCOPY --from=z / /\n'));
    assert.deepEqual(g.levels, [[0, 1], [2], [3]]);
  });

  it('rejects self, forward and duplicate references', () => {
    assert.throws(() => buildStageGraph(parseDockerfileStages('FROM a\nCOPY --from=0 / /\n')), /refers to current build stage/);
    assert.throws(() => buildStageGraph(parseDockerfileStages('FROM a\nCOPY --from=3 / /\n')), /index out of bounds/);
    assert.throws(() => buildStageGraph(parseDockerfileStages('FROM a AS x\nFROM b AS X\n')), /x stage name already used/);
  });
});

describe('builder/cache-key', () => {
  function plans(text: string, buildArgs: Record<string, string> = {}): { plan: StepPlan; config: ContainerConfig }[] {
    const d = parseDockerfileStages(text);
    const { state } = beginStage({ Env: ['PATH=/bin'] }, metaArgsScope(d, buildArgs).clone().resetAllowed(), '\\');
    return d.stages[0].instructions.map((i) => ({ plan: dispatchInstruction(state, i), config: structuredClone(state.config) }));
  }
  const key = (text: string, args: Record<string, string> = {}, parent = 'sha256:p', extra = {}): string => {
    const all = plans(text, args);
    const last = all[all.length - 1];
    return stepCacheKey(sha256Hash, parent, last.plan, last.config, 'x', extra).key;
  };

  it('is deterministic, versioned and depends on the parent', () => {
    const a = key('FROM x\nRUN echo hi\n');
    assert.equal(a, key('FROM x\nRUN echo hi\n'));
    assert.match(a, /^sha256:[0-9a-f]{64}$/);
    assert.notEqual(a, key('FROM x\nRUN echo hi\n', {}, 'sha256:q'));
    assert.notEqual(a, key('FROM x\nRUN echo ho\n'));
    const p = plans('FROM x\nRUN echo hi\n')[0];
    assert.equal(stepCacheKey(sha256Hash, 'sha256:p', p.plan, p.config, 'x').parts.version, CACHE_KEY_VERSION);
  });

  it('changes with build args in scope but not with proxy values', () => {
    const df = 'FROM x\nARG V=1\nRUN make\n';
    assert.notEqual(key(df), key(df, { V: '2' }));
    // docker's quirk, kept: a proxy arg adds "|0" to the recorded cmd, but its value never reaches the key
    assert.equal(key('FROM x\nRUN make\n', { HTTP_PROXY: 'http://a' }), key('FROM x\nRUN make\n', { HTTP_PROXY: 'http://b' }));
    assert.equal(key('FROM x\nRUN make\n'), key('FROM x\nRUN make\n', { UNUSED: '1' }));
  });

  it('changes with COPY content and --from key, and with the base digest', () => {
    const df = 'FROM x\nCOPY a /a\n';
    assert.notEqual(key(df, {}, 'sha256:p', { contentDigest: 'sha256:1' }), key(df, {}, 'sha256:p', { contentDigest: 'sha256:2' }));
    assert.notEqual(key(df, {}, 'sha256:p', { fromKey: 'k1' }), key(df, {}, 'sha256:p', { fromKey: 'k2' }));
    const f1 = fromCacheKey(sha256Hash, { ref: 'alpine', digest: 'sha256:a', platform: '' });
    assert.notEqual(f1.key, fromCacheKey(sha256Hash, { ref: 'alpine', digest: 'sha256:b', platform: '' }).key);
    assert.equal(f1.key, fromCacheKey(sha256Hash, { ref: 'other-name', digest: 'sha256:a', platform: '' }).key);
  });

  it('serialises canonically', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: undefined, c: 'x' }] }), '{"a":[{"c":"x"}],"b":1}');
  });

  it('explains misses', () => {
    const mk = (text: string, parent: string, label: string, extra = {}) => {
      const all = plans(text);
      const last = all[all.length - 1];
      return stepCacheKey(sha256Hash, parent, last.plan, last.config, label, extra).parts;
    };
    const old = mk('FROM x\nRUN echo a\n', 'P', 'RUN echo a');
    assert.match(explainCacheMiss(mk('FROM x\nRUN echo b\n', 'P', 'RUN echo b'), [old]), /^RUN echo b: cache miss: instruction changed \(cmd: \["\/bin\/sh","-c","echo a"\] -> \["\/bin\/sh","-c","echo b"\]\)$/);
    assert.match(explainCacheMiss(mk('FROM x\nRUN echo a\n', 'Q', 'RUN echo a'), [old]), /a previous step changed/);
    const c1 = mk('FROM x\nCOPY a /a\n', 'P', 'COPY a /a', { contentDigest: 'sha256:1' });
    const c2 = mk('FROM x\nCOPY a /a\n', 'P', 'COPY a /a', { contentDigest: 'sha256:2' });
    assert.equal(explainCacheMiss(c2, [c1]), 'COPY a /a: cache miss: files changed (sha256:1 -> sha256:2)');
    const f1 = fromCacheKey(sha256Hash, { ref: 'alpine', digest: 'sha256:a', platform: '' }).parts;
    const f2 = fromCacheKey(sha256Hash, { ref: 'alpine', digest: 'sha256:b', platform: '' }).parts;
    assert.equal(explainCacheMiss(f2, [f1]), 'FROM alpine: cache miss: base image changed (sha256:a -> sha256:b)');
    assert.equal(explainCacheMiss(f2, []), 'FROM alpine: cache miss: base image not built before');
  });
});

describe('builder/cache-key: source digests', () => {
  const base = [
    { path: 'b.txt', type: 'file' as const, mode: 0o644, uid: 0, gid: 0, digest: 'sha256:b' },
    { path: 'a', type: 'dir' as const, mode: 0o755, uid: 0, gid: 0 },
    { path: 'a/link', type: 'symlink' as const, mode: 0o777, uid: 0, gid: 0, target: '../b.txt' },
  ];
  it('ignores order but not content, mode, owner or link target', () => {
    const d = sourceDigest(sha256Hash, base);
    assert.equal(d, sourceDigest(sha256Hash, [...base].reverse()));
    assert.notEqual(d, sourceDigest(sha256Hash, [{ ...base[0], digest: 'sha256:c' }, base[1], base[2]]));
    assert.notEqual(d, sourceDigest(sha256Hash, [{ ...base[0], mode: 0o755 }, base[1], base[2]]));
    assert.notEqual(d, sourceDigest(sha256Hash, [{ ...base[0], uid: 1000 }, base[1], base[2]]));
    assert.notEqual(d, sourceDigest(sha256Hash, [base[0], base[1], { ...base[2], target: 'x' }]));
  });
});
