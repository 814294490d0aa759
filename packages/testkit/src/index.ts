// @tdock/testkit: offline test images, a real registry on loopback, temporary roots and daemons.
// Private; imported by tests and benchmarks only. See docs/testkit.md.
export * from './proc.js';
export * from './http.js';
export * from './certs.js';
export * from './registry.js';
export * from './fixture-types.js';
export * from './fixtures.js';
export * from './layer.js';
export * from './image-writer.js';
export * from './image-contents.js';
export * from './multilayer.js';
export * from './debian.js';
export { ociArch } from './fixture-build.js';
export * from './temp-roots.js';
export * from './daemons.js';
