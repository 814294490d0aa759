// @tdock/testkit: offline test images, a real registry on loopback, temporary roots and daemons.
// Private; imported by tests and benchmarks only. See docs/testkit.md.
export * from './proc.js';
export * from './http.js';
export * from './certs.js';
export * from './registry.js';
