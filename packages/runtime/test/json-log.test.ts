// The shim's json-file log: Docker's record shape, line splitting, size rotation.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readJsonFileLog } from '@tdock/runtime';
import { JsonFileLog, LineSplitter } from '../src/shim/json-log.js';

describe('json-file log', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tdock-log-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one record per line, keeping partial lines until they end', () => {
    const file = path.join(dir, 'c-json.log');
    const log = new JsonFileLog(file);
    log.write('stdout', 'a\nb');
    log.write('stderr', 'err\n');
    log.write('stdout', 'c\nd');
    log.close();
    const recs = readJsonFileLog(file);
    assert.deepEqual(recs.map((r) => [r.stream, r.log]), [['stdout', 'a\n'], ['stderr', 'err\n'], ['stdout', 'bc\n'], ['stdout', 'd']]);
    for (const r of recs) assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  it('splits very long partial lines at 16 KiB', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('x'.repeat(20000));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.length, 20000);
  });

  it('rotates by size, keeping max-file files', () => {
    const file = path.join(dir, 'c-json.log');
    const log = new JsonFileLog(file, { maxSize: 300, maxFiles: 3 });
    for (let i = 0; i < 30; i++) log.write('stdout', `line ${i}\n`);
    log.close();
    assert.ok(fs.existsSync(`${file}.1`) && fs.existsSync(`${file}.2`) && !fs.existsSync(`${file}.3`));
    for (const f of [file, `${file}.1`, `${file}.2`]) assert.ok(fs.statSync(f).size <= 300, f);
    const last = readJsonFileLog(file).at(-1);
    assert.equal(last?.log, 'line 29\n');
    const n = (f: string): number => Number(/line (\d+)/.exec(readJsonFileLog(f)[0]?.log ?? '')?.[1]);
    assert.ok(n(`${file}.2`) < n(`${file}.1`) && n(`${file}.1`) < n(file), 'older records in higher numbers');
  });
});
