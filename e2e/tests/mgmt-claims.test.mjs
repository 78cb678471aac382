// Authorization server claims (/api/v1/authorizationServers/{id}/claims) driven by Okta's own
// management SDK, @okta/okta-sdk-nodejs. Reference: shared/reference/okta-api.md §4.4.
//
// Expected values always come from the request objects below, never from a response.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame } from '../lib/sesame.mjs';

const sesame = useSesame();

// The SDK would send loopback requests through a configured proxy.
delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

let api;

before(async () => {
  await sesame.ready;
  const client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
  api = client.authorizationServerApi;
});

test('claim CRUD through the SDK', async () => {
  const authServerId = 'default';
  const request = { name: 'svc', status: 'ACTIVE', claimType: 'RESOURCE', valueType: 'EXPRESSION', value: 'app.clientId + "@svc"', conditions: { scopes: [] } };
  const created = await api.createOAuth2Claim({ authServerId, oAuth2Claim: request });
  assert.match(created.id, /^ocl/);
  assert.equal(created.name, request.name);
  assert.equal(created.value, request.value);
  assert.equal(created.claimType, request.claimType);
  assert.equal(created.alwaysIncludeInToken, true);
  assert.deepEqual(created.conditions.scopes, []);

  const got = await api.getOAuth2Claim({ authServerId, claimId: created.id });
  assert.equal(got.value, request.value);

  const names = [];
  for await (const c of await api.listOAuth2Claims({ authServerId })) names.push(c.name);
  assert.ok(names.includes(request.name), `listed: ${names}`);

  const replaced = await api.replaceOAuth2Claim({ authServerId, claimId: created.id, oAuth2Claim: { ...request, status: 'INACTIVE', value: 'org.name' } });
  assert.equal(replaced.status, 'INACTIVE');
  assert.equal(replaced.value, 'org.name');

  await api.deleteOAuth2Claim({ authServerId, claimId: created.id });
  await assert.rejects(api.getOAuth2Claim({ authServerId, claimId: created.id }), (err) => err.status === 404 && err.errorCode === 'E0000007');
});

test('an invalid expression is rejected with its position', async () => {
  const bad = { name: 'bad', claimType: 'RESOURCE', valueType: 'EXPRESSION', value: 'user.email +' };
  await assert.rejects(api.createOAuth2Claim({ authServerId: 'default', oAuth2Claim: bad }), (err) => {
    assert.equal(err.status, 400);
    assert.equal(err.errorCode, 'E0000001');
    // 'user.email +' is 12 characters; the missing operand is at position 13.
    assert.ok(err.errorCauses.some((c) => c.errorSummary.startsWith('value: Invalid expression at position 13')), JSON.stringify(err.errorCauses));
    return true;
  });
});
