// Starts a throw-away Sesame server for one test file.
//
//   const sesame = useSesame();          // at the top level of a test file
//   before(async () => { await sesame.ready; /* build clients from sesame.orgUrl, sesame.apiToken */ });
//   test('…', async () => { … });
//
// or, without node:test hooks:
//
//   const sesame = await startSesame();
//   try { … } finally { await sesame.stop(); }
//
// Each server gets its own loopback port and its own temporary data directory. `sesame init`
// creates the org, the first admin and an SSWS API token; `sesame serve` then runs until stop().
// The server's stdout and stderr are kept and printed when a test fails or the server does not start.
// No server survives the test process: stop() is called by an after() hook, and an exit/signal
// handler kills whatever is still running.

import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach } from 'node:test';

const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const ADMIN_EMAIL = 'admin@example.com';
const INIT_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const MAX_LOG_BYTES = 1 << 20;

/** Absolute path of the sesame binary: $SESAME_BIN (relative to the cwd) or ../bin/sesame (relative to e2e/). */
export function sesameBinary() {
  const fromEnv = process.env.SESAME_BIN;
  return fromEnv ? path.resolve(fromEnv) : path.resolve(E2E_DIR, '..', 'bin', 'sesame');
}

async function checkBinary(bin) {
  try {
    await fsp.access(bin, fs.constants.X_OK);
  } catch {
    const how = process.env.SESAME_BIN ? `SESAME_BIN=${process.env.SESAME_BIN}` : 'the default ../bin/sesame';
    throw new Error(
      `sesame binary not found or not executable: ${bin} (from ${how}).\n` +
        `Build it first: (cd .. && go build -o bin/sesame ./cmd/sesame), or set SESAME_BIN to its path.`,
    );
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort() {
  const srv = net.createServer();
  srv.listen({ host: HOST, port: 0, exclusive: true });
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

// The child gets our environment without SESAME_* variables (a developer's SESAME_DATABASE_URL must
// not point a throw-away server at a real database); options.env adds or overrides variables.
function childEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('SESAME_')) env[k] = v;
  }
  return { ...env, ...extra };
}

function run(bin, args, env) {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { env, timeout: INIT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: MAX_LOG_BYTES },
      (error, stdout, stderr) => resolve({ error, stdout, stderr }),
    );
  });
}

// ---- last-resort cleanup --------------------------------------------------------------------

const live = new Set(); // { child, dataDir }
let handlersInstalled = false;

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = () => {
    for (const entry of live) {
      try {
        entry.child.kill('SIGKILL');
      } catch {}
      try {
        fs.rmSync(entry.dataDir, { recursive: true, force: true });
      } catch {}
    }
    live.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      killAll();
      // Die of the same signal, as we would have without this handler.
      process.kill(process.pid, sig);
    });
  }
}

// ---- logs -----------------------------------------------------------------------------------

// The server's output, line by line (a chunk's last partial line counts as a line), the oldest
// dropped beyond MAX_LOG_BYTES. Line numbers keep counting, so since(mark) is what came after mark.
class LogBuffer {
  constructor() {
    this.chunks = [];
    this.bytes = 0;
    this.dropped = 0;
  }
  get mark() {
    return this.dropped + this.chunks.length;
  }
  push(prefix, chunk) {
    const text = chunk.toString('utf8');
    const lines = text.split(/(?<=\n)/).map((l) => prefix + (l.endsWith('\n') ? l : `${l}\n`));
    for (const l of lines) {
      this.chunks.push(l);
      this.bytes += l.length;
    }
    while (this.bytes > MAX_LOG_BYTES && this.chunks.length > 1) {
      this.bytes -= this.chunks.shift().length;
      this.dropped++;
    }
  }
  since(mark = 0) {
    const skip = mark - this.dropped;
    const head = skip < 0 ? `[… ${-skip} lines dropped …]\n` : '';
    return head + this.chunks.slice(Math.max(skip, 0)).join('');
  }
}

// ---- start / stop ---------------------------------------------------------------------------

/**
 * Starts a fresh Sesame: `sesame init` into a new temporary data directory, then `sesame serve`.
 * @param {{env?: Record<string,string>, publicHost?: string}} [options] publicHost: the org URL's host
 *   (default 127.0.0.1), for a name only the browser resolves, such as sesame.localhost; the server
 *   still listens on 127.0.0.1, which localUrl names.
 * @returns {Promise<{orgUrl: string, localUrl: string, apiToken: string, dataDir: string, port: number, initOutput: string,
 *   logs: (mark?: number) => string, logMark: () => number, printLogs: (why?: string, mark?: number) => void,
 *   stop: () => Promise<void>}>}
 * logs() is the server's output so far; logs(mark) only what came after logMark() returned mark.
 */
