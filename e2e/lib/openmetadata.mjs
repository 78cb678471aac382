// OpenMetadata's two server-side actors, emulated as OpenMetadata implements them (reference
// shared/reference/openmetadata.md §1.3 and §3), so that the end-to-end suite can prove a token
// Sesame issues is one OpenMetadata accepts:
//
// - jwtFilter: the server's JwtFilter — the key by `kid` from the configured publicKeyUrls (tried
//   in order, the first that has the kid wins), RS256 whatever the header says, `exp` without
//   leeway, no iss/aud check, bot and personal-access-token claims refused, the principal from the
//   first of email, preferred_username, sub (claims matched case-insensitively).
// - legacyIngestionToken: the legacy Okta ingestion client (okta-sdk-python's RequestExecutor +
//   python-jose): a client assertion with header {"typ":"JWT","alg":"RS256"} and no kid, aud = the
//   configured orgURL (the token URL), every parameter in the query string, an empty body.

import crypto from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export class JwtFilterError extends Error {
  constructor(status, message) {
    super(`${status} ${message}`);
    this.status = status;
  }
}

/** Validates a bearer token as OpenMetadata's JwtFilter does; returns { userName, email, claims }. */
export async function jwtFilter(token, publicKeyUrls, { principalClaims = ['email', 'preferred_username', 'sub'], principalDomain = 'open-metadata.org' } = {}) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new JwtFilterError(401, 'Invalid token');
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new JwtFilterError(401, 'Invalid token');
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) throw new JwtFilterError(401, 'Expired token!');
  if (!header.kid) throw new JwtFilterError(401, 'Token signing key not found in configured public keys');
  let jwk = null;
  for (const url of publicKeyUrls) {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new JwtFilterError(500, `JWKS key resolution failed: ${url} answered ${res.status}`);
    const set = await res.json();
    jwk = (set.keys ?? []).find((k) => k.kid === header.kid && k.kty && k.n && k.e) ?? null;
    if (jwk) break;
  }
  if (!jwk) throw new JwtFilterError(401, 'Token signing key not found in configured public keys');
  const key = crypto.createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'));
  if (!ok) throw new JwtFilterError(401, 'Invalid token');
  const lower = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k.toLowerCase(), v]));
  if (lower.isbot === true) throw new JwtFilterError(401, "The given token does not match the current bot's token!");
  if (lower.tokentype !== undefined) throw new JwtFilterError(401, 'personal access token lookup failed');
  const claim = principalClaims.find((c) => lower[c.toLowerCase()] !== undefined);
  if (!claim) throw new JwtFilterError(401, 'Invalid JWT token, none of the following claims are present');
  const value = String(lower[claim.toLowerCase()]);
  const [local, domain] = value.includes('@') ? value.split('@') : [value, principalDomain];
  return { userName: local.toLowerCase(), email: `${local}@${domain}`, claims };
}

/** The legacy Okta ingestion client's token request; returns { status, json }. */
export async function legacyIngestionToken({ orgURL, clientId, privateKey, scopes = [] }) {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256' }; // python-jose adds no kid
  const claims = { sub: clientId, iss: clientId, aud: orgURL, iat: now, exp: now + 3600, jti: crypto.randomUUID() };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const key = typeof privateKey === 'string' && privateKey.trim().startsWith('{')
    ? crypto.createPrivateKey({ key: JSON.parse(privateKey), format: 'jwk' })
    : crypto.createPrivateKey(privateKey);
  const assertion = `${input}.${b64url(crypto.sign('RSA-SHA256', Buffer.from(input), key))}`;
  const q = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });
  if (scopes.length) q.set('scope', scopes.join(' '));
  const res = await fetch(`${orgURL}?${q.toString().replace(/\+/g, '%20')}`, {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json };
}
