// Multi-factor sign-in in headless Chromium with okta-auth-js 7: an app whose sign-on policy
// (an ACCESS_POLICY with factorMode 2FA, bound with PUT /api/v1/apps/{id}/policies/{pid}) requires
// a second factor and an app that does not.
//
// - A person enrols a passkey at their first sign-in into the MFA app, with Chromium's virtual
//   authenticator (DevTools protocol WebAuthn.enable + WebAuthn.addVirtualAuthenticator, through
//   playwright-core's CDP session); signs out; signs in again with password + passkey. The ID
//   token's amr says so (["pwd","hwk","mfa"]) and the authenticator's signature counter grew.
// - The first enrolment shows ten one-time recovery codes before going on to the app.
// - A person with a TOTP factor (enrolled through the factors API, codes computed here from its
//   secret) signs in through the hosted page's code step.
// - The app without the requirement signs the same person in with the password only (amr ["pwd"]).
//
// WebAuthn needs a domain as relying party: Sesame's org URL here is http://localhost:PORT.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';
import { useSpa } from '../lib/spa.mjs';
import { decodeJwtPart, signInFlow } from '../lib/signin.mjs';

const sesame = useSesame({ publicHost: 'localhost' });
const browser = useBrowser();
const spa = useSpa();

delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

const TEST_TIMEOUT_MS = 120_000;
const run = `${process.pid}-${Date.now().toString(36)}`;

let client;
let issuer;
let flow;
const apps = {}; // mfa, plain → client id
const users = {};

