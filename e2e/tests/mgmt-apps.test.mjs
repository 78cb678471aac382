// The Applications API (/api/v1/apps) driven by Okta's own management SDK, @okta/okta-sdk-nodejs.
// Reference: shared/reference/okta-api.md §4.0 (conventions, errors), §4.1 and §4.1.1 (OIDC apps).
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
let responses; // every HTTP response the SDK received: { method, url, status, contentType, body: Promise<string> }

before(async () => {
  await sesame.ready;
  // Built as a user would. This SDK has no HTTPS check to disable (an http:// orgUrl is accepted
  // as is: there is no `testing.disableHttpsCheck` in the Node SDK). Its response cache is on by
  // default (GETs of objects with a _links.self are answered from memory), so it is turned off
  // with the documented `cacheMiddleware: null`: every read below must reach the server.
  // authorizationMode is the default, stated so that OKTA_CLIENT_* variables cannot change it.
  client = new okta.Client({
    orgUrl: sesame.orgUrl,
    token: sesame.apiToken,
    authorizationMode: 'SSWS',
    cacheMiddleware: null,
  });
  // The SDK resolves deactivate and delete to undefined; the request executor's documented
  // 'request'/'response' events let us check the status codes and bodies on the wire.
  responses = [];
  let method = '';
  client.requestExecutor.on('request', (req) => {
    method = String(req.method).toUpperCase();
  });
  client.requestExecutor.on('response', (res) => {
    responses.push({
      method,
      url: res.url,
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: res.clone().text(),
    });
  });
});

const lastResponse = () => responses.at(-1);

// ---- request objects ----------------------------------------------------------------------

let seq = 0;
const unique = (label) => `${label} ${process.pid}-${++seq}`;

function spaApp(label = 'E2E SPA') {
  return {
    name: 'oidc_client',
    label,
    signOnMode: 'OPENID_CONNECT',
    credentials: {
      oauthClient: { token_endpoint_auth_method: 'none', pkce_required: true },
    },
    settings: {
      oauthClient: {
        application_type: 'browser',
        redirect_uris: ['http://127.0.0.1:9/callback'],
        post_logout_redirect_uris: ['http://127.0.0.1:9/'],
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        refresh_token: { rotation_type: 'ROTATE', leeway: 30 },
      },
    },
  };
}

function webApp(label) {
  return {
    name: 'oidc_client',
    label,
    signOnMode: 'OPENID_CONNECT',
    credentials: {
      oauthClient: { token_endpoint_auth_method: 'client_secret_basic' },
    },
    settings: {
      oauthClient: {
        application_type: 'web',
        redirect_uris: ['http://127.0.0.1:9/web/callback'],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    },
  };
}

// ---- helpers ------------------------------------------------------------------------------

// SDK model instances (with undefined properties and class prototypes) → plain JSON values.
const plain = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

const APP_ID = /^0oa[A-Za-z0-9]{17}$/;

// grant_types and response_types are sets (the Terraform provider models them as sets, redirect
// URIs as lists): compared without regard to order. Everything else is compared exactly.
const UNORDERED = new Set(['grant_types', 'response_types']);
const normalize = (key, v) => (UNORDERED.has(key) && Array.isArray(v) ? [...v].sort() : v);

function assertOauthField(got, key, sent, where) {
  assert.deepEqual(normalize(key, plain(got)), normalize(key, sent), where);
}

function assertTimestamp(value, what) {
  assert.ok(value instanceof Date && !Number.isNaN(value.getTime()), `${what} should be an ISO 8601 timestamp, got ${value}`);
}

// The settings and credentials we sent must come back unchanged.
function assertAsSent(app, sent) {
  assert.equal(app.name, sent.name, 'name');
  assert.equal(app.label, sent.label, 'label');
  assert.equal(app.signOnMode, sent.signOnMode, 'signOnMode');
  for (const [key, value] of Object.entries(sent.settings.oauthClient)) {
    assertOauthField(app.settings?.oauthClient?.[key], key, value, `settings.oauthClient.${key}`);
  }
  for (const [key, value] of Object.entries(sent.credentials.oauthClient)) {
    assert.deepEqual(plain(app.credentials?.oauthClient?.[key]), value, `credentials.oauthClient.${key}`);
  }
}

// An Okta error object (§4.0), as the SDK surfaces it: an OktaApiError with the HTTP status and
// the body's errorCode, errorSummary, errorLink, errorId and errorCauses.
async function assertOktaError(promise, { status, errorCode, summaryStartsWith, causes = false }) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof okta.OktaApiError, `expected an OktaApiError (a JSON error body), got ${err?.name}: ${err?.message}`);
    assert.equal(err.status, status, 'HTTP status');
    assert.equal(err.errorCode, errorCode, `errorCode (error was: ${err.message})`);
    assert.match(err.headers.get('content-type') ?? '', /^application\/json/, 'Content-Type of the error');
    assert.equal(typeof err.errorSummary, 'string');
    if (summaryStartsWith) {
      assert.ok(err.errorSummary.startsWith(summaryStartsWith), `errorSummary "${err.errorSummary}" should start with "${summaryStartsWith}"`);
    }
    assert.equal(typeof err.errorId, 'string', 'errorId');
    assert.ok(err.errorId.length > 0, 'errorId is not empty');
    if (causes) {
      assert.ok(Array.isArray(err.errorCauses) && err.errorCauses.length > 0, `errorCauses should list what failed, got ${JSON.stringify(err.errorCauses)}`);
      for (const cause of err.errorCauses) {
        assert.equal(typeof cause.errorSummary, 'string', 'errorCauses[].errorSummary');
      }
    }
    return true;
  });
}

