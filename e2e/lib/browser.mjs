// Headless Chromium for the browser tests, driven by playwright-core.
//
//   const browser = useBrowser();             // at the top level of a test file
//   test('…', async () => {
//     const { page } = await browser.newPage();
//     await page.goto(url);
//     await browser.screenshot(page, 'some-name');   // e2e/artifacts/some-name.png
//   });
//
// The browser is Debian's chromium (/usr/bin/chromium, installed by `make e2e-deps`) or $CHROMIUM:
// playwright's own browser downloads come from a host that our machines and CI cannot reach.
// Every newPage() gets a new browser context, so cookies and storage never leak between tests.
// When a test fails, each page it opened is saved as e2e/artifacts/failed-<test>-<n>.png and
// what the pages logged (console, uncaught errors, failed requests) is printed.

import fsp from 'node:fs/promises';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS_DIR = path.join(E2E_DIR, 'artifacts');
const DEFAULT_CHROMIUM = '/usr/bin/chromium';
const LAUNCH_TIMEOUT_MS = 30_000;
// Each page's action and navigation timeout: long enough for a loaded 2-core machine, short
// enough that a page that never gets where a test expects fails well within the test timeout.
const PAGE_TIMEOUT_MS = 15_000;
const MAX_PAGE_LOG_LINES = 200;

// The flags of the project's headless Chromium (see the README). Playwright adds most of them
// itself; they are listed so that the browser runs the same when playwright's defaults change.
// It also gives every launch() a fresh temporary --user-data-dir (it refuses one in args) and
// removes it on close().
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Path of the Chromium binary: $CHROMIUM or /usr/bin/chromium. */
export function chromiumPath() {
  return process.env.CHROMIUM ? path.resolve(process.env.CHROMIUM) : DEFAULT_CHROMIUM;
}

/** Launches headless Chromium; throws a message that says how to get it when it is missing. */
export async function launchBrowser() {
  const executablePath = chromiumPath();
  try {
    await fsp.access(executablePath, fs.constants.X_OK);
  } catch {
    const how = process.env.CHROMIUM ? `CHROMIUM=${process.env.CHROMIUM}` : 'the default';
    throw new Error(
      `Chromium not found or not executable: ${executablePath} (from ${how}).\n` +
        `Install Debian's chromium (make e2e-deps does), or set CHROMIUM to a Chromium or Chrome binary.`,
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: LAUNCH_TIMEOUT_MS,
    // Chromium on Linux honours $http_proxy and friends; these tests only talk to loopback.
    env: withoutProxyVariables(process.env),
  });
}

function withoutProxyVariables(env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    if (!/^(https?|all|no|ftp)_proxy$/i.test(k)) out[k] = v;
  }
  return out;
}

/** A file name made of the letters and digits of `name`. */
export function slug(name) {
  return (
    String(name)
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'page'
  );
}

/** Saves a full-page screenshot as e2e/artifacts/<name>.png and returns its path. */
export async function screenshot(page, name) {
  await fsp.mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${slug(name)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Registers node:test hooks for the current file: Chromium is launched before the first test and
 * closed after the last. Returns { ready, browser, newPage(options), screenshot(page, name) }.
 * Contexts opened during a test are closed after it; if the test failed, the pages of every open
 * context are screenshotted first and their logs printed.
 */
export function useBrowser() {
  const state = { browser: null, contexts: [] };
  let resolveReady;
  let rejectReady;
  const ready = new Promise((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {}); // reported by the hook below

  before(async () => {
    try {
      state.browser = await launchBrowser();
      resolveReady(state.browser);
    } catch (e) {
      rejectReady(e);
      throw e;
    }
  }, { timeout: LAUNCH_TIMEOUT_MS + 5_000 });

  // Subtests run these hooks too; only the contexts opened since this test began are its own.
  const marks = [];
  beforeEach(() => {
    marks.push(state.contexts.length);
  });
  afterEach(async (t) => {
    const mark = marks.pop() ?? 0;
    // A failed step of a longer test fails on a page that the test opened before the step: show them all.
    if (t.passed === false) await reportFailure(t.name, state.contexts);
    const mine = state.contexts.splice(mark);
    await Promise.all(mine.map((c) => c.context.close().catch(() => {})));
  });

  after(async () => {
    await Promise.all(state.contexts.splice(0).map((c) => c.context.close().catch(() => {})));
    await state.browser?.close();
  });

  /**
   * A new context (own cookies and storage) with one page. Its pages' console messages, uncaught
   * errors, failed requests and navigations are kept for the report of a failed test.
   */
  async function newPage(options = {}) {
    const browser = await ready;
    const context = await browser.newContext(options);
    context.setDefaultTimeout(PAGE_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(PAGE_TIMEOUT_MS);
    const entry = { context, logs: new Map() };
    context.on('page', (p) => watch(entry, p));
    state.contexts.push(entry);
    const page = await context.newPage();
    return { context, page };
  }

  return {
    ready,
    get browser() {
      return state.browser;
    },
    newPage,
    screenshot,
  };
}

function watch(entry, page) {
  const lines = [];
  entry.logs.set(page, lines);
  const add = (s) => {
    lines.push(s);
    if (lines.length > MAX_PAGE_LOG_LINES) lines.shift();
  };
  page.on('console', (m) => add(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => add(`[pageerror] ${e.stack || e.message}`));
  page.on('requestfailed', (r) => add(`[requestfailed] ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) add(`[navigated] ${f.url()}`);
  });
}

async function reportFailure(testName, entries) {
  let n = 0;
  const out = [];
  for (const entry of entries) {
    for (const page of entry.context.pages()) {
      n++;
      let shot;
      try {
        shot = await screenshot(page, `failed-${testName}-${n}`);
      } catch (e) {
        shot = `(no screenshot: ${e.message.split('\n')[0]})`;
      }
      out.push(
        `----- page ${n}: ${page.url()}\n  screenshot: ${shot}\n` +
          (entry.logs.get(page) ?? []).map((l) => `  ${l}`).join('\n'),
      );
    }
  }
  if (out.length) {
    process.stderr.write(`===== browser pages of failed test "${testName}" =====\n${out.join('\n')}\n===== end of browser pages =====\n`);
  }
}