async function api(method, path, body) {
  const res = await fetch(`${sesame.orgUrl}${path}`, {
    method,
    headers: { Authorization: `SSWS ${sesame.apiToken}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as an authenticator app computes it.
function totp(base32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function createApp(label) {
  const app = await client.applicationApi.createApplication({
    application: {
      name: 'oidc_client',
      label: `${label} ${run}`,
      signOnMode: 'OPENID_CONNECT',
      credentials: { oauthClient: { token_endpoint_auth_method: 'none', pkce_required: true } },
      settings: {
        oauthClient: {
          application_type: 'browser',
          redirect_uris: [`${spa.origin}/callback`],
          post_logout_redirect_uris: [`${spa.origin}/`],
          response_types: ['code'],
          grant_types: ['authorization_code'],
        },
      },
    },
  });
  return app;
}

async function createUser(name) {
  const login = `${name}.${run}@example.com`;
  const password = `${crypto.randomBytes(12).toString('base64url')}-Aa9`;
  const user = await client.userApi.createUser({
    body: { profile: { firstName: name, lastName: 'Mfa', email: login, login }, credentials: { password: { value: password } } },
    activate: true,
  });
  return { user, login, password };
}

before(async () => {
  await Promise.all([sesame.ready, spa.ready]);
  client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
  issuer = `${sesame.orgUrl}/oauth2/default`;
  flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: (c) => spa.url(c) });
  await client.trustedOriginApi.createTrustedOrigin({
    trustedOrigin: { name: `E2E MFA SPA ${run}`, origin: spa.origin, scopes: [{ type: 'CORS' }, { type: 'REDIRECT' }] },
  });
  const mfaApp = await createApp('E2E MFA app');
  const plainApp = await createApp('E2E plain app');
  apps.mfa = mfaApp.credentials.oauthClient.client_id;
  apps.plain = plainApp.credentials.oauthClient.client_id;

  // "This app requires MFA": an access policy whose rule asks for two factors, bound to the app.
  const policy = await api('POST', '/api/v1/policies', { type: 'ACCESS_POLICY', name: `MFA ${run}` });
  await api('POST', `/api/v1/policies/${policy.id}/rules`, {
    type: 'ACCESS_POLICY', name: '2FA',
    actions: { appSignOn: { access: 'ALLOW', verificationMethod: { factorMode: '2FA', type: 'ASSURANCE', reauthenticateIn: 'PT2H' } } },
  });
  await api('PUT', `/api/v1/apps/${mfaApp.id}/policies/${policy.id}`);

  users.alice = await createUser('alice'); // passkey
  users.dave = await createUser('dave'); // TOTP
  for (const u of Object.values(users)) {
    for (const app of [mfaApp, plainApp]) await client.applicationApi.assignUserToApplication({ appId: app.id, appUser: { id: u.user.id } });
  }
  // dave's TOTP factor, enrolled and activated through the factors API.
  const enrolled = await api('POST', `/api/v1/users/${users.dave.user.id}/factors`, { factorType: 'token:software:totp', provider: 'OKTA' });
  users.dave.secret = enrolled._embedded.activation.sharedSecret;
  users.dave.lastStep = Math.floor(Date.now() / 30_000);
  await api('POST', `/api/v1/users/${users.dave.user.id}/factors/${enrolled.id}/lifecycle/activate`, { passCode: totp(users.dave.secret) });
}, { timeout: 60_000 });

/** Signs in through the SPA: password on the hosted page, then whatever step is asked in `factor`. */
async function signIn(page, clientId, who, factor) {
  await flow.goToSignIn(page, { issuer, clientId, scopes: 'openid profile email' });
  if (!factor) {
    await flow.submitCredentials(page, who.login, who.password);
  } else {
    // The password step ends on the factor step, which flow.submitCredentials does not wait for.
    await page.locator('#okta-signin-username').fill(who.login);
    await page.locator('#okta-signin-password').fill(who.password);
    await page.locator('#okta-signin-submit').click();
    await page.locator('#factor-login').waitFor();
    await factor(page);
    await page.waitForURL((u) => flow.isCallback(u), { timeout: 30_000 }).catch(() => {});
  }
  await flow.expectCallback(page);
  const res = await page.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
  assert.equal(res.ok, true, `handleLoginRedirect failed: ${JSON.stringify(res.error)}`);
  const tokens = await page.evaluate(() => spa.tokens());
  return decodeJwtPart(tokens.idToken.idToken, 1);
}

async function signOut(page) {
  await page.evaluate(() => {
    spa.authClient.signOut().catch((e) => console.error('signOut failed', e));
  });
  await page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/');
}

test('a passkey is enrolled at the first sign-in into the MFA app, then signs in with the password', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { context, page } = await browser.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });

  const first = await signIn(page, apps.mfa, users.alice, async (p) => {
    await p.locator('#factor-enroll-passkey').click();
    await p.locator('#webauthn-start').click();
    // The first enrolment shows the recovery codes once.
    await p.locator('#recovery-codes').waitFor();
    assert.equal(await p.locator('#recovery-codes li').count(), 10, 'ten recovery codes');
    await p.locator('#recovery-continue').click();
  });
  assert.deepEqual(first.amr, ['pwd', 'hwk', 'mfa']);
  const { credentials: enrolled } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(enrolled.length, 1, 'the virtual authenticator holds one credential');
  assert.equal(enrolled[0].rpId, 'localhost');
  const factors = await api('GET', `/api/v1/users/${users.alice.user.id}/factors`);
  assert.deepEqual(factors.map((f) => [f.factorType, f.provider, f.status]), [['webauthn', 'FIDO', 'ACTIVE']]);
  assert.equal(factors[0].profile.credentialId, enrolled[0].credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));

  await signOut(page);

  const second = await signIn(page, apps.mfa, users.alice, async (p) => {
    await p.locator('#factor-use-webauthn').click();
    await p.locator('#webauthn-start').click();
  });
  assert.deepEqual(second.amr, ['pwd', 'hwk', 'mfa']);
  const { credentials: used } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.ok(used[0].signCount > enrolled[0].signCount, `the signature counter grew (${enrolled[0].signCount} → ${used[0].signCount})`);
});

test('a TOTP code through the hosted page signs in to the MFA app; the other app asks for the password only', { timeout: TEST_TIMEOUT_MS }, async () => {
  const dave = users.dave;
  // A code of a step not used at activation (codes are single use).
  const nextCode = () => {
    const step = Math.max(Math.floor(Date.now() / 30_000), dave.lastStep + 1);
    dave.lastStep = step;
    return totp(dave.secret, step * 30_000);
  };
  const { page } = await browser.newPage();
  const claims = await signIn(page, apps.mfa, dave, async (p) => {
    await p.locator('#factor-code').fill('000000' === totp(dave.secret) ? '111111' : '000000');
    await p.locator('#factor-submit').click();
    await p.locator('#factor-error').waitFor();
    await p.locator('#factor-code').fill(nextCode());
    await p.locator('#factor-submit').click();
  });
  assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);

  const { page: other } = await browser.newPage();
  const plain = await signIn(other, apps.plain, dave, null);
  assert.deepEqual(plain.amr, ['pwd'], 'the app without the requirement asks for no factor');
});
