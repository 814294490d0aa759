export * from './errors.js';
export * from './version.js';
export * from './digest.js';
export * from './oci.js';
export * from './reference.js';
export * from './image.js';
export * from './units.js';
export * from './ports.js';
