// The Users API (/api/v1/users) driven by Okta's own management SDK, @okta/okta-sdk-nodejs, used
// as an application would. Reference: shared/reference/okta-api.md §4.0 (conventions, errors,
// pagination) and §4.7 (users).
//
// Expected values always come from the request objects below, never from a response.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame } from '../lib/sesame.mjs';

const sesame = useSesame();

// The SDK sends every request through $https_proxy / $HTTPS_PROXY when one is set, even to
// http://127.0.0.1; these tests talk to loopback only.
delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

let client;
let responses; // every HTTP response the SDK received: { method, url, status, body: Promise<string> }

before(async () => {
  await sesame.ready;
  // The response cache is turned off (documented `cacheMiddleware: null`) so every read below
  // reaches the server.
  client = new okta.Client({
    orgUrl: sesame.orgUrl,
    token: sesame.apiToken,
    authorizationMode: 'SSWS',
    cacheMiddleware: null,
  });
  responses = [];
  let method = '';
  client.requestExecutor.on('request', (req) => {
    method = String(req.method).toUpperCase();
  });
  client.requestExecutor.on('response', (res) => {
    responses.push({ method, url: res.url, status: res.status, body: res.clone().text() });
  });
});

const lastResponse = () => responses.at(-1);

const USER_ID = /^00u[0-9A-Za-z]{17}$/;
const PASSWORD = 'Correct-Horse-9-Battery';
const run = `${process.pid}`;

function profile(name) {
  const login = `${name}.${run}@example.com`;
  return { firstName: name, lastName: 'Tester', email: login, login, department: 'E2E' };
}

test('creates a user with a password: ACTIVE, password write-only', { timeout: 20_000 }, async () => {
  const sent = profile('alice');
  const user = await client.userApi.createUser({
    body: { profile: sent, credentials: { password: { value: PASSWORD } } },
  });
  assert.equal(lastResponse().status, 200, 'POST /api/v1/users answers 200');
  assert.match(user.id, USER_ID);
  assert.equal(user.status, 'ACTIVE');
  for (const [k, v] of Object.entries(sent)) {
    assert.equal(user.profile[k], v, `profile.${k}`);
  }
  assert.ok(user.credentials.password !== undefined, 'credentials.password is present once set');
  assert.ok(!(await lastResponse().body).includes(PASSWORD), 'the password is never returned');
  assert.equal(user.credentials.provider.type, 'OKTA');

  const byLogin = await client.userApi.getUser({ userId: sent.login });
  assert.equal(byLogin.id, user.id, 'a user can be read by login');
  const me = await client.userApi.getUser({ userId: 'me' });
  assert.equal(me.profile.login, 'admin@example.com', '"me" is the API token\'s user');
});

test('a staged user (activate=false) and a provisioned one (no password)', { timeout: 20_000 }, async () => {
  const staged = await client.userApi.createUser({ body: { profile: profile('bob') }, activate: false });
  assert.equal(staged.status, 'STAGED');
  const provisioned = await client.userApi.createUser({ body: { profile: profile('carol') }, activate: true });
  assert.equal(provisioned.status, 'PROVISIONED');
});

test('a duplicate login is refused: 400 E0000001 with the login cause', { timeout: 20_000 }, async () => {
  const sent = profile('dave');
  await client.userApi.createUser({ body: { profile: sent } });
  const again = { ...sent, login: sent.login.toUpperCase() };
  await assert.rejects(client.userApi.createUser({ body: { profile: again } }), (err) => {
    assert.ok(err instanceof okta.OktaApiError, `expected an OktaApiError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.status, 400);
    assert.equal(err.errorCode, 'E0000001');
    assert.equal(err.errorSummary, 'Api validation failed: login');
    assert.deepEqual(
      err.errorCauses.map((c) => c.errorSummary),
      ['login: An object with this field already exists in the current organization'],
    );
    return true;
  });
});

test('lists users a few at a time through the SDK collection, each exactly once', { timeout: 60_000 }, async () => {
  const created = new Set();
  for (let i = 0; i < 12; i++) {
    const u = await client.userApi.createUser({ body: { profile: profile(`page${i}`) } });
    created.add(u.id);
  }
  const seen = new Map();
  const collection = await client.userApi.listUsers({ limit: 5 });
  for await (const user of collection) {
    seen.set(user.id, (seen.get(user.id) ?? 0) + 1);
  }
  for (const id of created) {
    assert.equal(seen.get(id), 1, `user ${id} listed once`);
  }
  for (const [id, n] of seen) {
    assert.equal(n, 1, `user ${id} listed ${n} times`);
  }
  const pages = responses.filter((r) => r.method === 'GET' && r.url.includes('/api/v1/users') && r.url.includes('limit=5'));
  assert.ok(pages.length >= 3, `the SDK followed rel="next" (${pages.length} pages)`);

  // A search for what this run created, through the same collection.
  const found = [];
  for await (const user of await client.userApi.listUsers({ search: `profile.login sw "page1" and profile.department eq "E2E"`, limit: 2 })) {
    found.push(user.profile.login);
  }
  assert.deepEqual(found.sort(), [`page1.${run}@example.com`, `page10.${run}@example.com`, `page11.${run}@example.com`].sort());
});

test('deactivate then delete: DEPROVISIONED, then gone', { timeout: 20_000 }, async () => {
  const user = await client.userApi.createUser({ body: { profile: profile('erin'), credentials: { password: { value: PASSWORD } } } });
  await client.userApi.deactivateUser({ userId: user.id });
  assert.equal(lastResponse().status, 200, 'deactivate answers 200');
  const deactivated = await client.userApi.getUser({ userId: user.id });
  assert.equal(deactivated.status, 'DEPROVISIONED');

  await client.userApi.deleteUser({ userId: user.id });
  assert.equal(lastResponse().status, 204, 'delete answers 204');
  await assert.rejects(client.userApi.getUser({ userId: user.id }), (err) => {
    assert.equal(err.status, 404);
    assert.equal(err.errorCode, 'E0000007');
    return true;
  });
});
