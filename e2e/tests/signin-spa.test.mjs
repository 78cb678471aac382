// Sign-in of a single-page app with okta-auth-js 7 in headless Chromium, against Sesame's hosted
// sign-in page and the default custom authorization server: signInWithRedirect → sign-in page →
// /callback → handleLoginRedirect, refresh-token rotation, userinfo, silent renewal in a hidden
// iframe, signOut; and the two ways a sign-in is refused (wrong password, user not assigned).
//
// Reference: shared/reference/okta-api.md §2.1 (authorize, response modes), §2.5 (userinfo),
// §2.8 (logout), §2.11 (CORS), §2.12 (errors), §3.2–3.5 (tokens), §6.1 (what okta-auth-js does).
// Expected values come from what the tests create and from the reference; where a value can only
// come from the server (a user id, a client id), it is read from the management API and compared
// with what the browser got through the OAuth flow.

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

// The management SDK sends every request through $https_proxy when one is set, even to loopback.
delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

const SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const TEST_TIMEOUT_MS = 120_000;

// Okta's error descriptions (reference §2.1, §2.12), which clients may match on.
const NOT_ASSIGNED = 'User is not assigned to the client application.';
const LOGIN_REQUIRED = 'The client specified not to prompt, but the user is not logged in.';
const REFRESH_INVALID = 'The refresh token is invalid or expired.';

const run = `${process.pid}-${Date.now().toString(36)}`;

let client;
let issuer;
let app; // the SPA's application, as created
let clientId;
let audience; // the default authorization server's audience: the access token's aud
const users = {}; // name → { user, login, email, password }

function newPassword() {
  // Random per run, with every character class a password policy may ask for.
  return `${crypto.randomBytes(12).toString('base64url')}-Aa9`;
}

async function createUser(name) {
  const login = `${name}.${run}@example.com`;
  const password = newPassword();
  const profile = { firstName: name, lastName: 'Signin', email: login, login };
  const user = await client.userApi.createUser({
    body: { profile, credentials: { password: { value: password } } },
    activate: true,
  });
  return { user, login, email: login, password, profile };
}

before(async () => {
  await Promise.all([sesame.ready, spa.ready]);
  client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
  issuer = `${sesame.orgUrl}/oauth2/default`;
  flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: (c) => spa.url(c) });

  app = await client.applicationApi.createApplication({
    application: {
      name: 'oidc_client',
      label: `E2E sign-in SPA ${run}`,
      signOnMode: 'OPENID_CONNECT',
      credentials: { oauthClient: { token_endpoint_auth_method: 'none', pkce_required: true } },
      settings: {
        oauthClient: {
          application_type: 'browser',
          redirect_uris: [`${spa.origin}/callback`, `${spa.origin}/silent-callback`],
          post_logout_redirect_uris: [`${spa.origin}/`],
          response_types: ['code'],
          grant_types: ['authorization_code', 'refresh_token'],
          refresh_token: { rotation_type: 'ROTATE', leeway: 30 },
        },
      },
    },
  });
  clientId = app.credentials.oauthClient.client_id;
  assert.ok(clientId, 'the new app has a client id');

  await client.trustedOriginApi.createTrustedOrigin({
    trustedOrigin: { name: `E2E SPA ${run}`, origin: spa.origin, scopes: [{ type: 'CORS' }, { type: 'REDIRECT' }] },
  });

  const as = await client.authorizationServerApi.getAuthorizationServer({ authServerId: 'default' });
  audience = as.audiences[0];

  users.alice = await createUser('alice'); // the happy path
  users.bob = await createUser('bob'); // types a wrong password first
  users.carol = await createUser('carol'); // not assigned to the app
  for (const u of [users.alice, users.bob]) {
    await client.applicationApi.assignUserToApplication({ appId: app.id, appUser: { id: u.user.id } });
  }
}, { timeout: 60_000 });

// ---- helpers ---------------------------------------------------------------------------------

// Every request the context's pages and frames send to Sesame: { method, url, postData, mainFrame, request }.
function recordSesameRequests(context, page) {
  const seen = [];
  context.on('request', (request) => {
    if (!request.url().startsWith(sesame.orgUrl)) return;
    seen.push({
      method: request.method(),
      url: new URL(request.url()),
      postData: request.postData() ?? '',
      mainFrame: request.frame() === page.mainFrame(),
      request,
    });
  });
  return seen;
}

