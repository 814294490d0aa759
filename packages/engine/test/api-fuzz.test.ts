import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildApp, type ContainerCreateBody } from '../src/api/index.js';
import { fakeServices } from './api-fakes.js';

describe('api: fuzzing the create body', () => {
  const app = buildApp(fakeServices({ containers: { create: async (_req: { body: ContainerCreateBody }) => ({ Id: 'f'.repeat(64), Warnings: [] }) } }));
  after(() => app.close());

  const keys = fc.constantFrom('Image', 'image', 'Cmd', 'Env', 'Tty', 'HostConfig', 'hostconfig', 'Memory', 'Binds', 'Labels', 'ExposedPorts', 'Healthcheck', 'NetworkingConfig', 'EndpointsConfig', 'Ulimits', 'PidsLimit', 'CapAdd', 'x');
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), tie('object')),
    object: fc.dictionary(fc.oneof(keys, fc.string()), tie('value'), { maxKeys: 5 }),
  }));

  it('answers 201 or a JSON 400, never a 500, for arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(json.value, async (body) => {
        const r = await app.inject({ method: 'POST', url: '/v1.47/containers/create', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        assert.ok(r.statusCode === 201 || r.statusCode === 400, `${r.statusCode} ${r.body} for ${JSON.stringify(body)}`);
        assert.equal(r.headers['content-type'], 'application/json');
        if (r.statusCode === 400) assert.equal(typeof r.json().message, 'string');
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('answers 400 for arbitrary bytes sent as JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 64 }), async (text) => {
        const r = await app.inject({ method: 'POST', url: '/containers/create', headers: { 'content-type': 'application/json' }, payload: text });
        assert.ok([201, 400].includes(r.statusCode), `${r.statusCode} for ${JSON.stringify(text)}`);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
