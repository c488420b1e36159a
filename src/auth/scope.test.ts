import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatScope, parseScopes } from './scope.js';

describe('parseScopes', () => {
  const table: Array<[string, readonly string[], unknown[]]> = [
    ['one repository scope', ['repository:acme/web:pull,push'], [{ type: 'repository', name: 'acme/web', actions: ['pull', 'push'] }]],
    ['a single action', ['repository:ubuntu:pull'], [{ type: 'repository', name: 'ubuntu', actions: ['pull'] }]],
    ['the catalog', ['registry:catalog:*'], [{ type: 'registry', name: 'catalog', actions: ['*'] }]],
    ['a resource class stays part of the type', ['repository(plugin):acme/p:pull'], [{ type: 'repository(plugin)', name: 'acme/p', actions: ['pull'] }]],
    [
      'several space-separated scopes in one value',
      ['repository:a/b:pull repository:c/d:push'],
      [
        { type: 'repository', name: 'a/b', actions: ['pull'] },
        { type: 'repository', name: 'c/d', actions: ['push'] },
      ],
    ],
    [
      'several values, same resource merged in first-seen order',
      ['repository:a/b:pull', 'repository:a/b:push,pull', 'registry:catalog:*'],
      [
        { type: 'repository', name: 'a/b', actions: ['pull', 'push'] },
        { type: 'registry', name: 'catalog', actions: ['*'] },
      ],
    ],
    ['duplicate actions collapse', ['repository:a:pull,pull'], [{ type: 'repository', name: 'a', actions: ['pull'] }]],
    ['a host:port name keeps its colon', ['repository:localhost:5000/a:pull'], [{ type: 'repository', name: 'localhost:5000/a', actions: ['pull'] }]],
    ['empty values and extra spaces', ['', '  repository:a:pull  '], [{ type: 'repository', name: 'a', actions: ['pull'] }]],
    ['no actions part', ['repository:a'], []],
    ['empty actions', ['repository:a:'], []],
    ['empty action in a list', ['repository:a:pull,'], []],
    ['empty name', ['repository::pull'], []],
    ['empty type', [':a:pull'], []],
    ['upper-case type', ['Repository:a:pull'], []],
    ['bad resource class', ['repository(:a:pull', 'repository(x)(y):a:pull'], []],
    ['actions with odd characters', ['repository:a:pull;rm', 'repository:a:PULL'], []],
    ['control characters in the name', ['repository:a\tb:pull'], []],
    ['one bad scope does not drop the good ones', ['garbage repository:a:pull'], [{ type: 'repository', name: 'a', actions: ['pull'] }]],
  ];
  for (const [title, input, expected] of table) {
    it(title, () => assert.deepEqual(parseScopes(input), expected));
  }
});

describe('formatScope', () => {
  it('writes the wire form and round-trips through parseScopes', () => {
    const access = { type: 'repository', name: 'acme/web', actions: ['pull', 'push'] };
    assert.equal(formatScope(access), 'repository:acme/web:pull,push');
    assert.deepEqual(parseScopes([formatScope(access)]), [access]);
    assert.equal(formatScope({ type: 'registry', name: 'catalog', actions: ['*'] }), 'registry:catalog:*');
  });
});
