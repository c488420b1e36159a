/**
 * Secrets never reach the logs: a real `wharf serve` in Database mode, logging at debug level,
 * goes through every path that handles a password, a robot token, an app token or a registry
 * JWT (right and wrong, throttled, tampered), and its whole output is then searched for each of them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { basic } from '../support/accounts.js';
import { http } from '../support/http.js';
import { ROOT_PASSWORD_ENV, startServe, writeDatabaseConfig } from '../support/wharf-process.js';

const ROOT_PASSWORD = 'root-Pa55word-kept-secret';
const WRONG_PASSWORD = 'wrong-Pa55word-also-secret';

describe('wharf serve keeps secrets out of its logs', () => {
  it('passwords, robot tokens, app tokens and registry tokens appear nowhere in the output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-secrets-'));
    const config = await writeDatabaseConfig(dir);
    const server = await startServe(['--config', config], { cwd: dir, env: { [ROOT_PASSWORD_ENV]: ROOT_PASSWORD, WHARF_LOG_LEVEL: 'debug' } });
    const secrets: string[] = [ROOT_PASSWORD, WRONG_PASSWORD, basic('root', ROOT_PASSWORD).slice('Basic '.length), basic('root', WRONG_PASSWORD).slice('Basic '.length)];
    try {
      const base = server.origin;
      const service = new URL(base).host;
      const root = { authorization: basic('root', ROOT_PASSWORD) };
      const json = { 'content-type': 'application/json' };

      const token = (await http(base, 'GET', `/v2/auth?service=${service}&scope=repository:acme/app:pull,push`, { headers: root })).json<{ token: string }>().token;
      secrets.push(token, token.split('.')[2] as string);
      assert.equal((await http(base, 'GET', '/v2/', { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.equal((await http(base, 'GET', '/v2/', { headers: { authorization: `Bearer ${token}x` } })).status, 401, 'a tampered token is refused');
      assert.equal((await http(base, 'GET', `/v2/auth?service=${service}`, { headers: { authorization: basic('root', WRONG_PASSWORD) } })).status, 401);

      assert.equal((await http(base, 'POST', '/api/v1/organization/', { headers: { ...root, ...json }, body: JSON.stringify({ name: 'acme' }) })).status, 201);
      const robot = await http(base, 'PUT', '/api/v1/organization/acme/robots/ci', { headers: { ...root, ...json }, body: JSON.stringify({ description: 'ci' }) });
      assert.equal(robot.status, 201, robot.body.toString());
      const robotToken = robot.json<{ token: string }>().token;
      secrets.push(robotToken);
      const app = await http(base, 'POST', '/api/v1/user/apptoken', { headers: { ...root, ...json }, body: JSON.stringify({ title: 'scripts' }) });
      const appToken = app.json<{ token: { token_code: string } }>().token.token_code;
      secrets.push(appToken);
      const newPassword = 'changed-Pa55word-secret';
      secrets.push(newPassword);
      assert.equal((await http(base, 'PUT', '/api/v1/user/', { headers: { authorization: `Bearer ${appToken}`, ...json }, body: JSON.stringify({ password: newPassword }) })).status, 200);

      assert.equal((await http(base, 'GET', `/v2/auth?service=${service}`, { headers: { authorization: basic('acme+ci', robotToken) } })).status, 200);
      assert.equal((await http(base, 'GET', `/v2/auth?service=${service}`, { headers: { authorization: basic('$app', appToken) } })).status, 200);
      const form = new URLSearchParams({ grant_type: 'password', username: 'root', password: newPassword, service }).toString();
      assert.equal((await http(base, 'POST', '/v2/auth', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).status, 200);
      // Failures until the address is slowed down: the throttle logs too.
      let last = 0;
      for (let i = 0; i < 6; i++) last = (await http(base, 'GET', '/v2/', { headers: { authorization: basic('root', WRONG_PASSWORD), 'x-forwarded-for': '198.51.100.9' } })).status;
      assert.equal(last, 429);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
    const output = server.output();
    assert.match(output, /"url":"\/v2\/auth\?service=/, 'the requests were logged (the search below has something to search)');
    for (const secret of secrets) assert.ok(!output.includes(secret), `a secret (${secret.slice(0, 4)}…) appears in the output`);
  });
});
