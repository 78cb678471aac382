// Steps 4–7 of OpenMetadata's Okta guide, done the way automation does them: through Okta's own
// management SDK (@okta/okta-sdk-nodejs). A custom authorization server with an audience and the
// issuer mode "Okta URL", a default scope, a claim, an access policy for one client with rules for
// client credentials; then the tokens carry exactly what was configured, and reordering the rules
// changes which one wins.
//
// Expected values come from the requests below, never from a response.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame } from '../lib/sesame.mjs';

const sesame = useSesame();

// The SDK would send loopback requests through a configured proxy.
delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

let client;
before(async () => {
  await sesame.ready;
  client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
});

function claimsOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

async function clientCredentials(serverId, clientId, secret, scope) {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope) body.set('scope', scope);
  const res = await fetch(`${sesame.orgUrl}/oauth2/${serverId}/v1/token`, {
    method: 'POST',
    headers: {
      Authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body,
  });
  return { status: res.status, json: await res.json() };
}

test('a custom authorization server like the guide issues exactly what it is configured to', { timeout: 30_000 }, async () => {
  const api = client.authorizationServerApi;

  // A confidential client that may use client credentials.
  const app = await client.applicationApi.createApplication({
    application: {
      name: 'oidc_client',
      label: `Ingestion ${process.pid}`,
      signOnMode: 'OPENID_CONNECT',
      credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_basic' } },
      settings: {
        oauthClient: {
          application_type: 'web',
          redirect_uris: ['http://127.0.0.1:9/callback'],
          response_types: ['code'],
          grant_types: ['authorization_code', 'client_credentials'],
        },
      },
    },
  });
  const clientId = app.credentials.oauthClient.client_id;
  const secret = app.credentials.oauthClient.client_secret;

  const serverRequest = { name: `OpenMetadata ${process.pid}`, description: 'the guide, step 4', audiences: ['api://openmetadata'], issuerMode: 'ORG_URL' };
  const server = await api.createAuthorizationServer({ authorizationServer: serverRequest });
  assert.match(server.id, /^aus/);
  assert.deepEqual(server.audiences, serverRequest.audiences);
  assert.equal(server.issuer, `${sesame.orgUrl}/oauth2/${server.id}`);
  assert.equal(server.issuerMode, serverRequest.issuerMode);

  // The SDK's model names the "default" member _default.
  const scopeRequest = { name: 'om:ingest', description: 'the guide, step 5', _default: true, metadataPublish: 'ALL_CLIENTS' };
  await api.createOAuth2Scope({ authServerId: server.id, oAuth2Scope: scopeRequest });
  const claimRequest = {
    name: 'principal', status: 'ACTIVE', claimType: 'RESOURCE', valueType: 'EXPRESSION',
    value: 'app.clientId + "@ingestion"', alwaysIncludeInToken: true, conditions: { scopes: [] },
  };
  await api.createOAuth2Claim({ authServerId: server.id, oAuth2Claim: claimRequest });

  const policy = await api.createAuthorizationServerPolicy({
    authServerId: server.id,
    policy: { type: 'OAUTH_AUTHORIZATION_POLICY', name: 'Ingestion', description: 'the guide, step 6', priority: 1, conditions: { clients: { include: [clientId] } } },
  });
  const rule = (name, priority, minutes) => ({
    type: 'RESOURCE_ACCESS', name, priority,
    conditions: { people: { groups: { include: ['EVERYONE'] } }, grantTypes: { include: ['client_credentials'] }, scopes: { include: ['*'] } },
    actions: { token: { accessTokenLifetimeMinutes: minutes, refreshTokenLifetimeMinutes: 0, refreshTokenWindowMinutes: 10080 } },
  });
  const short = rule('Short-lived', 1, 15);
  const long = rule('Long-lived', 2, 30);
  await api.createAuthorizationServerPolicyRule({ authServerId: server.id, policyId: policy.id, policyRule: short });
  const longRule = await api.createAuthorizationServerPolicyRule({ authServerId: server.id, policyId: policy.id, policyRule: long });

  // No scope asked: the default scope; the first rule's lifetime; the claim.
  let res = await clientCredentials(server.id, clientId, secret);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.scope, scopeRequest.name);
  assert.equal(res.json.expires_in, short.actions.token.accessTokenLifetimeMinutes * 60);
  let claims = claimsOf(res.json.access_token);
  assert.equal(claims.iss, server.issuer);
  assert.equal(claims.aud, serverRequest.audiences[0]);
  assert.deepEqual(claims.scp, [scopeRequest.name]);
  assert.equal(claims.sub, clientId);
  assert.equal(claims.principal, `${clientId}@ingestion`);
  assert.equal(claims.exp - claims.iat, short.actions.token.accessTokenLifetimeMinutes * 60);

  // A scope the server does not have is refused with Okta's text.
  res = await clientCredentials(server.id, clientId, secret, 'om:admin');
  assert.equal(res.status, 400);
  assert.equal(res.json.error, 'invalid_scope');
  assert.equal(res.json.error_description, 'One or more scopes are not configured for the authorization server resource.');

  // Move the long-lived rule to the top: it wins now.
  await api.replaceAuthorizationServerPolicyRule({ authServerId: server.id, policyId: policy.id, ruleId: longRule.id, policyRule: { ...long, priority: 1 } });
  res = await clientCredentials(server.id, clientId, secret);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  claims = claimsOf(res.json.access_token);
  assert.equal(claims.exp - claims.iat, long.actions.token.accessTokenLifetimeMinutes * 60);

  // Discovery publishes the scope, as the guide's client expects.
  const discovery = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json();
  assert.equal(discovery.issuer, server.issuer);
  assert.ok(discovery.scopes_supported.includes(scopeRequest.name));
});
