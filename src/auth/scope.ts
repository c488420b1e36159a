/**
 * Docker token scopes (`scope=` on the token endpoint, the `access` claim in tokens):
 * `type:name:action[,action...]`, e.g. `repository:acme/web:pull,push`, `repository(plugin):acme/p:pull`
 * (the resource class stays part of the type) or `registry:catalog:*`. A request may repeat
 * `scope=` and put several space-separated scopes in one value.
 *
 * The type ends at the first `:` and the actions start after the last one, so a name keeps any
 * `:` inside it (a `host:port/repo` name from the spec's examples; Wharf's own names never
 * contain one, so such a scope later simply grants nothing). Like Distribution, an unparsable
 * scope is skipped rather than failing the whole request: the client gets a token without it
 * and a 401/403 where it needed it.
 */
import type { ResourceAccess } from './principal.js';

/** `repository`, `registry`, or a type with a resource class such as `repository(plugin)`. */
const TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;
/** Printable ASCII without spaces, which separate scopes. */
const NAME = /^[\x21-\x7e]+$/;
/** `pull`, `push`, `delete`, `*`, and any other lower-case word another client may ask for. */
const ACTION = /^(?:[a-z]+|\*)$/;

/** Every well-formed scope in `values`; entries for the same type and name are merged (actions in first-seen order). */
export function parseScopes(values: readonly string[]): ResourceAccess[] {
  const merged = new Map<string, { type: string; name: string; actions: string[] }>();
  for (const value of values) {
    for (const scope of value.split(' ')) {
      const parsed = parseScope(scope);
      if (!parsed) continue;
      const key = `${parsed.type} ${parsed.name}`;
      const entry = merged.get(key);
      if (!entry) merged.set(key, parsed);
      else for (const action of parsed.actions) if (!entry.actions.includes(action)) entry.actions.push(action);
    }
  }
  return [...merged.values()];
}

export function formatScope(access: ResourceAccess): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}

function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = scope.slice(0, first);
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(',');
  if (!TYPE.test(type) || !NAME.test(name)) return undefined;
  if (!actions.every((action) => ACTION.test(action))) return undefined;
  return { type, name, actions: [...new Set(actions)] };
}
