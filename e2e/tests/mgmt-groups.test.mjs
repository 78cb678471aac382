// The Groups API (/api/v1/groups) and app group assignments driven by Okta's own management SDK,
// @okta/okta-sdk-nodejs, the way an administrator's script would use them.
// Reference: shared/reference/okta-api.md §4.8 (groups), §4.1.2 (app assignments), §6.5 (Terraform).
//
// Expected values come from the request objects below, never from a response.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame } from '../lib/sesame.mjs';

const sesame = useSesame();

// The SDK sends every request through $https_proxy when set, even to loopback.
delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

let client;
let statuses; // [method, status] of every response the SDK received

before(async () => {
  await sesame.ready;
  // cacheMiddleware: null so that every read reaches the server (see mgmt-apps.test.mjs).
  client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
  statuses = [];
  let method = '';
  client.requestExecutor.on('request', (req) => {
    method = String(req.method).toUpperCase();
  });
  client.requestExecutor.on('response', (res) => {
    statuses.push([method, res.status]);
  });
});

const last = () => statuses.at(-1);
const GROUP_ID = /^00g[0-9A-Za-z]{17}$/;
let seq = 0;
const unique = (name) => `${name} ${process.pid}-${++seq}`;

async function all(collectionPromise) {
  const out = [];
  for await (const item of await collectionPromise) {
    out.push(item);
  }
  return out;
}

async function assertOktaError(promise, status, errorCode) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof okta.OktaApiError, `expected an OktaApiError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.status, status, 'HTTP status');
    assert.equal(err.errorCode, errorCode, `errorCode (error was: ${err.message})`);
    return true;
  });
}

function spaApp(label) {
  return {
    name: 'oidc_client',
    label,
    signOnMode: 'OPENID_CONNECT',
    credentials: { oauthClient: { token_endpoint_auth_method: 'none', pkce_required: true } },
    settings: {
      oauthClient: {
        application_type: 'browser',
        redirect_uris: ['http://127.0.0.1:9/callback'],
        response_types: ['code'],
        grant_types: ['authorization_code'],
      },
    },
  };
}

test('finds the built-in Everyone group as Terraform does', { timeout: 10_000 }, async () => {
  const found = await all(client.groupApi.listGroups({ q: 'Everyone' }));
  assert.equal(last()[1], 200);
  assert.equal(found.length, 1);
  assert.equal(found[0].profile.name, 'Everyone');
  assert.equal(found[0].type, 'BUILT_IN');
  assert.match(found[0].id, GROUP_ID);
  await assertOktaError(client.groupApi.deleteGroup({ groupId: found[0].id }), 403, 'E0000006');
});

test('creates, reads, renames and deletes a group', { timeout: 10_000 }, async () => {
  const sent = { profile: { name: unique('Data team'), description: 'Reads the catalogue' } };
  const created = await client.groupApi.createGroup({ group: structuredClone(sent) });
  assert.deepEqual(last(), ['POST', 200]);
  assert.match(created.id, GROUP_ID);
  assert.equal(created.type, 'OKTA_GROUP');
  assert.equal(created.profile.name, sent.profile.name);
  assert.equal(created.profile.description, sent.profile.description);
  assert.ok(!Number.isNaN(Date.parse(created.lastMembershipUpdated)), 'lastMembershipUpdated is a timestamp');

  const read = await client.groupApi.getGroup({ groupId: created.id });
  assert.equal(read.profile.name, sent.profile.name);

  await assertOktaError(client.groupApi.createGroup({ group: structuredClone(sent) }), 400, 'E0000001');

  const renamed = { profile: { name: unique('Data platform'), description: 'Owns the catalogue' } };
  const replaced = await client.groupApi.replaceGroup({ groupId: created.id, group: structuredClone(renamed) });
  assert.deepEqual(last(), ['PUT', 200]);
  assert.equal(replaced.profile.name, renamed.profile.name);

  const byPrefix = await all(client.groupApi.listGroups({ q: renamed.profile.name.slice(0, 8).toUpperCase() }));
  assert.ok(byPrefix.some((g) => g.id === created.id), 'q is a case-insensitive prefix of the name');
  const byFilter = await all(client.groupApi.listGroups({ filter: `id eq "${created.id}"` }));
  assert.deepEqual(byFilter.map((g) => g.id), [created.id]);

  await client.groupApi.deleteGroup({ groupId: created.id });
  assert.deepEqual(last(), ['DELETE', 204]);
  await assertOktaError(client.groupApi.getGroup({ groupId: created.id }), 404, 'E0000007');
});

test('lists every group across pages', { timeout: 20_000 }, async () => {
  const made = [];
  for (let i = 0; i < 5; i++) {
    made.push((await client.groupApi.createGroup({ group: { profile: { name: unique('Paged') } } })).id);
  }
  const seen = await all(client.groupApi.listGroups({ limit: 2 }));
  const ids = seen.map((g) => g.id);
  assert.equal(new Set(ids).size, ids.length, 'no group twice');
  for (const id of made) {
    assert.ok(ids.includes(id), `${id} listed`);
  }
});

test('assigns a group to an OIDC app and lists the app groups', { timeout: 10_000 }, async () => {
  const app = await client.applicationApi.createApplication({ application: spaApp(unique('Assigned SPA')) });
  const group = await client.groupApi.createGroup({ group: { profile: { name: unique('SPA users') } } });

  const assignment = await client.applicationApi.assignGroupToApplication({
    appId: app.id,
    groupId: group.id,
    applicationGroupAssignment: { priority: 2 },
  });
  assert.deepEqual(last(), ['PUT', 200]);
  assert.equal(assignment.id, group.id);
  assert.equal(assignment.priority, 2);

  const everyone = (await all(client.groupApi.listGroups({ q: 'Everyone' })))[0];
  await client.applicationApi.assignGroupToApplication({ appId: app.id, groupId: everyone.id, applicationGroupAssignment: {} });
  assert.deepEqual(last(), ['PUT', 200]);

  const listed = await all(client.applicationApi.listApplicationGroupAssignments({ appId: app.id, limit: 1 }));
  assert.deepEqual(listed.map((a) => a.id).sort(), [group.id, everyone.id].sort());

  const one = await client.applicationApi.getApplicationGroupAssignment({ appId: app.id, groupId: group.id });
  assert.equal(one.priority, 2);

  await client.applicationApi.unassignApplicationFromGroup({ appId: app.id, groupId: group.id });
  assert.deepEqual(last(), ['DELETE', 204]);
  await assertOktaError(client.applicationApi.getApplicationGroupAssignment({ appId: app.id, groupId: group.id }), 404, 'E0000007');
  await assertOktaError(
    client.applicationApi.assignGroupToApplication({ appId: app.id, groupId: '00gnotagroup000000000', applicationGroupAssignment: {} }),
    404,
    'E0000007',
  );
});
