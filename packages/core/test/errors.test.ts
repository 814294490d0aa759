import assert from 'node:assert/strict';
import { ERROR_KINDS, TdockError, errorKindOf, notFound } from '../src/index.js';

describe('core/errors', () => {
  it('keeps the kind and the cause', () => {
    const cause = new Error('boom');
    const err = notFound('No such container: x', cause);
    assert.equal(err.kind, 'not-found');
    assert.equal(err.cause, cause);
    assert.equal(err.message, 'No such container: x');
  });

  it('classifies foreign errors as internal and duck-typed kinds as themselves', () => {
    assert.equal(errorKindOf(new Error('x')), 'internal');
    assert.equal(errorKindOf({ kind: 'conflict' }), 'conflict');
    assert.equal(errorKindOf({ kind: 'bogus' }), 'internal');
    for (const kind of ERROR_KINDS) assert.equal(errorKindOf(new TdockError(kind, 'm')), kind);
  });
});
