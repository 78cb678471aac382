// Access policies and rules of a custom authorization server (/api/v1/authorizationServers/{id}/policies)
// driven by Okta's own management SDK, @okta/okta-sdk-nodejs.
// Reference: shared/reference/okta-api.md §4.5 (policies), §4.6 (rules).
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

let client;
let statuses; // HTTP status of every response the SDK received
let bodies; // and its body (the SDK's models drop members they do not know, such as users.exclude)

before(async () => {
  await sesame.ready;
  client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
  statuses = [];
  bodies = [];
  client.requestExecutor.on('response', (res) => {
    statuses.push(res.status);
    bodies.push(res.clone().text());
  });
});

const authServerId = 'default';
const api = () => client.authorizationServerApi;

async function names() {
  const out = [];
  for await (const p of await api().listAuthorizationServerPolicies({ authServerId })) {
    out.push(`${p.name}:${p.priority}`);
  }
  return out;
}

test('policies: create, insert by priority, replace, lifecycle, delete', async () => {
  const before = await names();
  const request = {
    type: 'OAUTH_AUTHORIZATION_POLICY',
    name: `e2e policy ${process.pid}`,
    description: 'made by the Node SDK',
    priority: 1,
    conditions: { clients: { include: ['ALL_CLIENTS'] } },
  };
  const created = await api().createAuthorizationServerPolicy({ authServerId, policy: request });
  assert.equal(statuses.at(-1), 201);
  assert.match(created.id, /^00p/);
  assert.equal(created.name, request.name);
  assert.equal(created.priority, 1);
  assert.equal(created.status, 'ACTIVE');
  assert.equal(created.system, false);
  assert.deepEqual(created.conditions.clients.include, ['ALL_CLIENTS']);

  // Everything that was there moved down by one.
  const after = await names();
  assert.deepEqual(after, [`${request.name}:1`, ...before.map((n) => n.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`))]);

  const replaced = await api().replaceAuthorizationServerPolicy({
    authServerId, policyId: created.id, policy: { ...request, name: `${request.name} v2`, priority: before.length + 1 },
  });
  assert.equal(statuses.at(-1), 200);
  assert.equal(replaced.priority, before.length + 1);
  assert.equal((await api().getAuthorizationServerPolicy({ authServerId, policyId: created.id })).name, `${request.name} v2`);

  await api().deactivateAuthorizationServerPolicy({ authServerId, policyId: created.id });
  assert.equal(statuses.at(-1), 204);
  assert.equal((await api().getAuthorizationServerPolicy({ authServerId, policyId: created.id })).status, 'INACTIVE');
  await api().activateAuthorizationServerPolicy({ authServerId, policyId: created.id });
  assert.equal(statuses.at(-1), 204);

  // A rule with Terraform-style empty objects.
  const rule = {
    type: 'RESOURCE_ACCESS',
    name: 'e2e rule',
    conditions: {
      people: { users: {}, groups: { include: ['EVERYONE'] } },
      grantTypes: { include: ['client_credentials'] },
      scopes: { include: ['*'] },
    },
    actions: { token: { accessTokenLifetimeMinutes: 15, refreshTokenLifetimeMinutes: 0, refreshTokenWindowMinutes: 10080 } },
  };
  const r = await api().createAuthorizationServerPolicyRule({ authServerId, policyId: created.id, policyRule: rule });
  assert.equal(statuses.at(-1), 201);
  assert.match(r.id, /^0pr/);
  assert.equal(r.priority, 1);
  assert.equal(r.actions.token.accessTokenLifetimeMinutes, 15);
  assert.deepEqual(r.conditions.grantTypes.include, rule.conditions.grantTypes.include);
  // Okta's normalization of an empty users object, seen on the wire.
  assert.deepEqual(JSON.parse(await bodies.at(-1)).conditions.people.users, { exclude: [] });

  const rules = [];
  for await (const x of await api().listAuthorizationServerPolicyRules({ authServerId, policyId: created.id })) rules.push(x.id);
  assert.deepEqual(rules, [r.id]);

  await assert.rejects(
    api().createAuthorizationServerPolicyRule({
      authServerId, policyId: created.id,
      policyRule: { ...rule, actions: { token: { accessTokenLifetimeMinutes: 2 } } },
    }),
    (err) => err.status === 400 && err.errorCode === 'E0000001',
  );

  await api().deleteAuthorizationServerPolicyRule({ authServerId, policyId: created.id, ruleId: r.id });
  assert.equal(statuses.at(-1), 204);
  await api().deleteAuthorizationServerPolicy({ authServerId, policyId: created.id });
  assert.equal(statuses.at(-1), 204);
  assert.deepEqual(await names(), before);
  await assert.rejects(
    api().getAuthorizationServerPolicy({ authServerId, policyId: created.id }),
    (err) => err.status === 404 && err.errorCode === 'E0000007',
  );
});
