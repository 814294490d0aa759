// Stands in for ssh2 and the gRPC/protobuf modules in the tdock CLI bundle (scripts/bundle-cli.mjs):
// dockerode loads them for ssh:// hosts and BuildKit sessions, which tdock does not use, and they
// cost most of its start-up. Any use of the stand-in throws a clear error.
function unavailable(): never {
  throw new Error('this feature (ssh:// hosts, BuildKit sessions) is not available in the tdock CLI');
}
const handler: ProxyHandler<() => never> = {
  get: (_target, key) => (key === '__esModule' ? false : key === 'default' ? stub : new Proxy(unavailable, handler)),
  apply: unavailable,
  construct: unavailable,
};
const stub = new Proxy(unavailable, handler);
module.exports = stub;
