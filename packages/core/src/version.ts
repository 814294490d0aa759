/** The product version, shared by tdock and tdockd (kept equal to the root package.json's). */
export const TDOCK_VERSION = '0.1.0';
/** The Engine API version tdockd advertises, and the oldest it accepts (api-surface.md §0.1). */
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';