export async function startSesame(options = {}) {
  const bin = sesameBinary();
  await checkBinary(bin);
  installExitHandlers();

  const port = await freePort();
  const orgUrl = `http://${options.publicHost ?? HOST}:${port}`;
  const localUrl = `http://${HOST}:${port}`;
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'sesame-e2e-'));
  const tokenFile = path.join(dataDir, 'api-token');
  const env = childEnv(options.env);

  const removeDataDir = () => fsp.rm(dataDir, { recursive: true, force: true });

  // 1. init: org, first admin (password printed on stdout: kept, shown only on failure), API token.
  const initArgs = ['init', '--data', dataDir, '--url', orgUrl, '--admin-email', ADMIN_EMAIL, '--api-token-file', tokenFile];
  const init = await run(bin, initArgs, env);
  const initOutput = `$ ${bin} ${initArgs.join(' ')}\n--- stdout ---\n${init.stdout}\n--- stderr ---\n${init.stderr}`;
  if (init.error) {
    await removeDataDir();
    const e = init.error;
    const why = e.killed
      ? `timed out after ${INIT_TIMEOUT_MS} ms`
      : typeof e.code === 'number'
        ? `failed with exit status ${e.code}`
        : `failed (${e.signal ?? e.code ?? e.message})`;
    throw new Error(`sesame init ${why}\n${initOutput}`);
  }
  let apiToken;
  try {
    apiToken = (await fsp.readFile(tokenFile, 'utf8')).trim();
  } catch (e) {
    await removeDataDir();
    throw new Error(`sesame init did not write the API token file ${tokenFile}: ${e.message}\n${initOutput}`);
  }
  if (!apiToken) {
    await removeDataDir();
    throw new Error(`sesame init wrote an empty API token file ${tokenFile}\n${initOutput}`);
  }

  // 2. serve.
  const log = new LogBuffer();
  const serveArgs = ['serve', '--addr', `${HOST}:${port}`, '--url', orgUrl, '--data', dataDir];
  log.push('', `$ ${bin} ${serveArgs.join(' ')}\n`);
  let stopped = null; // stop()'s promise, once called
  const child = spawn(bin, serveArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { child, dataDir };
  live.add(entry);
  child.stdout.on('data', (c) => log.push('[stdout] ', c));
  child.stderr.on('data', (c) => log.push('[stderr] ', c));
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      if (!stopped) log.push('[e2e] ', `sesame serve exited unexpectedly: ${JSON.stringify(exitInfo)}\n`);
      resolve(exitInfo);
    });
  });
  child.once('error', (e) => {
    log.push('[spawn] ', `${e.message}\n`);
    if (!exitInfo) {
      exitInfo = { code: null, signal: null, error: e };
    }
  });

  const stop = () => {
    stopped ??= (async () => {
      if (!exitInfo && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if ((await withTimeout(exited, STOP_TIMEOUT_MS)) === TIMEOUT) {
          log.push('[e2e] ', `server did not exit ${STOP_TIMEOUT_MS} ms after SIGTERM; sending SIGKILL\n`);
          child.kill('SIGKILL');
          await exited;
        }
      }
      live.delete(entry);
      await removeDataDir();
    })();
    return stopped;
  };

  const logs = (mark = 0) => log.since(mark);
  const logMark = () => log.mark;
  const printLogs = (why = '', mark = 0) => {
    const what = mark ? 'sesame server log, new lines' : 'sesame server log';
    process.stderr.write(
      `===== ${what}${why ? ` (${why})` : ''}: ${orgUrl} =====\n${logs(mark)}` +
        (exitInfo && !stopped ? `[e2e] sesame serve is not running: ${JSON.stringify(exitInfo)}\n` : '') +
        '===== end of sesame server log =====\n',
    );
  };

  // 3. wait until discovery answers 200.
  const discovery = `${localUrl}/.well-known/openid-configuration`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (exitInfo) {
      await stop();
      throw new Error(`sesame serve exited before it was ready (${JSON.stringify(exitInfo)})\n${logs()}`);
    }
    try {
      const res = await fetch(discovery, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
      lastProblem = `GET ${discovery} answered ${res.status}`;
    } catch (e) {
      lastProblem = `GET ${discovery}: ${e.cause?.code ?? e.message}`;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`sesame serve not ready after ${READY_TIMEOUT_MS} ms (${lastProblem})\n${logs()}`);
    }
    await delay(100);
  }

  return { orgUrl, localUrl, apiToken, dataDir, port, initOutput, logs, logMark, printLogs, stop };
}

/**
 * Registers node:test hooks for the current file: a Sesame server is started before the first
 * test and stopped after the last; what it logged during a failed test is printed after that test. Returns an object
 * that is filled with startSesame()'s result once started, and whose `ready` promise resolves then.
 *
 * On Node 20, before() hooks at the top level of a file all start at once (only the tests wait
 * for them), so a file's own before() hook must `await sesame.ready` before using the server.
 */
export function useSesame(options = {}) {
  let resolveReady;
  let rejectReady;
  const sesame = {
    ready: new Promise((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    }),
  };
  sesame.ready.catch(() => {}); // reported by the hook below; not an unhandled rejection
  before(async () => {
    try {
      Object.assign(sesame, await startSesame(options));
      resolveReady(sesame);
    } catch (e) {
      rejectReady(e);
      throw e;
    }
  }, { timeout: INIT_TIMEOUT_MS + READY_TIMEOUT_MS + 5_000 });
  // After a failed test, print what the server logged during that test.
  let mark = 0;
  beforeEach(() => {
    mark = sesame.logMark?.() ?? 0;
  });
  afterEach((t) => {
    if (t.passed === false && sesame.printLogs) sesame.printLogs(`during failed test "${t.name}"`, mark);
  });
  after(async () => {
    await sesame.stop?.();
  }, { timeout: STOP_TIMEOUT_MS + 5_000 });
  return sesame;
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const TIMEOUT = Symbol('timeout');

// Resolves to the promise's value, or to TIMEOUT after ms; the timer never outlives the promise.
function withTimeout(promise, ms) {
  let timer;
  const expired = new Promise((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
