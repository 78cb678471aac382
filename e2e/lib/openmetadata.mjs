// OpenMetadata's two server-side actors, emulated as OpenMetadata implements them (reference
// shared/reference/openmetadata.md §1.3 and §3), so that the end-to-end suite can prove a token
// Sesame issues is one OpenMetadata accepts:
//
// - jwtFilter: the server's JwtFilter with MultiUrlJwkProvider (main branch, 2026) — the key named by
//   the token's `kid` from OpenMetadata's own key first (LocalJwkProvider), then from each of the
//   configured publicKeyUrls in order, a URL that fails or lacks the kid skipped (its error kept);
//   RS256 whatever the header says, `exp` without leeway, no iss/aud check, bot and
//   personal-access-token claims refused, the principal from the first of email,
//   preferred_username, sub (claims matched case-insensitively).
// - legacyIngestionToken: the legacy Okta ingestion client (okta-sdk-python's RequestExecutor +
//   python-jose, OktaAuthenticationProvider of ingestion 1.2): a client assertion with header
//   {"typ":"JWT","alg":"RS256"} and no kid, aud = the configured orgURL (the token URL), every
//   parameter in the query string in the order it builds them — scope included, empty when its
//   scopes list is — and an empty body. Ingestion 1.1 left scope out when the list was empty:
//   { emptyScope: 'omit' }.

import crypto from 'node:crypto';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export class JwtFilterError extends Error {
  constructor(status, message) {
    super(`${status} ${message}`);
    this.status = status;
  }
}

/**
 * Validates a bearer token as OpenMetadata's JwtFilter does; returns { userName, email, claims, keyFrom }.
 * ownKeys: OpenMetadata's own public keys as JWKs (with kid), tried before any URL.
 */
export async function jwtFilter(token, publicKeyUrls, { ownKeys = [], principalClaims = ['email', 'preferred_username', 'sub'], principalDomain = 'open-metadata.org' } = {}) {
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
  const usable = (k) => k.kid === header.kid && k.kty && k.n && k.e;
  let jwk = ownKeys.find(usable) ?? null;
  let keyFrom = jwk ? 'own' : null;
  const skipped = [];
  for (const url of jwk ? [] : publicKeyUrls) {
    try {
      const res = await fetch(url, { headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`answered ${res.status}`);
      jwk = ((await res.json()).keys ?? []).find(usable) ?? null;
      if (jwk) {
        keyFrom = url;
        break;
      }
      skipped.push(`${url}: no key ${header.kid}`);
    } catch (e) {
      skipped.push(`${url}: ${e.message}`);
    }
  }
  if (!jwk) throw new JwtFilterError(401, `Token signing key not found in configured public keys (${skipped.join('; ')})`);
  const key = crypto.createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  const ok = crypto.verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2], 'base64url'));
  if (!ok) throw new JwtFilterError(401, 'Invalid token');
  const lower = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k.toLowerCase(), v]));
  if (lower.isbot === true) throw new JwtFilterError(401, "The given token does not match the current bot's token!");
  if (lower.tokentype === 'PERSONAL_ACCESS') throw new JwtFilterError(401, 'personal access token lookup failed');
  const claim = principalClaims.find((c) => lower[c.toLowerCase()] !== undefined);
  if (!claim) throw new JwtFilterError(401, 'Invalid JWT token, none of the following claims are present');
  const value = String(lower[claim.toLowerCase()]);
  const [local, domain] = value.includes('@') ? value.split('@') : [value, principalDomain];
  return { userName: local.toLowerCase(), email: `${local}@${domain}`, claims, keyFrom };
}

/** The legacy Okta ingestion client's token request; returns { status, json, url }. */
export async function legacyIngestionToken({ orgURL, clientId, privateKey, scopes = [], emptyScope = 'send' }) {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256' }; // python-jose adds no kid
  const claims = { sub: clientId, iat: now, exp: now + 3600, iss: clientId, aud: orgURL, jti: crypto.randomUUID() };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const key = typeof privateKey === 'string' && privateKey.trim().startsWith('{')
    ? crypto.createPrivateKey({ key: JSON.parse(privateKey), format: 'jwk' })
    : crypto.createPrivateKey(privateKey);
  const assertion = `${input}.${b64url(crypto.sign('RSA-SHA256', Buffer.from(input), key))}`;
  // urlencode(parameters, quote_via=quote): keys in the dict's order, everything but
  // letters, digits, "_.-~" and "/" percent-encoded (spaces as %20).
  const quote = (v) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');
  const params = [['grant_type', 'client_credentials'], ['scope', scopes.join(' ')],
    ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'], ['client_assertion', assertion]]
    .filter(([k, v]) => k !== 'scope' || v !== '' || emptyScope === 'send');
  const query = params.map(([k, v]) => `${k}=${quote(v)}`).join('&');
  const url = `${orgURL}?${query}`;
  const res = await fetch(url, {
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
  return { status: res.status, json, url };
}
