// docs/openmetadata.md's recipe for Sesame and OpenMetadata in Docker on one machine: Sesame's org URL
// uses a *.localhost name (sesame.localhost), which the browser resolves to this machine by itself
// and the OpenMetadata container reaches through the override's extra_hosts. This file proves the
// browser half with Chromium and what setup writes for the container half: the authority under the
// name, the extra_hosts entry and OpenMetadata's URL-filter switch. (Node's and Go's resolvers do not
// know *.localhost here, so the test's own calls use the loopback address the server listens on.)

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
import { signInFlow, decodeJwtPart } from '../lib/signin.mjs';

const sesame = useSesame({ publicHost: 'sesame.localhost' });
const browser = useBrowser();
const spa = useSpa();

delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

let env;
let override;
let setupOutput;
let person;

before(async () => {
  await Promise.all([sesame.ready, spa.ready]);
  const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sesame-om-name-'));
  const { stdout } = await promisify(execFile)(sesameBinary(), [
    'openmetadata', 'setup', '--org-url', sesame.localUrl, '--api-token-file', path.join(sesame.dataDir, 'api-token'),
    '--om-url', spa.origin, '--admin-email', 'admin@example.com', '--out-dir', outDir,
  ], { timeout: 60_000 });
  setupOutput = stdout;
  env = Object.fromEntries((await fs.readFile(path.join(outDir, 'openmetadata.env'), 'utf8')).split('\n')
    .map((l) => /^([A-Z_]+)=(.*)$/.exec(l)).filter(Boolean).map((m) => [m[1], m[2]]));
  override = await fs.readFile(path.join(outDir, 'docker-compose.sesame.yml'), 'utf8');

  const client = new okta.Client({ orgUrl: sesame.localUrl, token: sesame.apiToken, authorizationMode: 'SSWS', cacheMiddleware: null });
  const login = `noor.${process.pid}@example.com`;
  const password = `${crypto.randomBytes(12).toString('base64url')}-Aa9`;
  await client.userApi.createUser({
    body: { profile: { firstName: 'Noor', lastName: 'Haddad', email: login, login }, credentials: { password: { value: password } } },
    activate: true,
  });
  person = { login, password };
}, { timeout: 90_000 });

test('setup writes the name for the container: authority, extra_hosts, the URL-filter switch', () => {
  assert.match(env.AUTHENTICATION_AUTHORITY, new RegExp(`^${sesame.orgUrl}/oauth2/aus`));
  assert.ok(env.AUTHENTICATION_PUBLIC_KEYS.startsWith(`[${env.AUTHENTICATION_AUTHORITY}/v1/keys,`));
  assert.equal(env.OPENMETADATA_ALLOW_INTERNAL_URL_TARGETS, 'true');
  assert.match(override, /extra_hosts:\n {6}- "sesame\.localhost:host-gateway"/);
  assert.match(setupOutput, /! The issuer http:\/\/sesame\.localhost:\d+\/oauth2\/aus\S+ resolves to a loopback or Docker host address/);
});

test('Chromium signs in to an OpenMetadata-shaped SPA through the *.localhost issuer', { timeout: 120_000 }, async () => {
  const flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: (c) => spa.url(c) });
  const { page } = await browser.newPage();
  await flow.goToSignIn(page, { issuer: env.AUTHENTICATION_AUTHORITY, clientId: env.AUTHENTICATION_CLIENT_ID, scopes: 'openid profile email offline_access' });
  await flow.submitCredentials(page, person.login, person.password);
  await flow.expectCallback(page);
  const res = await page.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
  assert.equal(res.ok, true, JSON.stringify(res.error));
  const tokens = await page.evaluate(() => spa.tokens());
  const claims = decodeJwtPart(tokens.idToken.idToken, 1);
  assert.equal(claims.iss, env.AUTHENTICATION_AUTHORITY);
  assert.equal(claims.email, person.login);
  const user = await page.evaluate(() => spa.attempt((c) => c.getUser()));
  assert.equal(user.ok, true, JSON.stringify(user.error));
  assert.equal(user.value.sub, claims.sub);
});
