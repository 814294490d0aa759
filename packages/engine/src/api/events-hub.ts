import type { EngineEvent, EventsService } from './services.js';
import type { Filters } from './query.js';
import { exactMatch, fuzzyMatch, matchKVList } from './filters.js';

/** What a publisher gives; the hub stamps `scope` and the times. */
export type EventInput = Pick<EngineEvent, 'Type' | 'Action'> & { Actor: EngineEvent['Actor'] };

/** An in-memory event log and fan-out: the last `capacity` events are kept for `since`. */
export interface EventHub extends EventsService {
  publish(e: EventInput): EngineEvent;
}

const stripTag = (ref: string): string => {
  const at = ref.indexOf('@');
  const base = at < 0 ? ref : ref.slice(0, at);
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(0, colon) : base;
};

/** moby daemon/events/filter.go `Include`. */
export function eventMatches(f: Filters, ev: EngineEvent): boolean {
  const attrs = ev.Actor.Attributes;
  const name = attrs.name ?? '';
  const byName = (type: string): boolean => fuzzyMatch(f, type, ev.Actor.ID) || fuzzyMatch(f, type, name);
  const fuzzyActions = (f.get('event') ?? []).some((v) => v === 'health_status' || v === 'exec_create' || v === 'exec_start');
  const imageName = (ev.Type === 'image' ? attrs.name : attrs.image) ?? '';
  return (
    (fuzzyActions ? fuzzyMatch(f, 'event', ev.Action) : exactMatch(f, 'event', ev.Action)) &&
    exactMatch(f, 'type', ev.Type) &&
    exactMatch(f, 'scope', ev.scope) &&
    byName('daemon') &&
    byName('container') &&
    byName('plugin') &&
    byName('volume') &&
    byName('network') &&
    (exactMatch(f, 'image', ev.Actor.ID) || exactMatch(f, 'image', imageName) || exactMatch(f, 'image', stripTag(ev.Actor.ID)) || exactMatch(f, 'image', stripTag(imageName))) &&
    byName('node') &&
    byName('service') &&
    byName('secret') &&
    byName('config') &&
    matchKVList(f, 'label', attrs)
  );
}

/**
 * Creates the hub. `now` gives unix nanoseconds (injected clock). Subscribers get the kept events in
 * [since, until] first, then live ones until `until` passes or their signal aborts.
 */
export function createEventHub(opts: { now?: () => bigint; capacity?: number } = {}): EventHub {
  const now = opts.now ?? (() => BigInt(Date.now()) * 1_000_000n);
  const capacity = opts.capacity ?? 256;
  const log: EngineEvent[] = [];
  const listeners = new Set<(e: EngineEvent) => void>();
  return {
    publish(input: EventInput): EngineEvent {
      const ns = now();
      const e: EngineEvent = { Type: input.Type, Action: input.Action, Actor: { ID: input.Actor.ID, Attributes: { ...input.Actor.Attributes } }, scope: 'local', time: Number(ns / 1_000_000_000n), timeNano: ns };
      log.push(e);
      if (log.length > capacity) log.shift();
      for (const l of listeners) l(e);
      return e;
    },
    subscribe({ since, until, filters, signal }) {
      return (async function* (): AsyncGenerator<EngineEvent> {
        const queue: EngineEvent[] = [];
        let wake: (() => void) | undefined;
        const listener = (e: EngineEvent): void => {
          queue.push(e);
          wake?.();
        };
        const onAbort = (): void => wake?.();
        const live = until === undefined || until > now();
        if (live) listeners.add(listener);
        signal.addEventListener('abort', onAbort, { once: true });
        let timer: NodeJS.Timeout | undefined;
        // A timer can fire before the clock has passed `until` (libuv measures from its loop time,
        // which lags after a long synchronous turn); the loop below would then wait for an event
        // that may never come. Wake it only once `until` has passed, re-arming until then.
        const onUntil = (): void => {
          if (until !== undefined && now() <= until) timer = setTimeout(onUntil, Number((until - now()) / 1_000_000n) + 1);
          else wake?.();
        };
        if (live && until !== undefined) timer = setTimeout(onUntil, Number((until - now()) / 1_000_000n) + 1);
        try {
          if (since !== undefined) {
            for (const e of [...log]) {
              const t = BigInt(e.timeNano);
              if (t >= since && (until === undefined || t <= until) && eventMatches(filters, e)) yield e;
            }
          }
          while (live && !signal.aborted) {
            const e = queue.shift();
            if (e) {
              if (until !== undefined && BigInt(e.timeNano) > until) break;
              if (eventMatches(filters, e)) yield e;
              continue;
            }
            if (until !== undefined && now() > until) break;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        } finally {
          listeners.delete(listener);
          signal.removeEventListener('abort', onAbort);
          if (timer) clearTimeout(timer);
        }
      })();
    },
  };
}
