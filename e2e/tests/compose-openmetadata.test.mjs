// Issue 16's end-to-end proof: the Compose example (docs/examples/compose.yaml) runs Sesame as the
// container does — the image's command, `sesame serve`, with SESAME_DEV=1 runs `sesame dev` on the
// mounted docs/examples/openmetadata.yaml — and that is everything OpenMetadata's UI needs, with no
// other step. Without a Docker engine here, `docker-compose config` reads the service as Docker
// would (environment, the mounted org file) and `sesame serve` runs on this machine with it, on a
// loopback port instead of the container's :8080. okta-auth-js, configured as the example's
// comment tells OpenMetadata (issuer {org}/oauth2/default, client id openmetadata), signs the
// example's person in through the hosted page at the OpenMetadata origin (OM_URL, here the SPA
// stand-in's), and OpenMetadata's JwtFilter accepts the tokens.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useSesame, startSesameDev } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';
import { startSpa } from '../lib/spa.mjs';
import { composeService, hostPathOf } from '../lib/compose.mjs';
import { signInFlow } from '../lib/signin.mjs';
import { jwtFilter } from '../lib/openmetadata.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMPOSE = path.join(ROOT, 'docs', 'examples', 'compose.yaml');

// The SPA's origin must be known before dev applies the file: start it first, at the top level.
const spa = await startSpa();
after(() => spa.stop());
const service = await composeService(COMPOSE, 'sesame', { OM_URL: spa.origin });
const org = hostPathOf(service, '/org.yaml');
const sesame = useSesame({ dev: { container: true, env: service.environment, org } });

test('the Compose service is the development server with the OpenMetadata example', () => {
  assert.equal(service.environment.SESAME_DEV, '1');
  assert.equal(org, path.join(ROOT, 'docs', 'examples', 'openmetadata.yaml'));
  assert.equal(service.build.dockerfile, 'deploy/Dockerfile');
  assert.match(sesame.logs(), /NEVER FOR PRODUCTION/);
  assert.match(sesame.logs(), /applied: create app OpenMetadata/);
});
const browser = useBrowser();

before(async () => {
  await sesame.ready;
});

test('sesame dev with the OpenMetadata example: the UI signs in and the server accepts its token', { timeout: 120_000 }, async (t) => {
  const issuer = `${sesame.orgUrl}/oauth2/default`;
  const flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: (c) => spa.url(c) });
  const { page } = await browser.newPage();
  let tokens;

  await t.test('okta-auth-js signs the example person in and lands on /callback', async () => {
    await flow.goToSignIn(page, { issuer, clientId: 'openmetadata', scopes: 'openid profile email offline_access' });
    await flow.submitCredentials(page, 'ada@example.com', 'Correct-Horse-42');
    const back = await flow.expectCallback(page);
    assert.equal(back.searchParams.get('error'), null, back.searchParams.get('error_description'));
    const res = await page.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
    assert.equal(res.ok, true, JSON.stringify(res.error));
    tokens = await page.evaluate(() => spa.tokens());
    assert.ok(tokens.idToken && tokens.accessToken && tokens.refreshToken);
    assert.deepEqual(tokens.accessToken.scopes.sort(), ['email', 'offline_access', 'openid', 'profile']);
  });

  await t.test("OpenMetadata's JwtFilter accepts the ID token and the access token", async () => {
    const keys = [`${issuer}/v1/keys`];
    assert.equal((await jwtFilter(tokens.idToken.idToken, keys)).email, 'ada@example.com');
    assert.equal((await jwtFilter(tokens.accessToken.accessToken, keys)).claims.sub, 'ada@example.com');
  });

  await t.test('the UI renews by refresh token (rotation)', async () => {
    const renewed = await page.evaluate(() => spa.attempt(async (c) => (await c.token.renewTokens()).refreshToken.refreshToken));
    assert.equal(renewed.ok, true, JSON.stringify(renewed.error));
    assert.notEqual(renewed.value, tokens.refreshToken.refreshToken);
  });
});

test('a CI service without a mounted file gives the org in SESAME_DEV_ORG_YAML', { timeout: 60_000 }, async () => {
  const other = await startSesameDev({
    container: true,
    env: { SESAME_DEV: '1', SESAME_DEV_ORG_YAML: 'groups:\n  - name: From the environment\n' },
  });
  try {
    const res = await fetch(`${other.orgUrl}/api/v1/groups?q=From`, { headers: { Authorization: `SSWS ${other.apiToken}`, Accept: 'application/json' } });
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).map((g) => g.profile.name), ['From the environment']);
  } finally {
    await other.stop();
  }
});
