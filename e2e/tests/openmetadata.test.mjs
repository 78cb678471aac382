// Issues 6 and 10's end-to-end proof: `sesame openmetadata setup` configures Sesame for OpenMetadata,
// and OpenMetadata's three actors, configured exactly from what setup printed, work against it:
//
// - the UI: okta-auth-js 7 with issuer = AUTHENTICATION_AUTHORITY, clientId = AUTHENTICATION_CLIENT_ID,
//   redirectUri = AUTHENTICATION_CALLBACK_URL, scopes openid profile email offline_access, PKCE, on a
//   page served at the --om-url origin in headless Chromium: sign in through the hosted page, land on
//   /callback, getUser() (userinfo, whose sub okta-auth-js requires to be the ID token's), renew by
//   refresh token and through the hidden iframe, and signOut() as OpenMetadata calls it after
//   clearing its tokens (DELETE /api/v1/sessions/me with credentials, then back to the origin);
// - the server: the ID token the UI sends as bearer, checked as OpenMetadata's JwtFilter checks it —
//   its own key first (the pair setup made), then each AUTHENTICATION_PUBLIC_KEYS entry in order,
//   skipping one that fails — the principal from email, preferred_username, sub;
// - the legacy ingestion bot: the securityConfig setup wrote (clientId, orgURL, privateKey), a
//   kid-less assertion with every parameter in the query string, `scope=` empty for `scopes: []`;
//   its token passes the same filter.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import okta from '@okta/okta-sdk-nodejs';
import { useSesame, sesameBinary } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';
import { useSpa } from '../lib/spa.mjs';
import { signInFlow } from '../lib/signin.mjs';
import { jwtFilter, legacyIngestionToken } from '../lib/openmetadata.mjs';

const sesame = useSesame();
const browser = useBrowser();
const spa = useSpa(); // stands in for OpenMetadata's UI: it is served at the --om-url origin

delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

const run = `${process.pid}-${Date.now().toString(36)}`;
let env; // openmetadata.env as setup wrote it
let ownKey; // OpenMetadata's own public key (public_key.der, kid from JWT_KEY_ID) as a JWK
let ownPrivateKey; // and its private key, to sign a token as OpenMetadata does
let legacy; // the legacy ingestion securityConfig
let setupOutput;
let person;

