// Driving okta-auth-js's redirect sign-in in the SPA page (lib/spa.mjs) through Sesame's hosted
// sign-in page, for any issuer and app. Used by every browser test that signs someone in.
//
//   const flow = signInFlow({ orgUrl: sesame.orgUrl, spaOrigin: spa.origin, spaUrl: spa.url });
//   await flow.goToSignIn(page, { issuer, clientId, scopes: 'openid profile email' });
//   await flow.submitCredentials(page, login, password);
//   const callback = await flow.expectCallback(page);   // URL of /callback with code and state

import assert from 'node:assert/strict';

export const SIGNIN_PATH = '/login/login.htm';

export function decodeJwtPart(jwt, i) {
  return JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString('utf8'));
}

export function signInFlow({ orgUrl, spaOrigin, spaUrl, callbackPath = '/callback' }) {
  const isSignInPage = (u) => u.origin === orgUrl && u.pathname === SIGNIN_PATH;
  const isCallback = (u) => u.origin === spaOrigin && u.pathname === callbackPath;

  /** Opens the SPA, starts signInWithRedirect and waits for Sesame's sign-in page. */
  async function goToSignIn(page, config) {
    await page.goto(spaUrl(config));
    const loaded = await page.evaluate(() => spa.loadError);
    assert.equal(loaded, null, 'the SPA page built its OktaAuth client');
    // Not awaited in the page: it ends by navigating away, which would tear down the evaluation.
    await page.evaluate(() => {
      spa.authClient.signInWithRedirect().catch((e) => console.error('signInWithRedirect failed', e));
    });
    // Wherever the authorize request ends (a redirect is followed before the URL changes), the
    // browser leaves the SPA's start page; anything but the sign-in page fails here, not after a timeout.
    await page.waitForURL((u) => !(u.origin === spaOrigin && u.pathname === '/'));
    if (!isSignInPage(new URL(page.url()))) {
      const text = (await page.locator('body').textContent().catch(() => '')).trim().slice(0, 500);
      assert.fail(`expected the hosted sign-in page, the browser is at ${page.url()}, showing: ${text}`);
    }
  }

  /**
   * Types credentials into the sign-in widget's fields, submits, and waits until the browser has
   * settled on a page again: the SPA's callback, or the sign-in page (a refusal).
   */
  async function submitCredentials(page, username, password) {
    await page.locator('#okta-signin-username').fill(username);
    await page.locator('#okta-signin-password').fill(password);
    // Wait for the form's own navigation first: until it commits, the old sign-in page (and any
    // alert it shows from an earlier attempt) is still there.
    const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() });
    await page.locator('#okta-signin-submit').click();
    try {
      await navigated;
    } catch (e) {
      // Chromium logs why it blocked a navigation (a CSP form-action, say) as a console error: the
      // failed test prints the page log.
      assert.fail(`submitting the sign-in form led nowhere; the browser stayed at ${page.url()} (${e.message.split('\n')[0]})`);
    }
    await page.waitForURL((u) => isCallback(u) || isSignInPage(u)).catch(() => {}); // reported by the caller
  }

  /** The URL of the callback, where the sign-in must have ended; otherwise fails with what the browser shows. */
  async function expectCallback(page) {
    const u = new URL(page.url());
    if (isCallback(u)) return u;
    const alert = page.locator('[role="alert"]');
    const shown = (await alert.count())
      ? `an alert: ${(await alert.first().textContent()).trim()}`
      : (await page.locator('body').textContent().catch(() => '')).trim().slice(0, 500);
    assert.fail(`expected the SPA's ${callbackPath} after signing in, the browser is at ${page.url()}, showing ${shown}`);
  }

  return { isSignInPage, isCallback, goToSignIn, submitCredentials, expectCallback };
}
