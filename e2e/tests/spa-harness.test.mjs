// The browser harness itself: Chromium starts, the SPA page loads okta-auth-js and builds its
// client, okta-auth-js reads Sesame's discovery document and keys from that page through CORS,
// and screenshots land in e2e/artifacts/ (also when a test fails). The sign-in tests build on
// all of this; when one of them fails, this file tells whether the harness or the server is at fault.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { useSesame } from '../lib/sesame.mjs';
import { useBrowser, chromiumPath, ARTIFACTS_DIR } from '../lib/browser.mjs';
import { useSpa } from '../lib/spa.mjs';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sesame = useSesame();
const browser = useBrowser();
const spa = useSpa();

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CLIENT_ID = 'harness-client-id'; // no app is needed to read public metadata

async function assertPng(file) {
  const data = await fsp.readFile(file);
  assert.ok(data.length > PNG_SIGNATURE.length, `${file} is empty`);
  assert.deepEqual(data.subarray(0, 8), PNG_SIGNATURE, `${file} is not a PNG`);
}

async function openSpa() {
  await Promise.all([sesame.ready, spa.ready]);
  const issuer = `${sesame.orgUrl}/oauth2/default`;
  const { page } = await browser.newPage();
  await page.goto(spa.url({ issuer, clientId: CLIENT_ID }));
  return { page, issuer };
}

test('Chromium is the configured binary, headless', async () => {
  const b = await browser.ready;
  const { stdout } = await promisify(execFile)(chromiumPath(), ['--version']);
  // "Chromium 156.0.8078.108 built on Debian…" from the binary; "156.0.8078.108" from the browser over CDP.
  assert.match(stdout, new RegExp(`\\b${b.version().replaceAll('.', '\\.')}\\b`));
  const { page } = await browser.newPage();
  const ua = await page.evaluate(() => navigator.userAgent);
  assert.match(ua, /HeadlessChrome\//);
});

test('the SPA page builds an OktaAuth client with PKCE in a secure context', async () => {
  const { page, issuer } = await openSpa();
  const got = await page.evaluate(() => ({
    loadError: spa.loadError,
    isSecureContext: window.isSecureContext,
    hasClass: typeof spa.lib?.OktaAuth === 'function',
    issuer: spa.authClient?.options.issuer,
    clientId: spa.authClient?.options.clientId,
    redirectUri: spa.authClient?.options.redirectUri,
    scopes: spa.authClient?.options.scopes,
    pkce: spa.authClient?.isPKCE(),
    pkceSupported: spa.authClient?.features.isPKCESupported(),
    isLoginRedirect: spa.authClient?.isLoginRedirect(),
  }));
  assert.deepEqual(got, {
    loadError: null,
    // http://127.0.0.1 counts as secure: WebCrypto, and so PKCE, is available on it.
    isSecureContext: true,
    hasClass: true,
    issuer,
    clientId: CLIENT_ID,
    redirectUri: `${spa.origin}/callback`,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    pkce: true,
    pkceSupported: true,
    isLoginRedirect: false,
  });
  // The bundle served is the pinned one that npm ci installed.
  const pinned = JSON.parse(await fsp.readFile(path.join(E2E_DIR, 'package.json'), 'utf8')).dependencies['@okta/okta-auth-js'];
  assert.equal(spa.authJsVersion, pinned);
  // The page and the server are one site (127.0.0.1) but two origins: what the session cookie of
  // the silent renewal relies on.
  assert.notEqual(new URL(spa.origin).origin, new URL(sesame.orgUrl).origin);
  assert.equal(new URL(spa.origin).hostname, new URL(sesame.orgUrl).hostname);
});

test('okta-auth-js reads discovery and keys from the SPA page through CORS', async () => {
  const { page, issuer } = await openSpa();
  // okta-auth-js's own requests (Content-Type: application/json and X-Okta-User-Agent-Extended on a
  // GET): the browser sends a CORS preflight first, and the answer must allow the SPA's origin.
  const wk = await page.evaluate(() => spa.attempt((c) => spa.lib.getWellKnown(c)));
  assert.equal(wk.ok, true, `getWellKnown failed in the browser: ${JSON.stringify(wk.error)}`);
  assert.equal(wk.value.issuer, issuer);
  assert.equal(wk.value.authorization_endpoint, `${issuer}/v1/authorize`);
  assert.equal(wk.value.token_endpoint, `${issuer}/v1/token`);
  assert.ok(wk.value.code_challenge_methods_supported?.includes('S256'), 'S256 is required by okta-auth-js for PKCE');

  // A key id known from outside the browser; okta-auth-js must find it at jwks_uri from inside.
  const jwks = await (await fetch(`${issuer}/v1/keys`)).json();
  const kid = jwks.keys?.[0]?.kid;
  assert.ok(kid, 'the default authorization server publishes a key');
  const key = await page.evaluate(
    ([iss, k]) => spa.attempt((c) => spa.lib.getKey(c, iss, k)),
    [issuer, kid],
  );
  assert.equal(key.ok, true, `getKey failed in the browser: ${JSON.stringify(key.error)}`);
  assert.equal(key.value.kid, kid);
  assert.equal(key.value.n, jwks.keys[0].n);
});

test('a screenshot lands in e2e/artifacts/', async () => {
  const { page } = await openSpa();
  await page.locator('#state').filter({ hasText: 'idToken: none' }).waitFor();
  const file = await browser.screenshot(page, 'spa-page');
  assert.equal(file, path.join(ARTIFACTS_DIR, 'spa-page.png'));
  await assertPng(file);
});

test('a failed browser test leaves a screenshot and the page log', async () => {
  // A child test run whose only test fails on purpose, with the same hooks as every test file.
  const fixture = path.join(E2E_DIR, 'fixtures', 'failing-browser.fixture.mjs');
  const shot = path.join(ARTIFACTS_DIR, 'failed-fixture-fails-on-purpose-1.png');
  await fsp.rm(shot, { force: true });
  // NODE_TEST_CONTEXT would make the child talk to our runner's protocol instead of running.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const result = await new Promise((resolve) => {
    execFile(process.execPath, ['--test', fixture], { cwd: E2E_DIR, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error?.code ?? 0, stdout, stderr }),
    );
  });
  assert.equal(result.code, 1, `the fixture's test should fail:\n${result.stdout}\n${result.stderr}`);
  const out = result.stdout + result.stderr;
  assert.match(out, /===== browser pages of failed test "fixture fails on purpose" =====/);
  assert.match(out, /\[console\.log\] fixture says hello/);
  await assertPng(shot);
});
