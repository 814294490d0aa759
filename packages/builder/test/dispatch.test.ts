import assert from 'node:assert/strict';
import type { ContainerConfig } from '@tdock/core';
import {
  type BuildArgOptions, type StepPlan, DEFAULT_PATH_ENV, beginStage, copyComment, createdBy, dispatchInstruction, expandFrom,
  metaArgsScope, nopCmdString, parseDockerfileStages,
} from '../src/index.js';

function walk(text: string, buildArgs: BuildArgOptions = {}, base?: ContainerConfig) {
  const df = parseDockerfileStages(text);
  const meta = metaArgsScope(df, buildArgs);
  const args = meta.clone().resetAllowed();
  const { state, triggers } = beginStage(base, args, df.escapeToken);
  const plans: StepPlan[] = df.stages[0].instructions.map((i) => dispatchInstruction(state, i));
  meta.mergeReferenced(args);
  const by = plans.map((p) => (p.kind === 'copy' ? '' : p.createdBy));
  return { df, state, plans, meta, by, triggers };
}

describe('builder/dispatch: history as the legacy builder writes it', () => {
  const cases: Array<[string, string]> = [
    ['CMD ["sh"]', '/bin/sh -c #(nop)  CMD ["sh"]'],
    ['CMD echo "hi"', '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "echo \\"hi\\""]'],
    ['ENTRYPOINT ["/entry.sh"]', '/bin/sh -c #(nop)  ENTRYPOINT ["/entry.sh"]'],
    ['ENV A=1 B="x y"', '/bin/sh -c #(nop)  ENV A=1 B=x y'],
    ['ENV A 1 2', '/bin/sh -c #(nop)  ENV A=1 2'],
    ['LABEL maintainer="me" version=1', '/bin/sh -c #(nop)  LABEL maintainer=me version=1'],
    ['WORKDIR /app', '/bin/sh -c #(nop) WORKDIR /app'],
    ['EXPOSE 80 8080/udp', '/bin/sh -c #(nop)  EXPOSE 80 8080/udp'],
    ['USER nobody', '/bin/sh -c #(nop)  USER nobody'],
    ['VOLUME ["/data", "/logs"]', '/bin/sh -c #(nop)  VOLUME [/data /logs]'],
    ['STOPSIGNAL SIGTERM', '/bin/sh -c #(nop)  STOPSIGNAL SIGTERM'],
    ['ARG A B=2', '/bin/sh -c #(nop)  ARG A B=2'],
    ['SHELL ["/bin/bash", "-o", "pipefail", "-c"]', '/bin/bash -o pipefail -c #(nop)  SHELL [/bin/bash -o pipefail -c]'],
    ['ONBUILD RUN echo hi', '/bin/sh -c #(nop)  ONBUILD RUN echo hi'],
    ['MAINTAINER Jane', '/bin/sh -c #(nop)  MAINTAINER Jane'],
    ['HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1',
      '/bin/sh -c #(nop)  HEALTHCHECK &{Test:[CMD-SHELL curl -f http://localhost/ || exit 1] Interval:5m0s Timeout:3s StartPeriod:0s StartInterval:0s Retries:0}'],
    ['RUN echo hi', '/bin/sh -c echo hi'],
    ['RUN ["echo", "hi"]', 'echo hi'],
  ];
  for (const [line, want] of cases) {
    it(line, () => assert.equal(walk(`FROM busybox\n${line}\n`).by[0], want));
  }

  it('records build args before RUN as |N K=v, sorted', () => {
    const r = walk('FROM x\nARG B=2\nARG A=b\nRUN echo hi\n');
    assert.equal(r.by[2], '|2 A=b B=2 /bin/sh -c echo hi');
    const run = r.plans[2];
    assert.ok(run.kind === 'run');
    assert.deepEqual(run.env, [DEFAULT_PATH_ENV, 'A=b', 'B=2']);
  });

  it('uses the SHELL for later metadata steps and RUN', () => {
    const r = walk('FROM x\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nENV A=1\nRUN echo\n');
    assert.deepEqual(r.by.slice(1), ['/bin/ash -eo pipefail -c #(nop)  ENV A=1', '/bin/ash -eo pipefail -c echo']);
  });

  it('writes COPY/ADD comments with the source hash and a trailing space', () => {
    assert.equal(createdBy(nopCmdString(['/bin/sh', '-c'], copyComment('COPY', '', 'file:abc', '/dst'))), '/bin/sh -c #(nop) COPY file:abc in /dst ');
    assert.equal(copyComment('ADD', '1:1', 'multi:def', '/x/'), 'ADD --chown=1:1 multi:def in /x/ ');
  });
});

