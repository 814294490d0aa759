import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The source fixtures directory (tests run from dist/test, fixtures stay in test/fixtures). */
export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

export function readFixture(rel: string): string {
  return readFileSync(FIXTURES + rel, 'utf8');
}

export function listFixtureDirs(rel: string): string[] {
  return readdirSync(FIXTURES + rel).sort();
}
