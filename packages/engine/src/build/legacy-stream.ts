/**
 * The legacy builder's output (moby `builder/dockerfile`): `Step N/M : INSTR`, ` ---> <id>` after each step,
 * ` ---> Using cache`, warnings, and at the end `{"aux":{"ID"}}`, `Successfully built <12hex>` and
 * `Successfully tagged <name>`. Intermediate steps have no image of their own here: their ` ---> ` line shows the
 * step's cache key (12 hex); the last step of the target shows the final image ID, as docker does.
 */
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

  constructor(
    private readonly sink: LegacySink,
    private readonly quiet: boolean,
    private readonly graph: StageGraph,
    /** The image ID a FROM resolved to (after resolution), undefined for scratch. */
    private readonly baseId: (ref: string) => string | undefined,
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
      case 'triggers':
        this.flush(e.stage);
        if (e.type === 'triggers') this.write(`# Executing ${e.count} build ${e.count === 1 ? 'trigger' : 'triggers'}...\n`);
        return;
      case 'step-done':
        this.flush(e.stage);
        this.pending.set(e.stage, e.key);
        this.lastId.set(e.stage, e.key);
        return;
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
