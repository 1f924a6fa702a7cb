// Who is signed in, and their token. The page asks the web host how (`GET /config.json`): in Development the gateway
// hands out tokens for a name (`POST /auth/dev-token`); in production an OpenID Connect provider signs the user in
// (oidc.js) and a refresh token renews the access token. Either way the token is renewed a minute before it expires,
// and when it cannot be the page asks the user to sign in again (an 'expired' event) instead of failing quietly.
// Kept in localStorage so a reload stays signed in.
import { ApiError } from './api.js';
import * as oidc from './oidc.js';

const storageKey = 'aimi.session';
const renewBeforeMs = 60_000;
const subjectPattern = /^[A-Za-z0-9._@-]{1,128}$/;

export class Auth extends EventTarget {
  #config = { signIn: 'development' };
  #session = load();
  #timer = 0;
  #renewing = null;

  constructor() {
    super();
    // Timers are throttled in background tabs: check again when the tab is shown.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.signedIn && this.#expiresSoon()) this.renew();
    });
  }

  /** Reads how to sign in, and finishes a provider sign-in if the page is its redirect. */
  async init() {
    const response = await fetch('/config.json').catch(() => null);
    if (response?.ok) this.#config = await response.json();
    if (this.usesProvider && oidc.isCallback()) {
      this.#store(await oidc.completeSignIn(this.#config));
    }
    if (this.#session) this.#schedule();
  }

  /** True when an OpenID Connect provider signs users in (no name field). */
  get usesProvider() {
    return this.#config.signIn === 'oidc';
  }

  get signedIn() {
    return Boolean(this.#session?.accessToken);
  }

  get subject() {
    return this.#session?.subject ?? null;
  }

  /** The last name used on this browser, to fill the sign-in form after an expiry. */
  get lastName() {
    return this.#session?.name ?? localStorage.getItem(`${storageKey}.name`) ?? '';
  }

  get token() {
    return this.#session?.accessToken ?? null;
  }

  /** Development: signs in by name (the name, or a digest of names outside the subject's alphabet, is the user id). */
  async signIn(name) {
    const cleaned = name.trim();
    const subject = subjectPattern.test(cleaned) ? cleaned.toLowerCase() : await digestSubject(cleaned);
    await this.#devToken(subject, cleaned);
    localStorage.setItem(`${storageKey}.name`, cleaned);
    this.dispatchEvent(new Event('signedin'));
  }

  /** Production: off to the provider's sign-in page; the page loads again signed in. */
  signInWithProvider(locale) {
    return oidc.beginSignIn(this.#config, locale);
  }

  /** A fresh token for the same user; on failure the user is asked to sign in again. One renewal at a time. */
  renew() {
    if (!this.#session) return Promise.resolve(false);
    this.#renewing ??= this.#fetchNewToken()
      .then(() => true)
      .catch(() => {
        this.expire();
        return false;
      })
      .finally(() => { this.#renewing = null; });
    return this.#renewing;
  }

  /** The token is no longer good: forget it (keeping the name) and tell the page. */
  expire() {
    if (!this.#session?.accessToken) return;
    this.#session = { subject: this.#session.subject, name: this.#session.name };
    save(this.#session);
    clearTimeout(this.#timer);
    this.dispatchEvent(new Event('expired'));
  }

  /**
   * Forgets everything this browser kept of Aimi (the session and its refresh token, every unsent message and draft,
   * the remembered name), and revokes the refresh token at the provider when it can: a shared computer keeps nothing.
   */
  async signOut() {
    clearTimeout(this.#timer);
    const refreshToken = this.#session?.refreshToken;
    this.#session = null;
    for (const storage of [localStorage, sessionStorage]) {
      for (const key of Object.keys(storage).filter(k => k.startsWith('aimi.'))) storage.removeItem(key);
    }
    if (this.usesProvider && refreshToken) {
      await oidc.revoke(this.#config, refreshToken).catch(() => false);
    }
    this.dispatchEvent(new Event('signedout'));
  }

  #fetchNewToken() {
    if (!this.usesProvider) return this.#devToken(this.#session.subject, this.#session.name);
    if (!this.#session.refreshToken) return Promise.reject(new Error('No refresh token: sign in again.'));
    return oidc.refresh(this.#config, this.#session.refreshToken).then(tokens => this.#store(tokens));
  }

  async #devToken(subject, name) {
    const response = await fetch('/auth/dev-token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject, name }),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new ApiError(response.status, problem);
    }
    const token = await response.json();
    this.#store({ subject, name, accessToken: token.accessToken, refreshToken: null, expiresIn: token.expiresIn });
  }

  #store({ subject, name, accessToken, refreshToken, expiresIn }) {
    this.#session = { subject, name, accessToken, refreshToken, expiresAt: Date.now() + expiresIn * 1000 };
    save(this.#session);
    this.#schedule();
  }

  #expiresSoon() {
    return !this.#session?.expiresAt || this.#session.expiresAt - Date.now() < renewBeforeMs;
  }

  #schedule() {
    clearTimeout(this.#timer);
    if (!this.#session?.expiresAt) return;
    // A token shorter-lived than the margin is renewed at half its life rather than at once.
    const lifetime = this.#session.expiresAt - Date.now();
    const due = lifetime > 2 * renewBeforeMs ? lifetime - renewBeforeMs : lifetime / 2;
    this.#timer = setTimeout(() => this.renew(), Math.max(0, due));
  }
}

function load() {
  try {
    return JSON.parse(localStorage.getItem(storageKey)) ?? null;
  } catch {
    return null;
  }
}

function save(session) {
  localStorage.setItem(storageKey, JSON.stringify(session));
}

async function digestSubject(name) {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(name.toLowerCase())));
  return `u-${Array.from(bytes.slice(0, 12), b => b.toString(16).padStart(2, '0')).join('')}`;
}
