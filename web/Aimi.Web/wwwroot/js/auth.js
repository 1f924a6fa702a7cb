// Who is signed in, and their token. In Development the gateway hands out tokens (`POST /auth/dev-token`) for a name;
// the token is renewed a minute before it expires, and when it cannot be renewed the page asks the user to sign in
// again (an 'expired' event) instead of failing quietly. Kept in localStorage so a reload stays signed in.

const storageKey = 'aimi.session';
const renewBeforeMs = 60_000;
const subjectPattern = /^[A-Za-z0-9._@-]{1,128}$/;

export class Auth extends EventTarget {
  #session = load();
  #timer = 0;
  #renewing = null;

  constructor() {
    super();
    // Timers are throttled in background tabs: check again when the tab is shown.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.#session && this.#expiresSoon()) this.renew();
    });
    if (this.#session) this.#schedule();
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

  /** Signs in by name: the name (or, for names outside the subject's alphabet, a digest of it) is the user id. */
  async signIn(name) {
    const cleaned = name.trim();
    const subject = subjectPattern.test(cleaned) ? cleaned.toLowerCase() : await digestSubject(cleaned);
    await this.#fetchToken(subject, cleaned);
    localStorage.setItem(`${storageKey}.name`, cleaned);
    this.dispatchEvent(new Event('signedin'));
  }

  /** A fresh token for the same user; on failure the user is asked to sign in again. One renewal at a time. */
  renew() {
    if (!this.#session) return Promise.resolve(false);
    this.#renewing ??= this.#fetchToken(this.#session.subject, this.#session.name)
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
    if (!this.#session) return;
    this.#session = { subject: this.#session.subject, name: this.#session.name };
    save(this.#session);
    clearTimeout(this.#timer);
    this.dispatchEvent(new Event('expired'));
  }

  signOut() {
    clearTimeout(this.#timer);
    this.#session = null;
    localStorage.removeItem(storageKey);
    this.dispatchEvent(new Event('signedout'));
  }

  async #fetchToken(subject, name) {
    const response = await fetch('/auth/dev-token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject, name }),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw Object.assign(new Error(problem.detail ?? problem.title ?? response.statusText), { status: response.status, ...problem });
    }
    const token = await response.json();
    this.#session = { subject, name, accessToken: token.accessToken, expiresAt: Date.now() + token.expiresIn * 1000 };
    save(this.#session);
    this.#schedule();
  }

  #expiresSoon() {
    return !this.#session?.expiresAt || this.#session.expiresAt - Date.now() < renewBeforeMs;
  }

  #schedule() {
    clearTimeout(this.#timer);
    if (!this.#session?.expiresAt) return;
    const due = Math.max(0, this.#session.expiresAt - Date.now() - renewBeforeMs);
    this.#timer = setTimeout(() => this.renew(), due);
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