describe('builder/dispatch: ARG and ENV scoping', () => {
  it('expands FROM with meta args and --build-arg overrides', () => {
    const df = parseDockerfileStages('ARG TAG=3.18\nARG REPO=library\nFROM ${REPO}/alpine:${TAG}\n');
    assert.equal(expandFrom(df.stages[0].baseName, '', metaArgsScope(df, {}), '\\').baseName, 'library/alpine:3.18');
    assert.equal(expandFrom(df.stages[0].baseName, '', metaArgsScope(df, { TAG: '3.19' }), '\\').baseName, 'library/alpine:3.19');
    assert.throws(() => expandFrom('$NOPE', '', metaArgsScope(df, {}), '\\'), /base name \(\$NOPE\) should not be blank/);
  });

  it('hides meta args from a stage until re-declared, which takes the meta value', () => {
    assert.equal(walk('ARG V=1\nFROM x\nRUN echo $V\n').by[0], '/bin/sh -c echo $V');
    const r = walk('ARG V=1\nFROM x\nARG V\nRUN echo $V\n');
    assert.equal(r.by[1], '|1 V=1 /bin/sh -c echo $V');
    assert.equal(walk('ARG V=1\nFROM x\nARG V\nRUN echo $V\n', { V: 'cli' }).by[1], '|1 V=cli /bin/sh -c echo $V');
    assert.equal(walk('FROM x\nARG V=def\nRUN a\n', { V: 'cli' }).by[1], '|1 V=cli /bin/sh -c a');
    assert.equal(walk('FROM x\nARG V\nRUN a\n').by[1], '/bin/sh -c a');
  });

  it('lets ENV shadow an ARG of the same name', () => {
    const r = walk('FROM x\nARG A=1\nENV A=2\nRUN echo\nENV B=$A\n');
    assert.equal(r.by[2], '/bin/sh -c echo');
    assert.ok(r.state.config.Env?.includes('B=2'));
  });

  it('passes proxy args to RUN without recording them unless declared', () => {
    const r = walk('FROM x\nRUN wget y\n', { HTTP_PROXY: 'http://p:3128' });
    assert.equal(r.by[0], '|0 /bin/sh -c wget y');
    assert.ok(r.plans[0].kind === 'run' && r.plans[0].env.includes('HTTP_PROXY=http://p:3128'));
    assert.equal(walk('FROM x\nARG HTTP_PROXY\nRUN wget y\n', { HTTP_PROXY: 'http://p' }).by[1], '|1 HTTP_PROXY=http://p /bin/sh -c wget y');
    assert.equal(r.meta.unusedWarning(), undefined);
  });

  it('warns about build args nothing consumed, in docker words', () => {
    const r = walk('ARG USED\nFROM x\nARG ALSO\n', { USED: '1', ALSO: '2', ZED: '3', FOO: '4', https_proxy: 'p' });
    assert.equal(r.meta.unusedWarning(), '[Warning] One or more build-args [FOO ZED] were not consumed');
  });

  it('expands ENV (against the env before the instruction), LABEL, WORKDIR, USER, VOLUME, EXPOSE, STOPSIGNAL, ARG; not CMD or RUN', () => {
    const r = walk([
      'FROM x', 'ARG P=8080', 'ENV A=hello B="$A world" C=\'$A\'', 'WORKDIR /$A', 'WORKDIR sub', 'USER ${U:-app}', 'LABEL "k-$A"="v $B"',
      'VOLUME /v/$A', 'EXPOSE $P 53/udp', 'STOPSIGNAL ${S:-SIGINT}', 'ARG D=$A-$P', 'CMD echo $A', 'ENV D2=$D',
    ].join('\n'));
    const c = r.state.config;
    assert.deepEqual(c.Env, [DEFAULT_PATH_ENV, 'A=hello', 'B= world', 'C=$A', 'D2=hello-8080']);
    assert.equal(c.WorkingDir, '/hello/sub');
    assert.equal(c.User, 'app');
    assert.deepEqual(c.Labels, { 'k-hello': 'v  world' });
    assert.deepEqual(c.Volumes, { '/v/hello': {} });
    assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.equal(c.StopSignal, 'SIGINT');
    assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo $A']);
    assert.equal(r.by[7], '/bin/sh -c #(nop)  EXPOSE 8080 53/udp');
  });

  it('honours the backtick escape directive in expansion', () => {
    const r = walk('# escape=`\nFROM x\nENV P=C:\\dir A=`$B\n');
    assert.ok(r.state.config.Env?.includes('P=C:\\dir'));
    assert.ok(r.state.config.Env?.includes('A=$B'));
  });

  it('expands RUN mounts with args in scope', () => {
    const r = walk('FROM x\nARG C=/cache\nRUN --mount=type=cache,target=$C,id=pip --mount=type=bind,from=ctx,source=/s,target=/t make\n');
    const run = r.plans[1];
    assert.ok(run.kind === 'run');
    assert.deepEqual(run.mounts.map((m) => [m.type, m.target, m.cacheId, m.readOnly, m.from]), [['cache', '/cache', 'pip', false, ''], ['bind', '/t', '', true, 'ctx']]);
  });
});

