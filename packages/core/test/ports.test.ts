import assert from 'node:assert/strict';
import { parsePortSpec, parsePortSpecs } from '../src/index.js';

describe('core/ports', () => {
  it('parses docker -p specs', () => {
    assert.deepEqual(parsePortSpec('80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '' } }]);
    assert.deepEqual(parsePortSpec('8080:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8080' } }]);
    assert.deepEqual(parsePortSpec('127.0.0.1:8080:80/udp'), [{ port: '80/udp', binding: { HostIp: '127.0.0.1', HostPort: '8080' } }]);
    assert.deepEqual(parsePortSpec('127.0.0.1::80'), [{ port: '80/tcp', binding: { HostIp: '127.0.0.1', HostPort: '' } }]);
    assert.deepEqual(parsePortSpec('[::1]:6001:6001'), [{ port: '6001/tcp', binding: { HostIp: '::1', HostPort: '6001' } }]);
    assert.deepEqual(parsePortSpec('8000-8001:80-81').map((p) => [p.port, p.binding.HostPort]), [['80/tcp', '8000'], ['81/tcp', '8001']]);
    assert.deepEqual(parsePortSpec('8000-8010:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8000-8010' } }]);
  });

  it('rejects bad specs with docker wording', () => {
    assert.throws(() => parsePortSpec('80/xyz'), /invalid proto: xyz/);
    assert.throws(() => parsePortSpec('8000-8002:80-81'), /invalid ranges specified/);
    assert.throws(() => parsePortSpec('abc'), /invalid containerPort: abc/);
    assert.throws(() => parsePortSpec('1:2:3:4'), /invalid port format/);
    assert.throws(() => parsePortSpec('70000'), /invalid containerPort/);
  });

  it('merges several specs into ExposedPorts and PortBindings', () => {
    const r = parsePortSpecs(['8080:80', '8081:80', '53/udp']);
    assert.deepEqual(Object.keys(r.exposed).sort(), ['53/udp', '80/tcp']);
    assert.equal(r.bindings['80/tcp']!.length, 2);
  });
});
