// The admin console (/admin) in headless Chromium: the administrator signs in through the hosted
// sign-in page, reads the dashboard, and creates the guide's Single-Page Application with the
// Create App Integration wizard; the app is then read back through the management API. Every
// screen is checked with axe-core (no serious or critical violation) at 1280 px and at a phone's
// width, and the pages must run under their CSP without a single violation report.
//
// Expected values come from what the test typed into the forms and from the org it started.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import { useSesame } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';

const sesame = useSesame();
const browser = useBrowser();

// Generous: many screens under axe, and a loaded 2-core machine takes seconds per screen.
const TEST_TIMEOUT_MS = 300_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let adminPassword;

before(async () => {
  await sesame.ready;
  adminPassword = /Generated password \(shown only once\): (\S+)/.exec(sesame.initOutput)?.[1];
  assert.ok(adminPassword, 'sesame init printed the administrator password');
});

async function mgmt(path) {
  const res = await fetch(`${sesame.orgUrl}${path}`, { headers: { Authorization: `SSWS ${sesame.apiToken}`, Accept: 'application/json' } });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

// checkA11y runs axe-core on the page as it is and fails on any serious or critical violation.
async function checkA11y(page, screen) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    [],
    `axe on ${screen}`,
  );
}

// A page that records every CSP violation the browser reports.
async function consolePage(viewport) {
  const { page } = await browser.newPage({ viewport });
  const cspErrors = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  return { page, cspErrors };
}

async function signIn(page) {
  await page.goto(`${sesame.orgUrl}/admin`);
  assert.match(new URL(page.url()).pathname, /^\/login\/login\.htm$/);
  await page.fill('#okta-signin-username', 'admin@example.com');
  await page.fill('#okta-signin-password', adminPassword);
  await page.click('#okta-signin-submit');
  await page.waitForURL(`${sesame.orgUrl}/admin`);
}

test('console: sign in, dashboard, Create App Integration (SPA), axe on every screen', { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, cspErrors } = await consolePage(DESKTOP);
  await signIn(page);
  assert.equal(await page.locator('h1').textContent(), 'Dashboard');
  const command = await page.locator('#om-command').textContent();
  assert.ok(command.includes(`--org-url ${sesame.orgUrl}`), command);
  await checkA11y(page, 'dashboard');
  await browser.screenshot(page, 'console-dashboard');

  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Applications' }).click();
  await page.getByRole('link', { name: 'Create App Integration' }).click();
  await checkA11y(page, 'wizard: sign-in method and type');
  await page.getByLabel('Single-Page Application').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await checkA11y(page, 'wizard: new SPA');

  const label = `OpenMetadata <img src=x onerror=alert(1)>`;
  const origin = 'http://localhost:8585';
  await page.getByLabel('App integration name').fill(label);
  await page.getByLabel('Implicit (hybrid)').check();
  await page.getByLabel('Allow Access Token with implicit grant type').check();
  await page.getByLabel('Sign-in redirect URIs').fill(`${origin}/callback\n${origin}/silent-callback`);
  await page.getByLabel('Sign-out redirect URIs (optional)').fill(`${origin}/`);
  await page.getByLabel('Base URIs (optional)').fill(origin);
  await browser.screenshot(page, 'console-new-spa');
  await page.getByRole('button', { name: 'Save' }).click();

  await page.getByRole('status').waitFor();
  assert.equal(await page.locator('h1').textContent(), label, 'the label is shown as text, not markup');
  const clientId = (await page.locator('#client-id').textContent()).trim();
  await checkA11y(page, 'app General tab');
  await browser.screenshot(page, 'console-app-general');

  const [app] = await mgmt(`/api/v1/apps?q=OpenMetadata`);
  assert.equal(app.label, label);
  assert.equal(app.credentials.oauthClient.client_id, clientId);
  assert.equal(app.settings.oauthClient.application_type, 'browser');
  assert.deepEqual(app.settings.oauthClient.redirect_uris, [`${origin}/callback`, `${origin}/silent-callback`]);
  assert.deepEqual(app.settings.oauthClient.grant_types, ['authorization_code', 'refresh_token', 'implicit']);
  assert.deepEqual(app.settings.oauthClient.response_types, ['code', 'id_token', 'token']);
  const origins = await mgmt('/api/v1/trustedOrigins');
  assert.deepEqual(origins.map((o) => o.origin), [origin]);

  await page.goto(`${sesame.orgUrl}/admin/apps`);
  await checkA11y(page, 'applications list');

  // Security → API: every tab of the default authorization server, trusted origins, tokens.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'API' }).click();
  await checkA11y(page, 'authorization servers');
  await page.getByRole('link', { name: 'default', exact: true }).click();
  for (const tab of ['Settings', 'Scopes', 'Claims', 'Access Policies', 'Token Preview']) {
    await page.getByRole('navigation', { name: 'Authorization server tabs' }).getByRole('link', { name: tab }).click();
    await checkA11y(page, `authorization server: ${tab}`);
  }
  // A preview for a user grant names the person (the admin who is signed in).
  await page.fill('#tp-user', 'admin@example.com');
  await page.getByRole('button', { name: 'Preview Token' }).click();
  await page.locator('#preview-result').waitFor();
  await checkA11y(page, 'token preview result');
  await browser.screenshot(page, 'console-token-preview');
  for (const tab of ['Trusted Origins', 'Tokens']) {
    await page.goto(`${sesame.orgUrl}/admin/api/servers`);
    await page.getByRole('navigation', { name: 'API tabs' }).getByRole('link', { name: tab }).click();
    await checkA11y(page, tab);
  }

  // Directory and Reports.
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People' }).click();
  await page.getByLabel('First name').fill('Grace');
  await page.getByLabel('Last name').fill('Hopper');
  await page.getByLabel('Primary email').fill('grace@example.com');
  await page.getByLabel('Set by admin', { exact: true }).check();
  await page.getByLabel('Password (when set by admin; empty: none yet)').fill('Navy-Cobol-1959');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').waitFor();
  await checkA11y(page, 'person');
  await browser.screenshot(page, 'console-person');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'People' }).click();
  await checkA11y(page, 'people');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Groups' }).click();
  await checkA11y(page, 'groups');
  await page.getByRole('link', { name: 'Everyone' }).click();
  await checkA11y(page, 'group');
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'System Log' }).click();
  await checkA11y(page, 'system log');
  await browser.screenshot(page, 'console-system-log');

  // Phone width: same screens, same checks.
  await page.setViewportSize(PHONE);
  for (const path of ['/admin', `/admin/apps/${app.id}`, '/admin/people', '/admin/api/servers']) {
    await page.goto(`${sesame.orgUrl}${path}`);
    await checkA11y(page, `${path} at phone width`);
  }
  await browser.screenshot(page, 'console-phone-app');
  assert.deepEqual(cspErrors, [], 'CSP violations');

  // Sign out: the console asks for a sign-in again.
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await page.goto(`${sesame.orgUrl}/admin`);
  assert.match(new URL(page.url()).pathname, /^\/login\/login\.htm$/);
});
