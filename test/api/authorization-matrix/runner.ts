/**
 * Runs one row for every principal and compares each answer with the table: the status, and
 * for a refusal the error the surface promises:
 * - /v2: 401 `UNAUTHORIZED` with a `WWW-Authenticate` challenge, 403 `DENIED`;
 * - /api/v1: Quay's envelope, `error_type` invalid_token (401), insufficient_scope (403),
 *   not_found (404), invalid_request (400), and `status` equal to the HTTP status.
 * Then the row's own check runs (did the allowed call do its work, did a refused one change nothing).
 */
import type { MatrixRes } from './client.js';
import type { Fixture } from './fixture.js';
import { TOKEN_PATH } from './token-rows.js';
import { COLUMN_TITLES, outcomeOf, PRINCIPALS, type PrincipalName } from './principals.js';
import { endpointOf, type MatrixRow, type Surface } from './row.js';

export interface Outcome {
  readonly who: PrincipalName;
  readonly expected: number;
  /** The status received; undefined when the attempt could not be made. */
  readonly status: number | undefined;
  /** What was wrong; undefined when the answer matched the table. */
  readonly problem: string | undefined;
}

export interface RowResult {
  readonly row: MatrixRow;
  readonly outcomes: readonly Outcome[];
}

const V2_ERRORS: Readonly<Record<number, string>> = { 401: 'UNAUTHORIZED', 403: 'DENIED' };
const API_ERRORS: Readonly<Record<number, string>> = { 400: 'invalid_request', 401: 'invalid_token', 403: 'insufficient_scope', 404: 'not_found' };

export async function runRow(fx: Fixture, row: MatrixRow): Promise<RowResult> {
  // Every attempt has its own fresh target, so the principals can go at once.
  const outcomes = await Promise.all(PRINCIPALS.map((who) => attempt(fx, row, who)));
  return { row, outcomes };
}

async function attempt(fx: Fixture, row: MatrixRow, who: PrincipalName): Promise<Outcome> {
  const expected = outcomeOf(row.expect, who);
  let prepared;
  try {
    prepared = await row.prepare(fx, who);
  } catch (err) {
    return { who, expected, status: undefined, problem: `preparing the attempt failed: ${messageOf(err)}` };
  }
  let res: MatrixRes;
  try {
    res = prepared.bare
      ? await fx.client.bare(prepared.call)
      : row.surface === 'v2'
        ? await fx.client.v2(who, prepared.call, prepared.scopes ?? [], row.basic ? 'basic' : 'bearer')
        : await fx.client.api(who, prepared.call, row.basic ? 'basic' : 'token');
  } catch (err) {
    // A refused token for valid credentials, or a broken connection.
    return { who, expected, status: undefined, problem: `the request failed: ${messageOf(err)}` };
  }
  const fromTokenEndpoint = res.tokenEndpoint === true || prepared.call.path.split('?')[0] === TOKEN_PATH;
  let problem = answerProblem(row.surface, prepared.call.method, expected, res, fromTokenEndpoint);
  if (problem === undefined && prepared.check) {
    try {
      await prepared.check(res, expected < 400);
    } catch (err) {
      problem = `status ${res.status} as expected, but ${messageOf(err)}`;
    }
  }
  return { who, expected, status: res.status, problem };
}

function answerProblem(surface: Surface, method: string, expected: number, res: MatrixRes, fromTokenEndpoint: boolean): string | undefined {
  if (res.status !== expected) return `expected ${expected}, got ${res.status}${res.tokenEndpoint ? ' from the token endpoint' : ''} ${summary(res)}`;
  if (expected < 400) return undefined;
  const hasBody = method !== 'HEAD';
  if (surface === 'v2') {
    const code = V2_ERRORS[expected];
    if (hasBody && code !== undefined && res.code !== code) return `expected error ${code}, got ${summary(res)}`;
    if (expected === 401) {
      const challenge = res.headers['www-authenticate'] ?? '';
      // The registry challenges with Bearer (where to get a token); the token endpoint itself
      // with Basic (RFC 7235: a 401 always names a scheme).
      if (!(fromTokenEndpoint ? /^(Basic|Bearer) /i : /^Bearer realm="[^"]+"/i).test(challenge)) {
        return `401 without a usable WWW-Authenticate challenge (${JSON.stringify(challenge)})${fromTokenEndpoint ? ' from the token endpoint' : ''}`;
      }
    }
    return undefined;
  }
  if (!hasBody) return undefined;
  const type = API_ERRORS[expected];
  let body: { error_type?: unknown; status?: unknown };
  try {
    body = res.json();
  } catch {
    return `expected Quay's error envelope, got ${summary(res)}`;
  }
  if (type !== undefined && body.error_type !== type) return `expected error_type ${type}, got ${summary(res)}`;
  if (body.status !== expected) return `envelope status ${String(body.status)} differs from HTTP ${expected}`;
  return undefined;
}

/** The error code (or the start of the body) of a response, for messages. */
function summary(res: MatrixRes): string {
  const text = res.body.toString('utf8');
  if (text === '') return '(no body)';
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[]; error_type?: string; error_message?: string };
    if (body.errors?.[0]) return `${body.errors[0].code}: ${body.errors[0].message ?? ''}`;
    if (body.error_type !== undefined) return `${body.error_type}: ${body.error_message ?? ''}`;
  } catch {
    // not JSON: show the text
  }
  return JSON.stringify(text.slice(0, 160));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

export function rowTitle(row: MatrixRow): string {
  return `${endpointOf(row)}${row.target ? ` — ${row.target}` : ''}`;
}

/** The row's mismatches, one line per principal, for the assertion message. */
export function problemsOf(result: RowResult): string[] {
  return result.outcomes.filter((o) => o.problem !== undefined).map((o) => `${o.who}: ${o.problem}`);
}

/**
 * The results as a Markdown table, one row per endpoint and target, one column per principal:
 * the status received, marked `✗ expected→got` where it differs from the table.
 */
export function formatResults(results: readonly RowResult[]): string {
  const header = `| endpoint | target | ${PRINCIPALS.map((p) => COLUMN_TITLES[p]).join(' | ')} |`;
  const rule = `|---|---|${PRINCIPALS.map(() => '---').join('|')}|`;
  const lines = results.map(({ row, outcomes }) => {
    const cells = outcomes.map((o) => (o.problem === undefined ? String(o.status) : `✗ ${o.expected}→${o.status ?? 'n/a'}`));
    return `| \`${endpointOf(row)}\` | ${row.target} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...lines].join('\n');
}
