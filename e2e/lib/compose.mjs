// Reading a Compose file as Docker would run it, without Docker: `docker-compose config`
// (Debian's docker-compose; it needs no daemon) validates the file and resolves its variables and
// relative paths, and its YAML answer is read through python3-yaml (both installed by
// scripts/ensure-docker-compose.sh).

import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The resolved configuration of one service of a Compose file: { environment, volumes, ports, … }. */
export async function composeService(file, service, env = {}) {
  const { stdout } = await exec('docker-compose', ['-f', file, 'config'], { env: { ...process.env, ...env }, timeout: 30_000 });
  const config = JSON.parse(await pipe('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], stdout));
  const svc = config.services?.[service];
  if (!svc) throw new Error(`${file} has no service ${service}`);
  return svc;
}

/** Where a service's container path is mounted from on the host, from its volumes. */
export function hostPathOf(svc, containerPath) {
  for (const v of svc.volumes ?? []) {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      if (target === containerPath) return source;
    } else if (v.target === containerPath) {
      return v.source;
    }
  }
  return undefined;
}

// Runs cmd with input on its standard input and resolves to its standard output.
function pipe(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
    child.stdin.end(input);
  });
}
