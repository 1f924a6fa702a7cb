// Sign-in through an OpenID Connect provider: the authorization code flow with PKCE for a public client (no secret in
// the page). The provider's endpoints come from its discovery document; the code comes back to "/" as ?code=&state=.

import { base64UrlBytes } from './ui.js';

const pendingKey = 'aimi.oidc.pending';

// The discovery document, read once per page: every renewal needs its token endpoint.
const discovered = new Map();

function discover(authority) {
  if (!discovered.has(authority)) {
    discovered.set(authority, fetch(`${authority}/.well-known/openid-configuration`).then(response => {
      if (!response.ok) throw new Error(`The identity provider's discovery document answered ${response.status}.`);
      return response.json();
    }).catch(error => {
      discovered.delete(authority); // a failure is not remembered: the next sign-in or renewal asks again
      throw error;
    }));
  }
  return discovered.get(authority);
}

function randomUrlSafe(bytes) {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function redirectUri() {
  return `${location.origin}/`;
}

/** Sends the browser to the provider's sign-in page; it comes back to "/" with a code. */
export async function beginSignIn(config, locale) {
  const metadata = await discover(config.authority);
  const verifier = randomUrlSafe(48);
  const state = randomUrlSafe(24);
  const challenge = base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(pendingKey, JSON.stringify({ verifier, state, hash: location.hash }));
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ui_locales: locale,
  }).toString();
  location.assign(url.toString());
}

/** True when the page was opened by the provider's redirect. */
export function isCallback() {
  const params = new URLSearchParams(location.search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

/** Exchanges the code from the redirect for tokens, and takes the code out of the address bar. */
export async function completeSignIn(config) {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null');
  sessionStorage.removeItem(pendingKey);
  history.replaceState(null, '', `/${pending?.hash ?? ''}`);
  if (params.has('error')) throw new Error(params.get('error_description') ?? params.get('error'));
  if (!pending || params.get('state') !== pending.state) throw new Error('The sign-in answer does not match the request made from this page.');
  return tokenRequest(config, {
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
}

/** A new access token from the refresh token, without sending the user away. */
export function refresh(config, refreshToken) {
  return tokenRequest(config, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/**
 * Tells the provider the refresh token is no longer wanted (RFC 7009), if it offers revocation; a provider that does
 * not, or does not answer, leaves the token to expire on its own.
 */
export async function revoke(config, refreshToken) {
  const metadata = await discover(config.authority);
  if (!metadata.revocation_endpoint) return false;
  const response = await fetch(metadata.revocation_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.clientId, token: refreshToken, token_type_hint: 'refresh_token' }),
  });
  return response.ok;
}

async function tokenRequest(config, fields) {
  const metadata = await discover(config.authority);
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: config.clientId, ...fields }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error_description ?? body.error ?? `HTTP ${response.status}`), { status: response.status });
  const claims = decodePayload(body.access_token);
  return {
    subject: claims.sub,
    name: claims.name ?? claims.preferred_username ?? claims.sub,
    accessToken: body.access_token,
    refreshToken: body.refresh_token ?? null,
    expiresIn: body.expires_in ?? 300,
  };
}

/** The claims of a JWT (read only to name the user; the gateway and services are the ones that validate it). */
function decodePayload(jwt) {
  return JSON.parse(new TextDecoder().decode(base64UrlBytes(jwt.split('.')[1])));
}
