/**
 * The legacy builder's output, as dockerd 20.10 prints it (moby `builder/dockerfile`): `Step N/M : INSTR`,
 * ` ---> <id>` after each step (the step's intermediate image; after FROM the base image), ` ---> Using cache`,
 * ` ---> Running in <id>` and `Removing intermediate container <id>` around every step but COPY and ADD (RUN
 * prints them itself, around its output), warnings, and at the end `{"aux":{"ID"}}`, `Successfully built <12hex>`
 * and `Successfully tagged <name>`.
 */
import { randomBytes } from 'node:crypto';
import type { BuildEvent, StageGraph } from '@tdock/builder';

/** Where build text goes (the API's ProgressSink `stream`/`aux`). */
export interface LegacySink {
  stream(text: string): void;
  aux(value: { ID: string }): void;
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export class LegacyStream {
  /** A ` ---> <id>` line per stage, written before the stage's next output (or at the end). */
  private readonly pending = new Map<number, string>();
  private readonly fromPending = new Set<number>();
  private readonly lastId = new Map<number, string>();
  /** The kind of the step a stage is executing (after its cache miss). */
  private readonly missOp = new Map<number, string>();

  constructor(
    private readonly sink: LegacySink,
    private readonly quiet: boolean,
    private readonly graph: StageGraph,
    /** The image ID a FROM resolved to (after resolution), undefined for scratch. */
    private readonly baseId: (ref: string) => string | undefined,
    /** `rm`: print "Removing intermediate container" after steps (docker does not with rm=false). */
    private readonly remove = true,
    /**
     * With `rm=false`: keeps the container docker creates (never starts) to commit a metadata or WORKDIR step, and
     * returns its ID for the ` ---> Running in` line; undefined when it keeps none.
     */
    private readonly keepStepContainer?: (c: { parentImage: string; imageId: string; createdBy: string }) => string | undefined,
  ) {}

  private write(text: string): void {
    if (!this.quiet) this.sink.stream(text);
  }

  private fromLine(stage: number): string | undefined {
    const base = this.graph.nodes[stage]?.base;
    if (!base || base.kind === 'scratch') return undefined;
    const id = base.kind === 'stage' ? this.lastId.get(base.index) : this.baseId(base.ref);
    return id;
  }

  private flush(stage: number): void {
    if (this.fromPending.delete(stage)) {
      const id = this.fromLine(stage);
      if (id) {
        this.lastId.set(stage, id);
        this.write(` ---> ${short(id)}\n`);
      }
    }
    const p = this.pending.get(stage);
    if (p !== undefined) {
      this.pending.delete(stage);
      this.write(` ---> ${short(p)}\n`);
    }
  }

  /** The builder's event hook. */
  readonly event = (e: BuildEvent): void => {
    switch (e.type) {
      case 'step':
        for (const s of [...new Set([...this.pending.keys(), e.stage])]) this.flush(s);
        this.write(`Step ${e.step}/${e.total} : ${e.text}`);
        this.write('\n');
        if (e.stage >= 0 && /^from\s/i.test(e.text.trim())) this.fromPending.add(e.stage);
        return;
      case 'cache-hit':
        this.flush(e.stage);
        this.write(' ---> Using cache\n');
        return;
      case 'cache-miss':
        this.missOp.set(e.stage, e.op);
        this.flush(e.stage);
        return;
      case 'triggers':
        this.flush(e.stage);
        this.write(`# Executing ${e.count} build ${e.count === 1 ? 'trigger' : 'triggers'}...\n`);
        return;
      case 'step-done': {
        this.flush(e.stage);
        const op = this.missOp.get(e.stage);
        this.missOp.delete(e.stage);
        if (!e.cached && (op === 'config' || op === 'workdir')) {
          // docker commits these steps through a container it creates (never starts) and removes (unless rm=false)
          const parent = this.lastId.get(e.stage);
          const kept = !this.remove && parent && e.imageId ? this.keepStepContainer?.({ parentImage: parent, imageId: e.imageId, createdBy: e.createdBy }) : undefined;
          const cid = kept?.slice(0, 12) ?? randomBytes(6).toString('hex');
          this.write(` ---> Running in ${cid}\n${this.remove ? `Removing intermediate container ${cid}\n` : ''}`);
        }
        const id = e.imageId ?? e.key;
        this.pending.set(e.stage, id);
        this.lastId.set(e.stage, id);
        return;
      }
      case 'warning':
        this.write(`${e.message}\n`);
        return;
      default:
    }
  };

  /** After the image is stored: the target's last line shows `id`, then aux, "Successfully built/tagged". */
  finish(id: string, tags: readonly string[]): void {
    const target = this.graph.target;
    for (const s of [...this.pending.keys()]) if (s !== target) this.flush(s);
    if (this.pending.delete(target) || this.fromPending.delete(target)) this.write(` ---> ${short(id)}\n`);
    this.sink.aux({ ID: id });
    if (this.quiet) {
      this.sink.stream(`${id}\n`);
      return;
    }
    this.write(`Successfully built ${short(id)}\n`);
    for (const t of tags) this.write(`Successfully tagged ${t}\n`);
  }
}
