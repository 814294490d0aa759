export { main } from './main.js';
export type { CliIo } from './main.js';
export * from './compose/index.js';
export * from './format/index.js';
