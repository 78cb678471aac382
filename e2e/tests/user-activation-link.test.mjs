// An activation link as an administrator hands it out: activate with sendEmail=false returns
// Okta's activationUrl, and a person following it in Chromium sees the password rules, sets a
// password and lands signed in; the link works once. Reference: issue 11 item 9.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useSesame } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';

const sesame = useSesame();
const browser = useBrowser();

delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

before(async () => {
  await sesame.ready;
}, { timeout: 60_000 });

async function api(method, path, body) {
  const res = await fetch(sesame.orgUrl + path, {
    method,
    headers: { Authorization: `SSWS ${sesame.apiToken}`, Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

test('an activation link sets the password and signs the person in, once', { timeout: 60_000 }, async () => {
  const login = `welcome.${process.pid}@example.com`;
  const created = await api('POST', '/api/v1/users?activate=false', {
    profile: { firstName: 'New', lastName: 'Hire', email: login, login },
  });
  assert.equal(created.status, 200);
  const activated = await api('POST', `/api/v1/users/${created.json.id}/lifecycle/activate?sendEmail=false`);
  assert.equal(activated.status, 200);
  const { activationUrl, activationToken } = activated.json;
  assert.equal(activationUrl, `${sesame.orgUrl}/welcome/${activationToken}`);

  const { page } = await browser.newPage();
  await page.goto(activationUrl);
  assert.match(await page.locator('#password-rules').innerText(), /At least 8 characters/);
  assert.equal(await page.locator('#set-password-login').innerText(), login);
  const password = 'Welcome-2-Sesame';
  await page.fill('#new-password', password);
  await page.fill('#confirm-password', password);
  await page.click('#set-password-submit');
  await page.waitForSelector('text=Signed in as');

  // The page's CSP allows no fetch; the session cookie is read by the context's own request.
  const session = await (await page.context().request.get(`${sesame.orgUrl}/api/v1/sessions/me`)).json();
  assert.equal(session.userId, created.json.id);
  const user = await api('GET', `/api/v1/users/${created.json.id}`);
  assert.equal(user.json.status, 'ACTIVE');

  const again = await page.goto(activationUrl);
  assert.equal(again.status(), 410);
  assert.match(await page.locator('[role=alert]').innerText(), /used already/);
});
