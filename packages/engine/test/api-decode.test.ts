import assert from 'node:assert/strict';
import { TdockError } from '@tdock/core';
import { decodeBody, parseBool, parseFilters, schemas, boolValue, decodeAuthHeader, parseTimestamp, uint32Value } from '../src/api/index.js';
import type { ContainerCreateBody, ExecStartBody } from '../src/api/index.js';

function rejects(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TdockError);
    assert.equal(err.kind, 'invalid-argument');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('api: request decoding like encoding/json', () => {
  it('ignores unknown keys and matches keys case-insensitively, canonicalising them', () => {
    const b = decodeBody<ContainerCreateBody>(schemas.ContainerCreateSchema, {
      image: 'alpine',
      CMD: 'echo hi',
      tty: true,
      Bogus: 1,
      hostconfig: { memory: 1024, binds: ['/a:/b'], restartpolicy: { name: 'always' }, nanocpus: 5e8 },
      NetworkingConfig: { EndpointsConfig: { n: { aliases: ['x'] } } },
    });
    assert.deepEqual(b, {
      Image: 'alpine',
      Cmd: ['echo hi'],
      Tty: true,
      HostConfig: { Memory: 1024, Binds: ['/a:/b'], RestartPolicy: { Name: 'always' }, NanoCpus: 5e8 },
      NetworkingConfig: { EndpointsConfig: { n: { Aliases: ['x'] } } },
    });
  });

  it('decodes dockerode exec start options', () => {
    assert.deepEqual(decodeBody<ExecStartBody>(schemas.ExecStartSchema, { Detach: false, Tty: true, hijack: true, stdin: true }), { Detach: false, Tty: true });
  });

  it('prefers the exact-case key over a case-insensitive one in either order', () => {
    assert.deepEqual(decodeBody(schemas.ExecStartSchema, { Tty: true, tty: false }), { Tty: true });
    assert.deepEqual(decodeBody(schemas.ExecStartSchema, { tty: false, Tty: true }), { Tty: true });
  });

  it('treats null as unset, keeps map keys and decodes an empty body as {}', () => {
    assert.deepEqual(decodeBody(schemas.ContainerCreateSchema, { Image: null, Labels: { 'com.x': 'y' }, Env: null }), { Labels: { 'com.x': 'y' } });
    assert.deepEqual(decodeBody(schemas.ContainerCreateSchema, undefined), {});
  });

  it("rejects wrong types with Go's message", () => {
    rejects(() => decodeBody(schemas.ContainerCreateSchema, { HostConfig: { Memory: '1g' } }), 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64');
    rejects(() => decodeBody(schemas.ContainerCreateSchema, { Tty: 'yes' }), 'json: cannot unmarshal string into Go struct field CreateRequest.Tty of type bool');
    rejects(() => decodeBody(schemas.ContainerCreateSchema, { Env: 'A=1' }), /cannot unmarshal string into Go struct field CreateRequest.Env of type \[\]string/);
    rejects(() => decodeBody(schemas.ContainerCreateSchema, { Cmd: 5 }), /of type strslice.StrSlice/);
    rejects(() => decodeBody(schemas.ContainerCreateSchema, { HostConfig: { BlkioWeight: 70000 } }), /cannot unmarshal number 70000 into .* of type uint16/);
    rejects(() => decodeBody(schemas.ContainerCreateSchema, { HostConfig: { CpuShares: 1.5 } }), /cannot unmarshal number 1.5 .* of type int64/);
    rejects(() => decodeBody(schemas.ContainerCreateSchema, [1]), /cannot unmarshal array into Go value of type CreateRequest/);
    rejects(() => decodeBody(schemas.ContainerCreateSchema, { Labels: { a: 1 } }), /cannot unmarshal number .*Labels of type map\[string\]string|of type string/);
  });
});

describe('api: query helpers', () => {
  it('parses booleans like moby BoolValue', () => {
    for (const f of ['', '0', 'no', 'false', 'FALSE', ' none ', 'False']) assert.equal(parseBool(f), false, f);
    for (const t of ['1', 'true', 'True', 'yes', 'x']) assert.equal(parseBool(t), true, t);
    assert.equal(boolValue({}, 'rm', true), true);
    assert.equal(boolValue({ rm: '0' }, 'rm', true), false);
  });

  it('accepts filters as a map of sets and a map of lists', () => {
    const a = parseFilters('{"label":{"a=b":true,"c":true},"status":{"exited":true}}');
    assert.deepEqual(a.get('label'), ['a=b', 'c']);
    assert.deepEqual(a.get('status'), ['exited']);
    const b = parseFilters('{"label":["com.docker.compose.project=x","com.docker.compose.oneoff=False"]}');
    assert.deepEqual(b.get('label'), ['com.docker.compose.project=x', 'com.docker.compose.oneoff=False']);
    assert.equal(parseFilters(undefined).size, 0);
  });

  it("rejects unknown filter keys with moby's message and bad JSON as invalid filter", () => {
    rejects(() => parseFilters('{"colour":["red"]}', ['label', 'status']), "invalid filter 'colour'");
    rejects(() => parseFilters('{not json', ['label']), 'invalid filter');
    rejects(() => parseFilters('["a"]'), 'invalid filter');
  });

  it('parses uint32 resize values and timestamps', () => {
    assert.equal(uint32Value({ h: '40' }, 'h'), 40);
    rejects(() => uint32Value({ h: '-1' }, 'h'), /out of range/);
    rejects(() => uint32Value({ h: 'x' }, 'h'), /invalid syntax/);
    rejects(() => uint32Value({}, 'h'), /invalid syntax/);
    assert.equal(parseTimestamp('1700000000.5', 'since'), 1700000000500000000n);
    assert.equal(parseTimestamp('1700000000', 'since'), 1700000000000000000n);
    assert.equal(parseTimestamp(undefined, 'since'), undefined);
  });

  it('decodes X-Registry-Auth in both base64 alphabets', () => {
    assert.deepEqual(decodeAuthHeader('e30='), {});
    const json = JSON.stringify({ username: 'u?>', password: 'p~~' });
    assert.deepEqual(decodeAuthHeader(Buffer.from(json).toString('base64url')), { username: 'u?>', password: 'p~~' });
    assert.deepEqual(decodeAuthHeader(Buffer.from(json).toString('base64')), { username: 'u?>', password: 'p~~' });
    assert.equal(decodeAuthHeader('!!!'), undefined);
  });
});
