export {};
export * from './caps/index.js';
export * from './seccomp/index.js';