// Bound to this file's SPA, issuer and app once they exist (see before()).
let flow;
const isSignInPage = (u) => flow.isSignInPage(u);
const isCallback = (u) => flow.isCallback(u);
const goToSignIn = (page) => flow.goToSignIn(page, { issuer, clientId, scopes: SCOPES.join(' ') });
const submitCredentials = (page, username, password) => flow.submitCredentials(page, username, password);
const expectCallback = (page) => flow.expectCallback(page);

/**
 * Runs the steps of one long scenario as subtests; once a step fails the rest are skipped, as
 * they build on it: the first failure is the one to look at.
 */
function stepper(t) {
  let failed = null;
  return (name, fn) =>
    t.test(name, failed ? { skip: `an earlier step failed: ${failed}` } : {}, async (st) => {
      try {
        await fn(st);
      } catch (e) {
        failed = name;
        throw e;
      }
    });
}

// ---- the happy path --------------------------------------------------------------------------

test('an SPA signs in with okta-auth-js, renews, reads userinfo, renews silently and signs out', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const step = stepper(t);
  const alice = users.alice;
  const { context, page } = await browser.newPage();
  const requests = recordSesameRequests(context, page);
  const authorizeUrl = `${issuer}/v1/authorize`;
  const tokenUrl = `${issuer}/v1/token`;
  let authorize; // the browser's authorize request
  let signedIn; // tokens stored after handleLoginRedirect

  await step('signInWithRedirect sends the browser to the hosted sign-in page', async () => {
    await goToSignIn(page);
    const authorizes = requests.filter((r) => r.url.href.startsWith(authorizeUrl) && r.mainFrame);
    assert.equal(authorizes.length, 1, 'one authorize request');
    authorize = authorizes[0];
    const q = authorize.url.searchParams;
    assert.equal(q.get('client_id'), clientId);
    assert.equal(q.get('redirect_uri'), `${spa.origin}/callback`);
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.equal(q.get('scope'), SCOPES.join(' '));
    assert.ok(q.get('nonce') && q.get('state') && q.get('code_challenge'));
    const res = await authorize.request.response();
    assert.equal(res?.status(), 302, 'an unauthenticated authorize request redirects to the sign-in page');
    const location = new URL(res.headers().location, authorize.url);
    assert.ok(isSignInPage(location), `redirected to ${location}`);
    assert.ok(location.searchParams.get('fromURI'), 'the sign-in page is told where to continue (fromURI)');

    await page.locator('#okta-signin-username').waitFor();
    assert.equal(await page.locator('#okta-signin-username').getAttribute('name'), 'username');
    assert.equal(await page.locator('#okta-signin-password').getAttribute('name'), 'password');
    assert.equal(await page.locator('#okta-signin-password').getAttribute('type'), 'password');
    await page.locator('#okta-signin-submit').waitFor();
    await browser.screenshot(page, 'signin-page');
  });

  await step('the user signs in and the browser comes back to /callback with a code', async () => {
    await submitCredentials(page, alice.login, alice.password);
    const back = await expectCallback(page);
    assert.equal(back.searchParams.get('error'), null, `error at /callback: ${back.searchParams.get('error_description')}`);
    assert.ok(back.searchParams.get('code'), 'an authorization code');
    assert.equal(back.searchParams.get('state'), authorize.url.searchParams.get('state'));
  });

  await step('handleLoginRedirect stores the tokens; the ID token names the user', async () => {
    const res = await page.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
    assert.equal(res.ok, true, `handleLoginRedirect failed: ${JSON.stringify(res.error)}`);
    signedIn = await page.evaluate(() => spa.tokens());
    assert.ok(signedIn.accessToken?.accessToken, 'an access token is stored');
    assert.ok(signedIn.idToken?.idToken, 'an ID token is stored');
    assert.ok(signedIn.refreshToken?.refreshToken, 'a refresh token is stored (offline_access)');

    const id = signedIn.idToken.claims;
    assert.equal(id.iss, issuer);
    assert.equal(id.aud, clientId);
    assert.equal(id.sub, alice.user.id);
    assert.equal(id.email, alice.email);
    assert.equal(id.preferred_username, alice.login);
    // okta-auth-js does not check the nonce after a code exchange; a client that does must find its own.
    assert.equal(id.nonce, authorize.url.searchParams.get('nonce'));
    assert.equal(decodeJwtPart(signedIn.idToken.idToken, 0).alg, 'RS256');

    const at = decodeJwtPart(signedIn.accessToken.accessToken, 1);
    assert.equal(at.iss, issuer);
    assert.equal(at.aud, audience);
    assert.equal(at.cid, clientId);
    assert.equal(at.uid, alice.user.id);
    assert.equal(at.sub, alice.login);
    assert.deepEqual([...at.scp].sort(), [...SCOPES].sort());
    assert.deepEqual([...signedIn.accessToken.scopes].sort(), [...SCOPES].sort());

    const exchange = requests.filter((r) => r.method === 'POST' && r.url.href === tokenUrl);
    assert.equal(exchange.length, 1, 'one token request');
    const form = new URLSearchParams(exchange[0].postData);
    assert.equal(form.get('grant_type'), 'authorization_code');
    assert.ok(form.get('code_verifier'), 'PKCE: the code verifier goes with the code');
  });

  await step('token.renew uses the refresh token, which rotates', async () => {
    const from = requests.length;
    const res = await page.evaluate(() =>
      spa.attempt(async (c) => {
        const renewed = await c.token.renew(c.tokenManager.getTokensSync().accessToken);
        c.tokenManager.add('accessToken', renewed); // what tokenManager.renew() would do
        return renewed;
      }),
    );
    assert.equal(res.ok, true, `token.renew failed: ${JSON.stringify(res.error)}`);
    assert.notEqual(res.value.accessToken, signedIn.accessToken.accessToken, 'a new access token');
    const now = await page.evaluate(() => spa.tokens());
    assert.ok(now.refreshToken?.refreshToken, 'a refresh token is still stored');
    assert.notEqual(now.refreshToken.refreshToken, signedIn.refreshToken.refreshToken, 'ROTATE: a new refresh token replaced the old one');
    assert.equal(now.accessToken.accessToken, res.value.accessToken);

    const sent = requests.slice(from);
    assert.deepEqual(sent.filter((r) => r.url.href.startsWith(authorizeUrl)), [], 'no authorize request: no iframe, no redirect');
    const refresh = sent.filter((r) => r.method === 'POST' && r.url.href === tokenUrl);
    assert.equal(refresh.length, 1, 'one token request');
    const form = new URLSearchParams(refresh[0].postData);
    assert.equal(form.get('grant_type'), 'refresh_token');
    assert.equal(form.get('refresh_token'), signedIn.refreshToken.refreshToken);
    assert.equal((await refresh[0].request.response())?.status(), 200);
  });

  await step('getUser returns the user of the ID token', async () => {
    const res = await page.evaluate(() => spa.attempt((c) => c.getUser()));
    assert.equal(res.ok, true, `getUser failed: ${JSON.stringify(res.error)}`);
    assert.equal(res.value.sub, signedIn.idToken.claims.sub);
    assert.equal(res.value.email, alice.email);
    assert.equal(res.value.preferred_username, alice.login);
    assert.equal(res.value.given_name, alice.profile.firstName);
    assert.equal(res.value.family_name, alice.profile.lastName);
  });

  await step('getWithoutPrompt gets new tokens from the session, in a hidden iframe', async () => {
    const from = requests.length;
    const before = await page.evaluate(() => spa.tokens());
    const res = await page.evaluate(() =>
      spa.attempt((c) => c.token.getWithoutPrompt({ redirectUri: `${spa.origin}/silent-callback` })),
    );
    assert.equal(res.ok, true, `getWithoutPrompt failed: ${JSON.stringify(res.error)}`);
    const { tokens } = res.value;
    assert.ok(tokens.accessToken?.accessToken && tokens.idToken?.idToken, 'an access token and an ID token');
    assert.notEqual(tokens.accessToken.accessToken, before.accessToken.accessToken);
    assert.equal(tokens.idToken.claims.sub, signedIn.idToken.claims.sub);
    assert.equal(tokens.idToken.claims.aud, clientId);

    const sent = requests.slice(from);
    const silent = sent.filter((r) => r.url.href.startsWith(authorizeUrl));
    assert.equal(silent.length, 1, 'one authorize request');
    assert.equal(silent[0].mainFrame, false, 'sent from an iframe, not the page');
    const q = silent[0].url.searchParams;
    assert.equal(q.get('prompt'), 'none');
    assert.equal(q.get('response_mode'), 'okta_post_message');
    assert.equal(q.get('redirect_uri'), `${spa.origin}/silent-callback`);
    assert.equal(tokens.idToken.claims.nonce, q.get('nonce'));
    assert.ok(isCallback(new URL(page.url())), `the page itself stayed on /callback, now at ${page.url()}`);
    const exchange = sent.filter((r) => r.method === 'POST' && r.url.href === tokenUrl);
    assert.equal(new URLSearchParams(exchange[0]?.postData).get('grant_type'), 'authorization_code');
  });

  await step('signOut revokes the tokens, ends the session and returns to the SPA', async () => {
    const from = requests.length;
    const stored = await page.evaluate(() => spa.tokens());
    await page.evaluate(() => {
      spa.authClient.signOut().catch((e) => console.error('signOut failed', e));
    });
    await page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/');
    const sent = requests.slice(from);
    const revokes = sent.filter((r) => r.method === 'POST' && r.url.href === `${issuer}/v1/revoke`);
    assert.deepEqual(
      revokes.map((r) => new URLSearchParams(r.postData).get('token_type_hint')),
      ['refresh_token', 'access_token'],
    );
    for (const r of revokes) assert.equal((await r.request.response())?.status(), 200, 'revoke answers 200');
    const logout = sent.filter((r) => r.url.href.startsWith(`${issuer}/v1/logout`));
    assert.equal(logout.length, 1, 'one logout request');
    assert.equal(logout[0].url.searchParams.get('id_token_hint'), stored.idToken.idToken);
    assert.equal(logout[0].url.searchParams.get('post_logout_redirect_uri'), `${spa.origin}/`);

    // The revoked refresh token no longer works, asked the way okta-auth-js asks (from the page, CORS).
    const refreshed = await page.evaluate(
      async ([url, cid, rt]) => {
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ client_id: cid, grant_type: 'refresh_token', refresh_token: rt }),
        });
        return { status: r.status, body: await r.json() };
      },
      [tokenUrl, clientId, stored.refreshToken.refreshToken],
    );
    assert.deepEqual(refreshed, { status: 400, body: { error: 'invalid_grant', error_description: REFRESH_INVALID } });
  });

  await step('after signOut, getWithoutPrompt fails with login_required', async () => {
    const res = await page.evaluate(() =>
      spa.attempt((c) => c.token.getWithoutPrompt({ redirectUri: `${spa.origin}/silent-callback` })),
    );
    assert.equal(res.ok, false, 'no tokens without a session');
    assert.equal(res.error.errorCode, 'login_required');
    assert.equal(res.error.errorSummary, LOGIN_REQUIRED);
  });
});

