// A tiny static web server for the single-page app under test (e2e/spa/), on its own loopback port.
//
//   const spa = useSpa();                           // at the top level of a test file
//   … await spa.ready; spa.origin                    // http://127.0.0.1:PORT
//   page.goto(spa.url({ issuer, clientId }))         // the page builds its OktaAuth client from these
//
// Routes: / (and /index.html), /callback and /silent-callback all serve the SPA page; the page
// loads /okta-auth-js.js (the browser build of @okta/okta-auth-js from node_modules, the file its
// package.json names as "browser") and /spa.js. Anything else is 404.
//
// The SPA's origin differs from Sesame's only in the port: same site, different origin. That is
// the situation of an SPA whose IdP is on a sibling host, and what lets a SameSite=Lax session
// cookie reach Sesame from the hidden iframe of a silent renewal.

import fsp from 'node:fs/promises';
import http from 'node:http';
import { once } from 'node:events';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPA_DIR = path.join(E2E_DIR, 'spa');
const HOST = '127.0.0.1';
const AUTH_JS = '@okta/okta-auth-js';

/** Path of okta-auth-js's browser (UMD) build, as its package.json declares it. */
export async function oktaAuthBundlePath() {
  const require = createRequire(import.meta.url);
  // The package's "exports" hide package.json; its main entry is resolvable, and the package
  // root is the nearest directory above it whose package.json names the package.
  let dir = path.dirname(require.resolve(AUTH_JS));
  for (;;) {
    try {
      const pkg = JSON.parse(await fsp.readFile(path.join(dir, 'package.json'), 'utf8'));
      if (pkg.name === AUTH_JS) {
        const browser = typeof pkg.browser === 'string' ? pkg.browser : 'umd/default.js';
        return { file: path.join(dir, browser), version: pkg.version };
      }
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package directory of ${AUTH_JS}`);
    dir = parent;
  }
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/**
 * Starts the SPA server. Returns { origin, port, authJsVersion, url(params, path), stop() }.
 */
export async function startSpa() {
  const bundle = await oktaAuthBundlePath();
  const routes = new Map([
    ['/', path.join(SPA_DIR, 'index.html')],
    ['/index.html', path.join(SPA_DIR, 'index.html')],
    ['/callback', path.join(SPA_DIR, 'index.html')],
    ['/silent-callback', path.join(SPA_DIR, 'index.html')],
    ['/spa.js', path.join(SPA_DIR, 'spa.js')],
    ['/okta-auth-js.js', bundle.file],
  ]);
  // Read once: a missing file fails here, with its name, rather than as a 404 in the browser.
  const bodies = new Map();
  for (const [route, file] of routes) bodies.set(route, { body: await fsp.readFile(file), type: TYPES[path.extname(file)] });

  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = new URL(req.url, 'http://spa.invalid').pathname;
    } catch {
      pathname = '';
    }
    const hit = bodies.get(pathname);
    if (!hit || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(hit ? 405 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(hit ? 'method not allowed\n' : 'not found\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': hit.type,
      'Content-Length': hit.body.length,
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : hit.body);
  });
  server.listen({ host: HOST, port: 0 });
  await once(server, 'listening');
  const { port } = server.address();
  const origin = `http://${HOST}:${port}`;

  let stopped = null;
  const stop = () => {
    stopped ??= new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return stopped;
  };

  /** URL of a page of the SPA; params go into the query (issuer, clientId, scopes). */
  const url = (params = {}, pathname = '/') => {
    const u = new URL(pathname, origin);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.href;
  };

  return { origin, port, authJsVersion: bundle.version, url, stop };
}

/** Registers node:test hooks that start the SPA server before the first test and stop it after the last. */
export function useSpa() {
  let resolveReady;
  let rejectReady;
  const spa = {
    ready: new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    }),
  };
  spa.ready.catch(() => {});
  before(async () => {
    try {
      Object.assign(spa, await startSpa());
      resolveReady(spa);
    } catch (e) {
      rejectReady(e);
      throw e;
    }
  });
  after(async () => {
    await spa.stop?.();
  });
  return spa;
}
