// People lifecycle by e-mail, as a colleague meets it: the administrator adds a person in the console
// with "Send an invitation", the activation mail arrives at a real SMTP server (an in-test sink), the
// person follows its link in Chromium, sets a password and is signed in; later they forget it, ask
// for a reset on the sign-in page, follow the mailed link and choose a new one. The answer to a reset
// request is the same for an unknown username, and no mail goes out for it. Reference: issue 12.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSesame } from '../lib/sesame.mjs';
import { useBrowser } from '../lib/browser.mjs';
import { startSmtpSink } from '../lib/smtpsink.mjs';

const browser = useBrowser();
let sesame;
let sink;
let adminPassword;

delete process.env.https_proxy;
delete process.env.HTTPS_PROXY;

before(async () => {
  sink = await startSmtpSink();
  sesame = await startSesame({ env: { SESAME_SMTP_URL: sink.url, SESAME_SMTP_FROM: 'Sesame <idp@example.com>' } });
  adminPassword = /Generated password \(shown only once\): (\S+)/.exec(sesame.initOutput)?.[1];
  assert.ok(adminPassword, 'sesame init printed the administrator password');
}, { timeout: 60_000 });

after(async () => {
  await sesame?.stop();
  await sink?.close();
});

async function api(path) {
  const res = await fetch(sesame.orgUrl + path, { headers: { Authorization: `SSWS ${sesame.apiToken}`, Accept: 'application/json' } });
  return res.json();
}

function linkIn(mail, kind) {
  const m = new RegExp(`${sesame.orgUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/${kind}/[A-Za-z0-9_-]+`).exec(mail.text);
  assert.ok(m, `the mail holds a ${kind} link:\n${mail.text}`);
  return m[0];
}

async function setPassword(page, password) {
  assert.match(await page.locator('#password-rules').innerText(), /At least 8 characters/);
  await page.fill('#new-password', password);
  await page.fill('#confirm-password', password);
  await page.click('#set-password-submit');
  await page.waitForSelector('text=Signed in as');
}

test('an invitation by e-mail, then a forgotten password reset by e-mail', { timeout: 120_000 }, async () => {
  const email = `grace.${process.pid}@example.com`;

  // The administrator adds Grace with an invitation (the console's default).
  const { page: admin } = await browser.newPage();
  await admin.goto(`${sesame.orgUrl}/admin/people`);
  await admin.fill('#okta-signin-username', 'admin@example.com');
  await admin.fill('#okta-signin-password', adminPassword);
  await admin.click('#okta-signin-submit');
  await admin.waitForURL(`${sesame.orgUrl}/admin/people`);
  await admin.fill('#np-first', 'Grace');
  await admin.fill('#np-last', 'Hopper');
  await admin.fill('#np-email', email);
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByRole('status').waitFor();
  assert.match(await admin.getByRole('status').innerText(), /Invitation sent/);

  const invitation = await sink.next(email);
  assert.match(invitation.raw, /Content-Type: multipart\/alternative/i);
  assert.match(invitation.raw, /Content-Type: text\/html/i);
  const activation = linkIn(invitation, 'welcome');
  const [person] = await api(`/api/v1/users?filter=${encodeURIComponent(`profile.login eq "${email}"`)}`);
  assert.notEqual(person.status, 'ACTIVE', 'not active before the link is used');

  // Grace follows the link, chooses a password and is signed in.
  const { page: grace } = await browser.newPage();
  await grace.goto(activation);
  assert.equal(await grace.locator('#set-password-login').innerText(), email);
  await setPassword(grace, 'Amazing-Grace-1906');
  const session = await (await grace.context().request.get(`${sesame.orgUrl}/api/v1/sessions/me`)).json();
  assert.equal(session.userId, person.id);
  assert.equal((await api(`/api/v1/users/${person.id}`)).status, 'ACTIVE');
  assert.equal((await grace.goto(activation)).status(), 410, 'the link works once');

  // Later, on another browser, she has forgotten it: the sign-in page's "Forgot password?".
  const { page: later } = await browser.newPage();
  await later.goto(`${sesame.orgUrl}/login/login.htm`);
  await later.click('#forgot-password-link');
  await later.fill('#forgot-username', email);
  await later.click('#forgot-submit');
  const answer = await later.locator('#forgot-sent').innerText();

  // An unknown username gets the same answer, and no mail.
  const { page: stranger } = await browser.newPage();
  await stranger.goto(`${sesame.orgUrl}/signin/forgot-password`);
  await stranger.fill('#forgot-username', `nobody.${process.pid}@example.com`);
  await stranger.click('#forgot-submit');
  assert.equal((await stranger.locator('#forgot-sent').innerText()).replace(`nobody.${process.pid}@example.com`, email), answer);

  const resetMail = await sink.next(email);
  const reset = linkIn(resetMail, 'reset_password');
  await later.goto(reset);
  await setPassword(later, 'Cobol-Compiler-1959');
  // The reset ended the session Grace still had in the first browser.
  assert.equal((await grace.context().request.get(`${sesame.orgUrl}/api/v1/sessions/me`)).status(), 404, 'no session from before the reset');
  assert.equal(sink.messages.filter((m) => m.to.some((t) => t.includes('nobody.'))).length, 0, 'no mail for an unknown username');

  // The old password no longer signs in; the new one does.
  const { page: check } = await browser.newPage();
  await check.goto(`${sesame.orgUrl}/login/login.htm`);
  await check.fill('#okta-signin-username', email);
  await check.fill('#okta-signin-password', 'Amazing-Grace-1906');
  await check.click('#okta-signin-submit');
  await check.locator('[role=alert]').waitFor();
  await check.fill('#okta-signin-username', email);
  await check.fill('#okta-signin-password', 'Cobol-Compiler-1959');
  await check.click('#okta-signin-submit');
  await check.waitForSelector('text=Signed in as');
});