// ---- refusals --------------------------------------------------------------------------------

test('a wrong password shows an alert and stays on the sign-in page; the right one then gets through', { timeout: TEST_TIMEOUT_MS }, async () => {
  const bob = users.bob;
  const { page } = await browser.newPage();
  await goToSignIn(page);
  await submitCredentials(page, bob.login, `${bob.password}-wrong`);
  const alert = page.locator('[role="alert"]');
  await alert.waitFor();
  assert.notEqual((await alert.textContent()).trim(), '', 'the alert says something');
  assert.ok(isSignInPage(new URL(page.url())), `still on the sign-in page, now at ${page.url()}`);
  assert.equal(await page.locator('#okta-signin-username').isVisible(), true, 'the form is still there');
  assert.equal(await page.locator('#okta-signin-password').isVisible(), true);
  await browser.screenshot(page, 'signin-wrong-password');

  await submitCredentials(page, bob.login, bob.password);
  const back = await expectCallback(page);
  assert.equal(back.searchParams.get('error'), null, `error at /callback: ${back.searchParams.get('error_description')}`);
  assert.ok(back.searchParams.get('code'), 'an authorization code after the right password');
});

test('a user not assigned to the app comes back to /callback with access_denied', { timeout: TEST_TIMEOUT_MS }, async () => {
  const carol = users.carol;
  const { page } = await browser.newPage();
  await goToSignIn(page);
  await submitCredentials(page, carol.login, carol.password);
  const back = await expectCallback(page);
  assert.equal(back.searchParams.get('error'), 'access_denied');
  assert.equal(back.searchParams.get('error_description'), NOT_ASSIGNED);
  assert.equal(back.searchParams.get('code'), null);

  const res = await page.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
  assert.equal(res.ok, false);
  assert.equal(res.error.name, 'OAuthError');
  assert.equal(res.error.errorCode, 'access_denied');
  assert.equal(res.error.errorSummary, NOT_ASSIGNED);
  const tokens = await page.evaluate(() => spa.tokens());
  assert.deepEqual(Object.values(tokens).filter(Boolean), [], 'no tokens are stored');
});