// ---- tests --------------------------------------------------------------------------------

test('creates a browser (SPA) OIDC app and reads it back', { timeout: 10_000 }, async () => {
  const sent = spaApp();
  const created = await client.applicationApi.createApplication({ application: structuredClone(sent) });

  assert.equal(lastResponse().status, 200, 'POST /api/v1/apps answers 200');
  assert.match(created.id, APP_ID, 'id is 0oa + 17 base62 characters');
  assert.equal(created.id.length, 20);
  assert.equal(created.status, 'ACTIVE', 'apps are activated on create by default');
  assert.equal(created.credentials?.oauthClient?.client_id, created.id, 'client_id defaults to the app id');
  assertAsSent(created, sent);
  assertTimestamp(created.created, 'created');
  assertTimestamp(created.lastUpdated, 'lastUpdated');

  const read = await client.applicationApi.getApplication({ appId: created.id });
  assert.equal(lastResponse().method, 'GET');
  assert.equal(lastResponse().status, 200);
  assert.equal(read.id, created.id);
  assert.equal(read.status, 'ACTIVE');
  assert.equal(read.credentials?.oauthClient?.client_id, created.id);
  const so = sent.settings.oauthClient;
  assert.equal(read.label, sent.label, 'label');
  assert.equal(read.signOnMode, sent.signOnMode, 'signOnMode');
  assert.equal(read.settings?.oauthClient?.application_type, so.application_type, 'application_type');
  assert.deepEqual(plain(read.settings?.oauthClient?.redirect_uris), so.redirect_uris, 'redirect_uris');
  assert.deepEqual(plain(read.settings?.oauthClient?.post_logout_redirect_uris), so.post_logout_redirect_uris, 'post_logout_redirect_uris');
  assertOauthField(read.settings?.oauthClient?.response_types, 'response_types', so.response_types, 'response_types');
  assertOauthField(read.settings?.oauthClient?.grant_types, 'grant_types', so.grant_types, 'grant_types');
  assert.equal(read.settings?.oauthClient?.refresh_token?.rotation_type, so.refresh_token.rotation_type, 'refresh_token.rotation_type');
  assert.equal(read.settings?.oauthClient?.refresh_token?.leeway, so.refresh_token.leeway, 'refresh_token.leeway');
  assertAsSent(read, sent);
  assert.equal(read.credentials?.oauthClient?.client_secret ?? undefined, undefined, 'a public client has no secret');
});

