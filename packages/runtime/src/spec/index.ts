export * from './types.js';
export * from './validate.js';
export * from './plan.js';
export * from './default-spec.js';
export * from './user.js';