function parseEnv(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function yamlValue(text, key) {
  const m = new RegExp(`^\\s*${key}:\\s*"?([^"\\n]*)"?\\s*$`, 'm').exec(text);
  return m ? m[1] : undefined;
}

before(async () => {
  await Promise.all([sesame.ready, spa.ready]);
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sesame-om-'));
  const { stdout } = await promisify(execFile)(sesameBinary(), [
    'openmetadata', 'setup', '--org-url', sesame.orgUrl, '--api-token-file', path.join(sesame.dataDir, 'api-token'),
    '--om-url', spa.origin, '--admin-email', 'admin@example.com', '--out-dir', outDir,
  ], { timeout: 60_000 });
  setupOutput = stdout;
  env = parseEnv(await fs.readFile(path.join(outDir, 'openmetadata.env'), 'utf8'));
  ownKey = {
    ...crypto.createPublicKey({ key: await fs.readFile(path.join(outDir, 'public_key.der')), format: 'der', type: 'spki' }).export({ format: 'jwk' }),
    kid: env.JWT_KEY_ID,
  };
  ownPrivateKey = crypto.createPrivateKey({ key: await fs.readFile(path.join(outDir, 'private_key.der')), format: 'der', type: 'pkcs8' });
  const legacyYaml = await fs.readFile(path.join(outDir, 'ingestion-workflow-legacy-okta.yaml'), 'utf8');
  legacy = { clientId: yamlValue(legacyYaml, 'clientId'), orgURL: yamlValue(legacyYaml, 'orgURL'), privateKey: yamlValue(legacyYaml, 'privateKey') };

  const client = new okta.Client({ orgUrl: sesame.orgUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
  const login = `erin.${run}@example.com`;
  const password = `${crypto.randomBytes(12).toString('base64url')}-Aa9`;
  await client.userApi.createUser({
    body: { profile: { firstName: 'Erin', lastName: 'Steward', email: login, login }, credentials: { password: { value: password } } },
    activate: true,
  });
  person = { login, password };
}, { timeout: 90_000 });

test('setup printed what OpenMetadata reads, pointing at what it created', () => {
  assert.equal(env.AUTHENTICATION_PROVIDER, 'okta');
  assert.match(env.AUTHENTICATION_AUTHORITY, new RegExp(`^${sesame.orgUrl}/oauth2/aus`));
  assert.equal(env.AUTHENTICATION_CALLBACK_URL, `${spa.origin}/callback`);
  assert.equal(env.AUTHENTICATION_PUBLIC_KEYS, `[${env.AUTHENTICATION_AUTHORITY}/v1/keys,${spa.origin}/api/v1/system/config/jwks]`);
  assert.equal(legacy.orgURL, `${env.AUTHENTICATION_AUTHORITY}/v1/token`);
  assert.match(setupOutput, /Delete OpenMetadata's default basic-auth admin/);
});

test("OpenMetadata's UI, server and legacy ingestion bot work against what setup made", { timeout: 120_000 }, async (t) => {
  const publicKeyUrls = env.AUTHENTICATION_PUBLIC_KEYS.slice(1, -1).split(',');
  const flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: (c) => spa.url(c) });
  const { page } = await browser.newPage();
  let tokens;

  await t.test('the UI signs in through the hosted page and lands on /callback', async () => {
    await flow.goToSignIn(page, { issuer: env.AUTHENTICATION_AUTHORITY, clientId: env.AUTHENTICATION_CLIENT_ID, scopes: 'openid profile email offline_access' });
    await flow.submitCredentials(page, person.login, person.password);
    const back = await flow.expectCallback(page);
    assert.equal(`${back.origin}${back.pathname}`, env.AUTHENTICATION_CALLBACK_URL);
    assert.equal(back.searchParams.get('error'), null, back.searchParams.get('error_description'));
    const res = await page.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
    assert.equal(res.ok, true, JSON.stringify(res.error));
    tokens = await page.evaluate(() => spa.tokens());
    assert.ok(tokens.idToken && tokens.accessToken && tokens.refreshToken);
  });

  await t.test('the UI reads the profile with getUser(): userinfo for the same sub as the ID token', async () => {
    // OktaAuthProvider calls getUser() after sign-in; okta-auth-js rejects a userinfo answer whose
    // sub differs from the ID token's ("getUserInfo: token mismatch"), so ok means they match.
    const user = await page.evaluate(() => spa.attempt((c) => c.getUser()));
    assert.equal(user.ok, true, JSON.stringify(user.error));
    assert.equal(user.value.sub, tokens.idToken.claims.sub);
    assert.equal(user.value.email, person.login);
    assert.ok(user.value.name, 'userinfo has a name for the display name');
  });

  await t.test("the server accepts the UI's ID token as its JwtFilter does: own key first, then each URL, a failing one skipped", async () => {
    const who = await jwtFilter(tokens.idToken.idToken, publicKeyUrls, { ownKeys: [ownKey] });
    assert.equal(who.email, person.login);
    assert.equal(who.userName, person.login.split('@')[0].toLowerCase());
    assert.equal(who.claims.isBot, undefined);
    assert.equal(who.claims.tokenType, undefined);
    assert.equal(who.keyFrom, publicKeyUrls[0]);
    // OpenMetadata's own key-set URL answers nothing here (the page server is not OpenMetadata):
    // listed first, it is skipped and Sesame's key set still verifies the token.
    const reordered = await jwtFilter(tokens.idToken.idToken, [publicKeyUrls[1], publicKeyUrls[0]], { ownKeys: [ownKey] });
    assert.equal(reordered.keyFrom, publicKeyUrls[0]);
    await assert.rejects(jwtFilter(tokens.idToken.idToken, [publicKeyUrls[1]]), /Token signing key not found in configured public keys/);
  });

  await t.test("a token OpenMetadata signs with the key pair setup made passes on OpenMetadata's own key", async () => {
    const now = Math.floor(Date.now() / 1000);
    const input = [{ kid: env.JWT_KEY_ID, alg: 'RS256', typ: 'JWT' },
      { iss: env.JWT_ISSUER, sub: 'dana', email: 'dana@example.com', isBot: false, tokenType: 'OM_USER', iat: now, exp: now + 600 }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');
    const omToken = `${input}.${crypto.sign('RSA-SHA256', Buffer.from(input), ownPrivateKey).toString('base64url')}`;
    const who = await jwtFilter(omToken, publicKeyUrls, { ownKeys: [ownKey] });
    assert.equal(who.keyFrom, 'own');
    assert.equal(who.userName, 'dana');
  });

  await t.test('the UI renews by refresh token and through the hidden iframe', async () => {
    const renewed = await page.evaluate(() => spa.attempt(async (c) => (await c.token.renewTokens()).idToken.idToken));
    assert.equal(renewed.ok, true, JSON.stringify(renewed.error));
    assert.notEqual(renewed.value, tokens.idToken.idToken);
    assert.equal((await jwtFilter(renewed.value, publicKeyUrls)).email, person.login);
    const silent = await page.evaluate(() => spa.attempt((c) => c.token.getWithoutPrompt({ redirectUri: `${spa.origin}/silent-callback` })));
    assert.equal(silent.ok, true, JSON.stringify(silent.error));
    assert.equal((await jwtFilter(silent.value.tokens.idToken.idToken, publicKeyUrls)).email, person.login);
  });

  await t.test('the legacy ingestion bot gets a token the server accepts, scope= empty as its client sends it', async () => {
    const privateKey = await fs.readFile(legacy.privateKey, 'utf8');
    const res = await legacyIngestionToken({ orgURL: legacy.orgURL, clientId: legacy.clientId, privateKey });
    assert.match(res.url, /\?grant_type=client_credentials&scope=&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=/);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.ok(res.json.expires_in > 0);
    assert.equal(res.json.scope, 'openmetadata', 'the default scope stands in for the empty one');
    const who = await jwtFilter(res.json.access_token, publicKeyUrls, { ownKeys: [ownKey] });
    assert.equal(who.claims.sub, legacy.clientId);
    assert.equal(who.userName, legacy.clientId.toLowerCase());
    // Ingestion 1.1 left scope out of the query when the list was empty.
    const older = await legacyIngestionToken({ orgURL: legacy.orgURL, clientId: legacy.clientId, privateKey, emptyScope: 'omit' });
    assert.doesNotMatch(older.url, /[?&]scope=/);
    assert.equal(older.status, 200, JSON.stringify(older.json));
  });

  await t.test('the UI signs out as OpenMetadata does: tokens cleared, then signOut() ends the Sesame session', async () => {
    // OktaAuthProvider's handler after a failed renewal: tokenManager.clear(), then signOut() —
    // with no ID token left it calls DELETE {issuer origin}/api/v1/sessions/me with credentials
    // (CORS from OpenMetadata's origin) and goes back to the origin.
    const sessionsMe = page.waitForResponse((r) => r.url() === `${sesame.orgUrl}/api/v1/sessions/me` && r.request().method() === 'DELETE');
    const back = page.waitForURL((u) => u.origin === spa.origin && u.pathname === '/');
    await page.evaluate(() => {
      spa.authClient.tokenManager.clear();
      spa.authClient.signOut().catch((e) => console.error('signOut failed', e));
    });
    const deleted = await sessionsMe;
    assert.equal(deleted.status(), 204);
    assert.equal(deleted.headers()['access-control-allow-origin'], spa.origin);
    assert.equal(deleted.headers()['access-control-allow-credentials'], 'true');
    await back;
    const silent = await page.evaluate(() => spa.attempt((c) => c.token.getWithoutPrompt({ redirectUri: `${spa.origin}/silent-callback` })));
    assert.equal(silent.ok, false, 'a silent sign-in still worked after signOut()');
    assert.equal(silent.error.errorCode, 'login_required', JSON.stringify(silent.error));
  });
});