test('a web app with client_secret_basic gets a secret shown on create only', { timeout: 10_000 }, async () => {
  const sent = webApp(unique('E2E Web'));
  const created = await client.applicationApi.createApplication({ application: structuredClone(sent) });

  assert.match(created.id, APP_ID);
  assert.equal(created.status, 'ACTIVE');
  assertAsSent(created, sent);
  const secret = created.credentials?.oauthClient?.client_secret;
  assert.equal(typeof secret, 'string', 'the create response carries the generated client_secret');
  assert.ok(secret.length > 0, 'client_secret is not empty');

  const read = await client.applicationApi.getApplication({ appId: created.id });
  assert.equal(lastResponse().status, 200);
  assertAsSent(read, sent);
  assert.equal(read.credentials?.oauthClient?.client_secret ?? undefined, undefined, 'GET never returns client_secret');
  assert.ok(!(await lastResponse().body).includes(secret), 'the secret appears nowhere in the GET response');
});

test('an app without a label is refused: 400 E0000001', { timeout: 10_000 }, async () => {
  const app = spaApp();
  delete app.label;
  await assertOktaError(client.applicationApi.createApplication({ application: app }), {
    status: 400,
    errorCode: 'E0000001',
    summaryStartsWith: 'Api validation failed',
    causes: true,
  });
});

test('a browser app cannot use client_secret_post: 400 E0000001', { timeout: 10_000 }, async () => {
  const app = spaApp(unique('E2E bad SPA'));
  app.credentials.oauthClient = { token_endpoint_auth_method: 'client_secret_post' };
  await assertOktaError(client.applicationApi.createApplication({ application: app }), {
    status: 400,
    errorCode: 'E0000001',
    summaryStartsWith: 'Api validation failed',
    causes: true,
  });
});

test('an unknown app id: 404 E0000007', { timeout: 10_000 }, async () => {
  await assertOktaError(client.applicationApi.getApplication({ appId: '0oaE2eNotThere000000' }), {
    status: 404,
    errorCode: 'E0000007',
    summaryStartsWith: 'Not found',
  });
});

test('an ACTIVE app cannot be deleted: 403 E0000056', { timeout: 10_000 }, async () => {
  const created = await client.applicationApi.createApplication({ application: spaApp(unique('E2E active')) });
  await assertOktaError(client.applicationApi.deleteApplication({ appId: created.id }), {
    status: 403,
    errorCode: 'E0000056',
  });
  const read = await client.applicationApi.getApplication({ appId: created.id });
  assert.equal(read.status, 'ACTIVE', 'the app is still there and active');
});

test('deactivate (200 {}) then delete (204); the app is gone', { timeout: 10_000 }, async () => {
  const created = await client.applicationApi.createApplication({ application: spaApp(unique('E2E doomed')) });
  const appId = created.id;

  await client.applicationApi.deactivateApplication({ appId });
  const deactivated = lastResponse();
  assert.equal(deactivated.method, 'POST');
  assert.ok(deactivated.url.endsWith(`/api/v1/apps/${appId}/lifecycle/deactivate`), deactivated.url);
  assert.equal(deactivated.status, 200, 'deactivate answers 200');
  assert.match(deactivated.contentType ?? '', /^application\/json/, 'deactivate answers JSON');
  assert.deepEqual(JSON.parse(await deactivated.body), {}, 'deactivate answers {}');

  const inactive = await client.applicationApi.getApplication({ appId });
  assert.equal(inactive.status, 'INACTIVE');

  await client.applicationApi.deleteApplication({ appId });
  const deleted = lastResponse();
  assert.equal(deleted.method, 'DELETE');
  assert.equal(deleted.status, 204, 'delete answers 204');
  assert.equal(await deleted.body, '', '204 has no body');

  await assertOktaError(client.applicationApi.getApplication({ appId }), { status: 404, errorCode: 'E0000007' });
});
