// Issue 5's end-to-end case, through Okta's management SDK and a real browser: a custom
// authorization server like OpenMetadata's guide has it — audience = the single-page app's client
// id, issuer mode ORG_URL, a default scope, an expression claim and a groups claim — with one access
// policy for two clients (the SPA and an ingestion service app) and one rule per grant type. The
// SPA signs in with okta-auth-js 7 in Chromium and the service app uses client credentials; each
// token carries exactly the scopes, claims and lifetime its rule configures, and moving a rule to
// the top changes which one wins.
//
// Expected values come from the requests below, never from a response.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';
import { useSpa } from '../lib/spa.mjs';
import { decodeJwtPart, signInFlow } from '../lib/signin.mjs';

const sesame = useSesame();
const browser = useBrowser();
const spa = useSpa();

delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

const run = `${process.pid}-${Date.now().toString(36)}`;
let client;

before(async () => {
  await Promise.all([sesame.ready, spa.ready]);
  client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
}, { timeout: 60_000 });

async function clientCredentials(issuer, clientId, secret) {
  const res = await fetch(`${issuer}/v1/token`, {
    method: 'POST',
    headers: {
      Authorization: 'Basic ' + Buffer.from(`${clientId}:${secret}`).toString('base64'),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return { status: res.status, json: await res.json() };
}

test('a guide-style server gives the SPA and the service app exactly what their rules say', { timeout: 120_000 }, async () => {
  const apps = client.applicationApi;
  const api = client.authorizationServerApi;

  const spaApp = await apps.createApplication({
    application: {
      name: 'oidc_client', label: `OpenMetadata UI ${run}`, signOnMode: 'OPENID_CONNECT',
      credentials: { oauthClient: { token_endpoint_auth_method: 'none', pkce_required: true } },
      settings: {
        oauthClient: {
          application_type: 'browser',
          redirect_uris: [`${spa.origin}/callback`, `${spa.origin}/silent-callback`],
          post_logout_redirect_uris: [`${spa.origin}/`],
          response_types: ['code'],
          grant_types: ['authorization_code', 'refresh_token'],
          refresh_token: { rotation_type: 'ROTATE', leeway: 30 },
          consent_method: 'TRUSTED',
        },
      },
    },
  });
  const spaClientId = spaApp.credentials.oauthClient.client_id;
  const botApp = await apps.createApplication({
    application: {
      name: 'oidc_client', label: `Ingestion ${run}`, signOnMode: 'OPENID_CONNECT',
      credentials: { oauthClient: { token_endpoint_auth_method: 'client_secret_basic' } },
      settings: { oauthClient: { application_type: 'service', response_types: ['token'], grant_types: ['client_credentials'] } },
    },
  });
  const botClientId = botApp.credentials.oauthClient.client_id;
  await client.trustedOriginApi.createTrustedOrigin({
    trustedOrigin: { name: `Guide SPA ${run}`, origin: spa.origin, scopes: [{ type: 'CORS' }, { type: 'REDIRECT' }] },
  });

  // A person in a group whose name the groups claim matches, and one group it does not.
  const login = `dana.${run}@example.com`;
  const password = `${crypto.randomBytes(12).toString('base64url')}-Aa9`;
  const user = await client.userApi.createUser({
    body: { profile: { firstName: 'Dana', lastName: 'Guide', email: login, login, department: 'data' }, credentials: { password: { value: password } } },
    activate: true,
  });
  const metaGroup = await client.groupApi.createGroup({ group: { profile: { name: `om-stewards-${run}` } } });
  const otherGroup = await client.groupApi.createGroup({ group: { profile: { name: `finance-${run}` } } });
  for (const g of [metaGroup, otherGroup]) await client.groupApi.assignUserToGroup({ groupId: g.id, userId: user.id });
  await apps.assignUserToApplication({ appId: spaApp.id, appUser: { id: user.id } });

  const serverRequest = { name: `OpenMetadata ${run}`, description: 'the guide, step 4', audiences: [spaClientId], issuerMode: 'ORG_URL' };
  const server = await api.createAuthorizationServer({ authorizationServer: serverRequest });
  const issuer = server.issuer;
  assert.equal(issuer, `${sesame.orgUrl}/oauth2/${server.id}`);
  const scopeRequest = { name: 'om:api', description: 'the guide, step 5', _default: true, metadataPublish: 'ALL_CLIENTS' };
  await api.createOAuth2Scope({ authServerId: server.id, oAuth2Scope: scopeRequest });
  const exprClaim = {
    name: 'om_role', status: 'ACTIVE', claimType: 'RESOURCE', valueType: 'EXPRESSION',
    value: '(appuser != null) ? String.toUpperCase(user.department) : app.clientId', alwaysIncludeInToken: true, conditions: { scopes: [] },
  };
  const groupsClaim = {
    name: 'groups', status: 'ACTIVE', claimType: 'IDENTITY', valueType: 'GROUPS', group_filter_type: 'STARTS_WITH',
    value: 'om-', alwaysIncludeInToken: true, conditions: { scopes: [] },
  };
  await api.createOAuth2Claim({ authServerId: server.id, oAuth2Claim: exprClaim });
  await api.createOAuth2Claim({ authServerId: server.id, oAuth2Claim: groupsClaim });

  const policy = await api.createAuthorizationServerPolicy({
    authServerId: server.id,
    policy: { type: 'OAUTH_AUTHORIZATION_POLICY', name: 'OpenMetadata', description: 'the guide, step 6', priority: 1, conditions: { clients: { include: [spaClientId, botClientId] } } },
  });
  const rule = (name, priority, grants, minutes) => ({
    type: 'RESOURCE_ACCESS', name, priority,
    conditions: { people: { groups: { include: ['EVERYONE'] } }, grantTypes: { include: grants }, scopes: { include: ['*'] } },
    actions: { token: { accessTokenLifetimeMinutes: minutes, refreshTokenLifetimeMinutes: 0, refreshTokenWindowMinutes: 10080 } },
  });
  const ccRule = rule('Ingestion', 1, ['client_credentials'], 15);
  const codeRule = rule('People', 2, ['authorization_code'], 45);
  const anyRule = rule('Everything', 3, ['client_credentials', 'authorization_code'], 5);
  await api.createAuthorizationServerPolicyRule({ authServerId: server.id, policyId: policy.id, policyRule: ccRule });
  await api.createAuthorizationServerPolicyRule({ authServerId: server.id, policyId: policy.id, policyRule: codeRule });
  const anyCreated = await api.createAuthorizationServerPolicyRule({ authServerId: server.id, policyId: policy.id, policyRule: anyRule });

  // The service app: the default scope, the cc rule's lifetime, the expression claim's app branch.
  let res = await clientCredentials(issuer, botClientId, botApp.credentials.oauthClient.client_secret);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  let at = decodeJwtPart(res.json.access_token, 1);
  assert.equal(at.iss, issuer);
  assert.equal(at.aud, spaClientId);
  assert.deepEqual(at.scp, [scopeRequest.name]);
  assert.equal(at.om_role, botClientId);
  assert.equal(at.exp - at.iat, ccRule.actions.token.accessTokenLifetimeMinutes * 60);

  // The SPA: okta-auth-js in Chromium against the new issuer.
  const scopes = ['openid', 'profile', 'email', 'offline_access', scopeRequest.name];
  const flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: (c) => spa.url(c) });
  const { page } = await browser.newPage();
  await flow.goToSignIn(page, { issuer, clientId: spaClientId, scopes: scopes.join(' ') });
  await flow.submitCredentials(page, login, password);
  const back = await flow.expectCallback(page);
  assert.equal(back.searchParams.get('error'), null, back.searchParams.get('error_description'));
  const done = await page.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
  assert.equal(done.ok, true, JSON.stringify(done.error));
  const tokens = await page.evaluate(() => spa.tokens());
  at = decodeJwtPart(tokens.accessToken.accessToken, 1);
  const id = tokens.idToken.claims;
  assert.equal(at.iss, issuer);
  assert.equal(at.aud, spaClientId);
  assert.deepEqual(at.scp, scopes);
  assert.equal(at.uid, user.id);
  assert.equal(at.sub, login);
  assert.equal(at.om_role, 'DATA');
  assert.equal(at.exp - at.iat, codeRule.actions.token.accessTokenLifetimeMinutes * 60);
  assert.equal(id.iss, issuer);
  assert.equal(id.aud, spaClientId);
  assert.equal(id.email, login);
  assert.deepEqual(id.groups, [metaGroup.profile.name]);

  // Move the catch-all rule to the top: it wins for both clients now.
  await api.replaceAuthorizationServerPolicyRule({ authServerId: server.id, policyId: policy.id, ruleId: anyCreated.id, policyRule: { ...anyRule, priority: 1 } });
  res = await clientCredentials(issuer, botClientId, botApp.credentials.oauthClient.client_secret);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  at = decodeJwtPart(res.json.access_token, 1);
  assert.equal(at.exp - at.iat, anyRule.actions.token.accessTokenLifetimeMinutes * 60);
  const renewed = await page.evaluate(() => spa.attempt(async (c) => { const t = await c.token.renewTokens(); return t.accessToken.accessToken; }));
  assert.equal(renewed.ok, true, JSON.stringify(renewed.error));
  at = decodeJwtPart(renewed.value, 1);
  // A refresh keeps the lifetime of the rule that allowed the original grant (§5.1 step 6).
  assert.equal(at.exp - at.iat, codeRule.actions.token.accessTokenLifetimeMinutes * 60);
});