describe('builder/dispatch: config rules', () => {
  const base: ContainerConfig = { Env: ['PATH=/bin', 'X=1'], Cmd: ['sh'], OnBuild: ['RUN echo trig'], OpenStdin: true };

  it('keeps the base PATH, clears stdin flags, and returns ONBUILD triggers', () => {
    const r = walk('FROM x\n', {}, base);
    assert.deepEqual(r.state.config.Env, ['PATH=/bin', 'X=1']);
    assert.equal(r.state.config.OpenStdin, undefined);
    assert.equal(r.state.config.OnBuild, null);
    assert.deepEqual(r.triggers, ['RUN echo trig']);
    assert.deepEqual(base.OnBuild, ['RUN echo trig']);
  });

  it('ENTRYPOINT resets an inherited CMD but not one set in the stage', () => {
    assert.equal(walk('FROM x\nENTRYPOINT ["e"]\n', {}, base).state.config.Cmd, null);
    assert.deepEqual(walk('FROM x\nCMD ["c"]\nENTRYPOINT ["e"]\n', {}, base).state.config.Cmd, ['c']);
  });

  it('records health checks with non-zero fields only, and validates signals', () => {
    const r = walk('FROM x\nHEALTHCHECK --interval=30s CMD ["true"]\n');
    assert.deepEqual(r.state.config.Healthcheck, { Test: ['CMD', 'true'], Interval: 30e9 });
    assert.throws(() => walk('FROM x\nSTOPSIGNAL SIGFOO\n'), /Invalid signal: SIGFOO/);
    assert.doesNotThrow(() => walk('FROM x\nSTOPSIGNAL 9\nSTOPSIGNAL rtmin+3\n'));
  });

  it('turns heredoc RUNs into a shell script or an executable file', () => {
    const r = walk('FROM x\nRUN <<EOF\necho a\necho b\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nRUN python3 <<EOF\nprint(2)\nEOF\n');
    const [a, b, c] = r.plans;
    assert.ok(a.kind === 'run' && b.kind === 'run' && c.kind === 'run');
    assert.deepEqual(a.argv, ['/bin/sh', '-c', 'echo a\necho b\n']);
    assert.deepEqual(b.argv, ['/bin/sh', '-c', '/dev/pipes/EOF']);
    assert.deepEqual(b.files, [{ path: '/dev/pipes/EOF', data: '#!/usr/bin/env python3\nprint(1)\n', mode: 0o755 }]);
    assert.deepEqual(c.argv, ['/bin/sh', '-c', 'python3 <<EOF\nprint(2)\nEOF']);
    const d = walk("FROM x\nRUN <<'EOF' | python\nprint(\"hello\")\nEOF\nRUN <<-EOF\n\techo test\n\tEOF\n").plans;
    assert.ok(d[0].kind === 'run' && d[1].kind === 'run');
    assert.deepEqual(d[0].argv, ['/bin/sh', '-c', "<<'EOF' | python\nprint(\"hello\")\nEOF"]);
    assert.deepEqual(d[1].argv, ['/bin/sh', '-c', 'echo test\n']);
  });

  it('plans COPY with expanded sources, heredoc contents and ownership rules', () => {
    const r = walk('FROM x\nENV D=/app N=me\nCOPY --from=build --chown=$N src/$N* $D/\nCOPY <<EOF <<\'RAW\' /etc/\nhi $N\nEOF\nraw $N\nRAW\n');
    const [, cp, hd] = r.plans;
    assert.ok(cp.kind === 'copy' && hd.kind === 'copy');
    assert.deepEqual([cp.from, cp.chown, cp.sources, cp.dest, cp.preserveOwnership], ['build', 'me', ['src/me*'], '/app/', false]);
    assert.deepEqual(hd.contents, [{ path: 'EOF', data: 'hi me\n', expand: true }, { path: 'RAW', data: 'raw $N\n', expand: false }]);
  });
});
