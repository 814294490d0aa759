export * from './capabilities.js';
export * from './capset.js';
