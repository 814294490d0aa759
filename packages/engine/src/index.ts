export { main } from './main.js';
export type { DaemonIo } from './main.js';
export * from './store/index.js';
