// Small DOM helpers shared by the views: element building, notices, and dates shown in the user's timezone.
import { currentLanguage, t } from './i18n.js';

/** Builds an element: `h('button', { class: 'x', onclick: fn }, 'text', child)`. Text is always set as text, never HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) element.append(child);
  }
  return element;
}

let zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The timezone dates are shown in: the profile's, once it is known. */
export function setTimeZone(timeZone) {
  zone = timeZone || zone;
}

function locale() {
  return currentLanguage() === 'ru' ? 'ru-RU' : 'en-GB';
}

export function formatDateTime(value) {
  if (!value) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
    .format(new Date(value));
}

export function formatDate(value) {
  if (!value) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(value));
}

export function formatTime(value) {
  if (!value) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: zone, hour: '2-digit', minute: '2-digit' }).format(new Date(value));
}

/** The bytes of a base64url string (a VAPID key, a JWT's part), padding optional. */
export function base64UrlBytes(value) {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=');
  return Uint8Array.from(atob(base64), c => c.charCodeAt(0));
}

const notices = () => document.getElementById('notices');

/**
 * A notice in the corner (announced to screen readers by its live region). `kind`: 'info', 'error' or 'reminder';
 * errors and reminders stay until dismissed, the rest fade after a while.
 */
export function notify(text, kind = 'info', title = null) {
  const close = h('button', { type: 'button', class: 'notice-close', 'aria-label': t('notice.close') }, '×');
  const notice = h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status', dataset: { kind } },
    title ? h('strong', {}, title) : null,
    h('span', {}, text),
    close);
  close.addEventListener('click', () => notice.remove());
  notices().append(notice);
  if (kind === 'info') setTimeout(() => notice.remove(), 6000);
  return notice;
}

/** Shows what went wrong with an API call in words, per field where the server named fields. */
export function describeError(error) {
  if (error?.status === 0) return t('error.network');
  if (error?.status === 429) return t('error.rateLimited', { seconds: error.retryAfter ?? 1 });
  if (error?.status === 409) return t('error.conflict');
  const fields = error?.errors ? Object.values(error.errors).flat().join(' ') : '';
  return t('error.generic', { detail: fields || error?.detail || error?.title || error?.message || String(error) });
}

/** Runs an action from a button: disables it meanwhile, and turns a failure into a notice. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (error) {
    notify(describeError(error), 'error');
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
