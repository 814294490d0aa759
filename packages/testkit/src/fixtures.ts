// Placeholder until the fixture builder lands: the registry storage holding the fixtures.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Returns the registry storage root holding the fixtures (empty for now). */
export async function fixtureStorage(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tdk-empty-'));
}
