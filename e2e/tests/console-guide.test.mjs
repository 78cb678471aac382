// OpenMetadata's guide (docs/openmetadata.md) performed in the console, screen by screen, in
// headless Chromium: the SPA through Create App Integration (with its trusted origin), an
// authorization server with the SPA's client id as audience, a scope, a groups claim, an access
// policy and a rule, the ingestion service app with its Okta API scopes, an API token — then a person signs in to the
// okta-auth-js SPA with what was created and the access token carries the server's issuer, the
// audience, the scope and the groups claim. axe-core on every screen visited.
//
// Expected values come from what the test typed into the forms and from the org it started.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import { useSesame } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';
import { useSpa } from '../lib/spa.mjs';
import { decodeJwtPart, signInFlow } from '../lib/signin.mjs';

const sesame = useSesame();
const browser = useBrowser();
const spa = useSpa();

delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

let adminPassword;

before(async () => {
  await Promise.all([sesame.ready, spa.ready]);
  adminPassword = /Generated password \(shown only once\): (\S+)/.exec(sesame.initOutput)?.[1];
  assert.ok(adminPassword, 'sesame init printed the administrator password');
}, { timeout: 60_000 });

async function checkA11y(page, screen) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help}`), [], `axe on ${screen}`);
}

test('the OpenMetadata guide in the console, then a sign-in to the SPA', { timeout: 120_000 }, async () => {
  const { page } = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const nav = (name) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name }).click();

  await page.goto(`${sesame.orgUrl}/admin`);
  await page.fill('#okta-signin-username', 'admin@example.com');
  await page.fill('#okta-signin-password', adminPassword);
  await page.click('#okta-signin-submit');
  await page.waitForURL(`${sesame.orgUrl}/admin`);

  // Applications → Create App Integration → OIDC → Single-Page Application.
  await nav('Applications');
  await page.getByRole('link', { name: 'Create App Integration' }).click();
  await page.getByLabel('Single-Page Application').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('App integration name').fill('OpenMetadata');
  await page.getByLabel('Sign-in redirect URIs').fill(`${spa.origin}/callback`);
  await page.getByLabel('Sign-out redirect URIs (optional)').fill(`${spa.origin}/`);
  await page.getByLabel('Base URIs (optional)').fill(spa.origin);
  await page.getByLabel('Allow everyone in your organization to access').check();
  await checkA11y(page, 'new SPA');
  await browser.screenshot(page, 'guide-1-new-spa');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').waitFor();
  const spaClientId = (await page.locator('#client-id').textContent()).trim();
  await checkA11y(page, 'SPA General tab');
  await page.getByRole('navigation', { name: 'Application tabs' }).getByRole('link', { name: 'Sign On' }).click();
  await checkA11y(page, 'SPA Sign On tab');

  // The base URI became a trusted origin (Security → API → Trusted Origins).
  await page.goto(`${sesame.orgUrl}/admin/api/origins`);
  await page.getByText(spa.origin).first().waitFor();
  await checkA11y(page, 'Trusted Origins');

  // Security → API → Authorization Servers → Add Authorization Server.
  await nav('API');
  await page.getByLabel('Name', { exact: true }).fill('OpenMetadata');
  await page.getByLabel('Audience').fill(spaClientId);
  await page.getByLabel('Description').fill('OpenMetadata sign-in');
  await checkA11y(page, 'authorization servers');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL(/\/admin\/api\/servers\/[^/?]+/);
  const serverId = new URL(page.url()).pathname.split('/')[4];
  const base = `${sesame.orgUrl}/admin/api/servers/${serverId}`;

  await page.goto(`${base}/scopes`);
  await page.locator('#sc-name').fill('openmetadata.read');
  await page.locator('#sc-desc').fill('Read OpenMetadata');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByText('openmetadata.read').first().waitFor();
  await checkA11y(page, 'Scopes');

  await page.goto(`${base}/claims`);
  await page.locator('#cl-name').fill('groups');
  await page.locator('#cl-type').selectOption('RESOURCE');
  await page.locator('#cl-vt').selectOption('GROUPS');
  await page.locator('#cl-gft').selectOption('REGEX');
  await page.locator('#cl-value').fill('.*');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('cell', { name: 'groups', exact: true }).first().waitFor();
  await checkA11y(page, 'Claims');
  await browser.screenshot(page, 'guide-2-claims');

  await page.goto(`${base}/policies`);
  await page.locator('#p-name').fill('OpenMetadata access');
  await page.locator('#p-desc').fill('Everyone through OpenMetadata');
  await page.getByRole('button', { name: 'Create Policy' }).click();
  await page.getByText('Add Rule to OpenMetadata access').click();
  await page.getByLabel('Rule Name').fill('Sign-in');
  await page.getByRole('button', { name: 'Create rule' }).click();
  await page.getByRole('cell', { name: 'Sign-in', exact: true }).first().waitFor();
  await checkA11y(page, 'Access Policies');
  await browser.screenshot(page, 'guide-3-access-policies');

  // The ingestion bot: API Services; its secret is shown once.
  await nav('Applications');
  await page.getByRole('link', { name: 'Create App Integration' }).click();
  await page.getByLabel('API Services').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('App integration name').fill('OpenMetadata ingestion');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').waitFor();
  assert.ok((await page.locator('#client-secret').textContent()).trim().length >= 30, 'the service app secret is shown');
  await checkA11y(page, 'service app General tab');
  // Its Okta API Scopes, as the guide grants them to the ingestion bot.
  await page.getByRole('navigation', { name: 'Application tabs' }).getByRole('link', { name: 'Okta API Scopes' }).click();
  for (const scope of ['okta.users.read', 'okta.groups.read']) {
    await page.getByRole('button', { name: `Grant ${scope}`, exact: true }).click();
    await page.getByRole('button', { name: `Revoke ${scope}`, exact: true }).waitFor();
  }
  await checkA11y(page, 'Okta API Scopes');
  // Every tab of the application again at phone width, where the tabs and tables must reflow.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const tab of ['General', 'Sign On', 'Assignments', 'Okta API Scopes']) {
    await page.getByRole('navigation', { name: 'Application tabs' }).getByRole('link', { name: tab }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/admin/apps/'));
    await checkA11y(page, `service app ${tab} tab at phone width`);
  }
  await browser.screenshot(page, 'guide-app-tabs-phone');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Security → API → Tokens → Create Token.
  await page.goto(`${sesame.orgUrl}/admin/api/tokens`);
  await page.getByLabel('What do you want your token to be named?').fill('openmetadata');
  await page.getByRole('button', { name: 'Create Token' }).click();
  await page.getByRole('status').waitFor();
  await checkA11y(page, 'Tokens');
  await browser.screenshot(page, 'guide-4-token');

  // The SPA signs the admin in with what was created.
  const issuer = `${sesame.orgUrl}/oauth2/${serverId}`;
  const flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: (c) => spa.url(c) });
  const { page: app } = await browser.newPage();
  await flow.goToSignIn(app, { issuer, clientId: spaClientId, scopes: 'openid profile email openmetadata.read' });
  await flow.submitCredentials(app, 'admin@example.com', adminPassword);
  const back = await flow.expectCallback(app);
  assert.equal(back.searchParams.get('error'), null, back.searchParams.get('error_description'));
  const done = await app.evaluate(() => spa.attempt((c) => c.handleLoginRedirect()));
  assert.equal(done.ok, true, JSON.stringify(done.error));
  const tokens = await app.evaluate(() => spa.tokens());
  const at = decodeJwtPart(tokens.accessToken.accessToken, 1);
  assert.equal(at.iss, issuer);
  assert.equal(at.aud, spaClientId);
  assert.equal(at.cid, spaClientId);
  assert.equal(at.sub, 'admin@example.com');
  assert.ok(at.scp.includes('openmetadata.read'), JSON.stringify(at.scp));
  assert.ok(Array.isArray(at.groups) && at.groups.includes('Everyone'), JSON.stringify(at.groups));
  await browser.screenshot(app, 'guide-5-spa-signed-in');
});
