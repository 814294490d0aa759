export {};
export * from './caps/index.js';
