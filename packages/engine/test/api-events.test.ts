import assert from 'node:assert/strict';
import { createEventHub, eventMatches, matchKVList, matchNotKVList, fuzzyMatch, parseFilters, type EngineEvent } from '../src/api/index.js';

const ev = (Type: string, Action: string, ID: string, Attributes: Record<string, string> = {}): EngineEvent => ({ Type, Action, Actor: { ID, Attributes }, scope: 'local', time: 0, timeNano: 0 });

describe('api: moby filter matching and the event hub', () => {
  it('matches labels, names and ids like moby', () => {
    const f = parseFilters('{"label":["a","b=2"]}');
    assert.equal(matchKVList(f, 'label', { a: 'x', b: '2' }), true);
    assert.equal(matchKVList(f, 'label', { a: 'x', b: '3' }), false);
    assert.equal(matchKVList(f, 'label', {}), false);
    assert.equal(matchNotKVList(parseFilters('{"label!":["keep"]}'), 'label!', { keep: '1' }), false);
    assert.equal(matchNotKVList(parseFilters('{"label!":["keep"]}'), 'label!', { other: '1' }), true);
    assert.equal(fuzzyMatch(parseFilters('{"id":["abc"]}'), 'id', 'abcdef'), true);
  });

  it('filters events by type, container name or id prefix, image with or without tag, event and label', () => {
    const start = ev('container', 'start', 'c0ffee' + '0'.repeat(58), { name: 'web', image: 'alpine:3', 'com.x': 'y' });
    const pull = ev('image', 'pull', 'alpine:3', { name: 'alpine:3' });
    const health = ev('container', 'health_status: healthy', 'c0ffee', { name: 'web' });
    const m = (json: string, e: EngineEvent): boolean => eventMatches(parseFilters(json), e);
    assert.equal(m('{"type":["container"]}', start), true);
    assert.equal(m('{"type":["container"]}', pull), false);
    assert.equal(m('{"container":["web"]}', start), true);
    assert.equal(m('{"container":["c0ffee"]}', start), true);
    assert.equal(m('{"container":["web"]}', pull), false);
    assert.equal(m('{"image":["alpine"]}', start), true);
    assert.equal(m('{"image":["alpine"]}', pull), true);
    assert.equal(m('{"event":["start"]}', start), true);
    assert.equal(m('{"event":["health_status"]}', health), true);
    assert.equal(m('{"event":["stop"]}', start), false);
    assert.equal(m('{"label":["com.x=y"]}', start), true);
  });

  it('replays kept events since a time, then streams live ones until aborted', async () => {
    let clock = 1_000_000_000_000n;
    const hub = createEventHub({ now: () => clock, capacity: 2 });
    hub.publish({ Type: 'container', Action: 'create', Actor: { ID: 'a', Attributes: {} } });
    clock += 1_000n;
    hub.publish({ Type: 'container', Action: 'start', Actor: { ID: 'a', Attributes: {} } });
    clock += 1_000n;
    hub.publish({ Type: 'image', Action: 'pull', Actor: { ID: 'x', Attributes: {} } });
    const ac = new AbortController();
    const it = hub.subscribe({ since: 0n, filters: parseFilters('{"type":["container"]}'), signal: ac.signal })[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal((first.value as EngineEvent).Action, 'start', 'capacity 2 dropped the oldest');
    assert.equal((first.value as EngineEvent).timeNano, 1_000_000_001_000n);
    assert.equal((first.value as EngineEvent).time, 1000);
    const pending = it.next();
    hub.publish({ Type: 'image', Action: 'tag', Actor: { ID: 'x', Attributes: {} } });
    hub.publish({ Type: 'container', Action: 'die', Actor: { ID: 'a', Attributes: { exitCode: '0' } } });
    assert.equal(((await pending).value as EngineEvent).Action, 'die');
    const end = it.next();
    ac.abort();
    assert.equal((await end).done, true);
  });

  it('ends a live subscription once until has passed, even when its timer fires before the clock gets there', async () => {
    let clock = 1_000_000_000_000n;
    const until = clock + 20_000_000n; // 20 ms ahead
    const hub = createEventHub({ now: () => clock });
    const it = hub.subscribe({ since: 0n, until, filters: new Map(), signal: new AbortController().signal })[Symbol.asyncIterator]();
    const end = it.next();
    await new Promise((r) => setTimeout(r, 60)); // the timer has fired; the injected clock has not moved
    clock = until + 1n;
    assert.equal((await end).done, true);
  });

  it('ends at once when until is in the past', async () => {
    const hub = createEventHub({ now: () => 5_000_000_000n });
    hub.publish({ Type: 'volume', Action: 'create', Actor: { ID: 'v', Attributes: {} } });
    const before: string[] = [];
    for await (const e of hub.subscribe({ since: 0n, until: 4_000_000_000n, filters: new Map(), signal: new AbortController().signal })) before.push(e.Action);
    assert.deepEqual(before, []);
    const upTo: string[] = [];
    for await (const e of hub.subscribe({ since: 0n, until: 5_000_000_000n, filters: new Map(), signal: new AbortController().signal })) upTo.push(e.Action);
    assert.deepEqual(upTo, ['create']);
  });
});
