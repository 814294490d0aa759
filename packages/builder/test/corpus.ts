import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { runBuild } from '../src/index.js';
import { FakeBackend } from './fake-backend.js';
import { FIXTURES } from './fixtures.js';

interface CorpusOptions {
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  baseOnBuild?: string[];
}

export const CORPUS_DIR = FIXTURES + 'corpus/';

export function corpusNames(): string[] {
  return readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.Dockerfile')).map((f) => f.slice(0, -'.Dockerfile'.length)).sort();
}

/** Builds one corpus Dockerfile against the fake backend and returns what the golden file records. */
export async function corpusResult(name: string): Promise<unknown> {
  const all = JSON.parse(readFileSync(CORPUS_DIR + 'options.json', 'utf8')) as Record<string, CorpusOptions>;
  const opts = all[name] ?? {};
  const b = new FakeBackend();
  b.addImage('golang:1.22', { config: { Env: ['PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GOLANG_VERSION=1.22.0', 'GOPATH=/go'], Cmd: ['bash'], WorkingDir: '/go' } });
  b.addImage('alpine:3.19', { config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] } });
  b.addImage('onbuild-base', { config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'], OnBuild: opts.baseOnBuild ?? [] } });
  const r = await runBuild({
    dockerfile: readFileSync(CORPUS_DIR + name + '.Dockerfile', 'utf8'), backend: b, buildArgs: opts.buildArgs, labels: opts.labels,
    target: opts.target, now: () => new Date('2024-01-01T00:00:00Z'),
  });
  const hist = (r.config.history ?? []).slice(1);
  return {
    needed: r.graph.needed,
    history: hist.map((h) => (h.empty_layer ? '(empty) ' : '') + (h.created_by ?? '').replace(/(file|dir|multi):[0-9a-f]{64}/g, '$1:<hash>')),
    layers: r.config.rootfs.diff_ids.length,
    author: r.config.author,
    config: r.config.config,
    runs: b.runs.map((x) => ({ argv: x.argv, user: x.user, cwd: x.cwd, env: x.env, ...(x.files.length ? { files: x.files } : {}) })),
    copies: b.copies.map((c) => ({
      cmd: c.cmdName, from: c.source.kind === 'rootfs' ? `stage ${c.source.stage}` : c.source.kind, sources: c.sources,
      contents: c.contents, dest: c.dest, chown: c.chown, chmod: c.chmod, checksum: c.checksum, preserveOwnership: c.preserveOwnership,
    })),
    warnings: r.warnings,
  };
}

/** Rewrites every golden file from the current code (run by hand: node dist/test/corpus.js update). */
export async function updateGoldens(): Promise<void> {
  for (const name of corpusNames()) {
    writeFileSync(CORPUS_DIR + name + '.golden.json', JSON.stringify(await corpusResult(name), null, 2) + '\n');
  }
}

if (process.argv[2] === 'update' && import.meta.url === new URL(process.argv[1], 'file://').href) await updateGoldens();
