// The System Log (/api/v1/logs) read through Okta's own management SDK, @okta/okta-sdk-nodejs,
// after the SDK made the changes it should record. Reference: shared/reference/okta-api.md §4.0
// (Link headers), §4.12 (System Log).
//
// Expected values come from what the test created (app ids, labels), never from a log response.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame } from '../lib/sesame.mjs';

const sesame = useSesame();

// The SDK sends every request through $https_proxy when one is set; these tests talk to loopback.
delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

let client;

before(async () => {
  await sesame.ready;
  client = new okta.Client({
    orgUrl: sesame.orgUrl,
    token: sesame.apiToken,
    authorizationMode: 'SSWS',
    cacheMiddleware: null,
  });
});

// readLog collects a bounded query (until is set, so the SDK's collection ends when the server
// stops sending rel="next"); a polling query would page forever by design.
async function readLog(params) {
  const events = [];
  const collection = await client.systemLogApi.listLogEvents(params);
  for await (const e of collection) {
    events.push(e);
    assert.ok(events.length < 10000, 'the collection does not end');
  }
  return events;
}

const window = (startedAt) => ({
  since: new Date(startedAt - 60_000).toISOString(),
  until: new Date(Date.now() + 60_000).toISOString(),
});

test('creating and deleting an app is in the System Log, read through the SDK', async () => {
  const startedAt = Date.now();
  const label = `E2E log ${process.pid}`;
  const app = await client.applicationApi.createApplication({
    application: {
      name: 'oidc_client',
      label,
      signOnMode: 'OPENID_CONNECT',
      credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_basic' } },
      settings: {
        oauthClient: {
          application_type: 'service',
          grant_types: ['client_credentials'],
          response_types: ['token'],
        },
      },
    },
  });
  await client.applicationApi.deactivateApplication({ appId: app.id });
  await client.applicationApi.deleteApplication({ appId: app.id });

  // Every event of the app, found by target, in publication order; pages of 2 make the SDK
  // follow rel="next" links.
  const events = await readLog({ ...window(startedAt), filter: `target.id eq "${app.id}"`, limit: 2 });
  assert.deepEqual(
    events.map((e) => e.eventType),
    ['application.lifecycle.create', 'application.lifecycle.deactivate', 'application.lifecycle.delete'],
  );
  const uuids = new Set();
  for (const e of events) {
    assert.ok(!uuids.has(e.uuid), `event ${e.uuid} listed twice`);
    uuids.add(e.uuid);
    assert.equal(e.outcome.result, 'SUCCESS');
    assert.equal(e.severity, 'INFO');
    assert.equal(e.target[0].id, app.id);
    assert.equal(e.target[0].displayName, label);
    assert.equal(e.actor.type, 'User');
    assert.ok(e.published instanceof Date || typeof e.published === 'string', 'published is a timestamp');
  }

  // The same through an eventType filter and a keyword search, newest first.
  const deletes = await readLog({ ...window(startedAt), filter: 'eventType eq "application.lifecycle.delete"' });
  assert.ok(deletes.some((e) => e.target[0].id === app.id), 'the delete event is found by event type');
  const found = await readLog({ ...window(startedAt), q: app.id, sortOrder: 'DESCENDING' });
  assert.deepEqual(found.map((e) => e.uuid), events.map((e) => e.uuid).reverse());
});

test('a bad System Log query is an Okta error the SDK raises', async () => {
  // The collection sends its first request when iterated.
  await assert.rejects(readLog({ since: 'not a date' }), (err) => {
    assert.ok(err instanceof okta.OktaApiError, `expected an OktaApiError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.status, 400);
    assert.equal(err.errorCode, 'E0000001');
    return true;
  });
});
