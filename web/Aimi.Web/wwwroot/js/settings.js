// Settings: the profile (`/me`: name, timezone proposed from the browser, language, quiet hours, contact addresses) and
// reminders (`/notifications/settings`: offsets, channels, follow-up), web push for this browser, the webhook secret and
// a test notification.
import { t, setLanguage, pick } from './i18n.js';
import { h, fill, busy, notify, setTimeZone, base64UrlBytes } from './ui.js';

const standardOffsets = [1440, 120, 15];
const channels = ['in_app', 'email', 'web_push', 'webhook'];

export class SettingsView extends EventTarget {
  #api;
  #root;
  #profile = null;
  #settings = null;

  constructor(root, api) {
    super();
    this.#api = api;
    this.#root = root;
    root.querySelector('#profile-form').addEventListener('submit', event => this.#saveProfile(event));
    root.querySelector('#reminder-form').addEventListener('submit', event => this.#saveReminders(event));
    root.querySelector('#push-enable').addEventListener('click', event => this.#enablePush(event.currentTarget));
    root.querySelector('#webhook-secret').addEventListener('click', event => this.#rotateSecret(event.currentTarget));
    root.querySelector('#email-confirm').addEventListener('click', event => busy(event.currentTarget, async () => {
      this.#profile = await this.#api.post('/me/email/confirm', { code: root.querySelector('#email-code').value.trim() });
      root.querySelector('#email-code').value = '';
      this.#renderVerification();
    }));
    root.querySelector('#email-resend').addEventListener('click', event => busy(event.currentTarget, async () => {
      this.#profile = await this.#api.post('/me/email/resend', {});
      notify(t('settings.emailSent'));
    }));
    root.querySelector('#webhook-verify').addEventListener('click', event => busy(event.currentTarget, async () => {
      this.#profile = await this.#api.post('/me/webhook/verify', {});
      this.#renderVerification();
    }));
    root.querySelector('#send-test').addEventListener('click', event => busy(event.currentTarget, async () => {
      await this.#api.post('/notifications/test', {});
      notify(t('settings.testDone'));
    }));
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    fill(root.querySelector('#time-zones'), zones.map(zone => h('option', { value: zone })));
  }

  /** The profile, read once at start (it carries the language and timezone the whole page uses). */
  async loadProfile() {
    this.#profile = await this.#api.get('/me');
    this.#apply(this.#profile);
    return this.#profile;
  }

  async load() {
    this.#profile = await this.#api.get('/me');
    this.#settings = await this.#api.get('/notifications/settings');
    this.#renderProfile();
    this.#renderReminders();
    await this.#renderPush();
    this.#root.dataset.loadedAt = new Date().toISOString();
  }

  #apply(profile) {
    setTimeZone(profile.timeZone);
    setLanguage(profile.locale);
  }

  #renderProfile() {
    const form = this.#root.querySelector('#profile-form');
    const p = this.#profile;
    form.elements.displayName.value = p.displayName ?? '';
    form.elements.timeZone.value = p.timeZone;
    form.elements.locale.value = pick(p.locale);
    form.elements.quietHoursStart.value = p.quietHoursStart?.slice(0, 5) ?? '';
    form.elements.quietHoursEnd.value = p.quietHoursEnd?.slice(0, 5) ?? '';

    const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const propose = this.#root.querySelector('#use-browser-zone');
    propose.hidden = !browserZone || browserZone === p.timeZone;
    propose.textContent = t('settings.useBrowserZone', { zone: browserZone });
    propose.onclick = () => { form.elements.timeZone.value = browserZone; };
  }

  #renderReminders() {
    const form = this.#root.querySelector('#reminder-form');
    const s = this.#settings;
    for (const minutes of standardOffsets) form.elements[`offset${minutes}`].checked = s.offsetsMinutes.includes(minutes);
    form.elements.customOffsets.value = s.offsetsMinutes.filter(m => !standardOffsets.includes(m)).join(', ');
    fill(this.#root.querySelector('#channel-choices'), channels.map(channel => {
      const id = `channel-${channel}`;
      const reachable = s.reachableChannels.includes(channel);
      return h('div', { class: 'check' },
        h('input', { type: 'checkbox', id, name: 'channels', value: channel, checked: s.channels.includes(channel) }),
        h('label', { for: id }, t(`settings.channel.${channel}`), reachable ? '' : h('small', {}, ` (${t('settings.unreachable')})`)));
    }));
    form.elements.email.value = this.#profile.channels.email ?? '';
    form.elements.webhookUrl.value = this.#profile.channels.webhookUrl ?? '';
    this.#renderVerification();
    form.elements.followUpEnabled.checked = s.followUpEnabled;
    form.elements.followUpAfterMinutes.value = s.followUpAfterMinutes;
  }

  /** An address is used only once proven: a code typed back for e-mail, an echoed challenge for a webhook. */
  #renderVerification() {
    const { emailStatus, webhookStatus } = this.#profile.channels;
    this.#root.querySelector('#email-verification').hidden = !emailStatus;
    this.#root.querySelector('#email-status').textContent = emailStatus ? t(`settings.emailStatus.${emailStatus}`) : '';
    const codeNeeded = emailStatus === 'pending';
    this.#root.querySelector('#email-code').closest('.field').hidden = !codeNeeded;
    for (const id of ['#email-confirm', '#email-resend']) this.#root.querySelector(id).hidden = !codeNeeded;
    this.#root.querySelector('#webhook-verification').hidden = !webhookStatus;
    this.#root.querySelector('#webhook-status').textContent = webhookStatus ? t(`settings.webhookStatus.${webhookStatus}`) : '';
  }

  async #saveProfile(event) {
    event.preventDefault();
    const form = event.target;
    await busy(form.querySelector('[type=submit]'), async () => {
      this.#profile = await this.#api.put('/me', {
        displayName: form.elements.displayName.value,
        timeZone: form.elements.timeZone.value,
        locale: form.elements.locale.value,
        // An empty string clears a field; both quiet-hour ends are set or cleared together.
        quietHoursStart: form.elements.quietHoursStart.value,
        quietHoursEnd: form.elements.quietHoursEnd.value,
        expectedVersion: this.#profile.version,
      });
      this.#apply(this.#profile);
      notify(t('settings.saved'));
      // The page reloads its views in the (maybe new) language, this one included.
      this.dispatchEvent(new Event('profilechanged'));
    });
  }

  async #saveReminders(event) {
    event.preventDefault();
    const form = event.target;
    const custom = form.elements.customOffsets.value.split(',').map(v => v.trim()).filter(Boolean).map(Number);
    const offsets = [...standardOffsets.filter(m => form.elements[`offset${m}`].checked), ...custom];
    const chosen = [...form.querySelectorAll('input[name=channels]:checked')].map(input => input.value);
    await busy(form.querySelector('[type=submit]'), async () => {
      this.#profile = await this.#api.put('/me', {
        channels: { inApp: chosen.includes('in_app'), email: form.elements.email.value, webhookUrl: form.elements.webhookUrl.value },
        expectedVersion: this.#profile.version,
      });
      this.#settings = await this.#api.put('/notifications/settings', {
        offsetsMinutes: offsets,
        channels: chosen,
        followUpEnabled: form.elements.followUpEnabled.checked,
        followUpAfterMinutes: Number(form.elements.followUpAfterMinutes.value),
      });
      notify(t('settings.saved'));
      this.#renderReminders();
    });
  }

  async #renderPush() {
    const status = this.#root.querySelector('#push-status');
    const button = this.#root.querySelector('#push-enable');
    button.hidden = true;
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) {
      status.textContent = t('settings.pushUnsupported');
      return;
    }
    try {
      await this.#api.get('/notifications/push-subscriptions/public-key');
    } catch (error) {
      if (error.status === 404) {
        status.textContent = t('settings.pushNotConfigured');
        return;
      }
      throw error;
    }
    status.textContent = t('settings.pushCount', { n: this.#settings.pushSubscriptions });
    button.hidden = false;
  }

  async #enablePush(button) {
    await busy(button, async () => {
      if (await Notification.requestPermission() !== 'granted') {
        notify(t('settings.pushDenied'), 'error');
        return;
      }
      const { publicKey } = await this.#api.get('/notifications/push-subscriptions/public-key');
      const registration = await navigator.serviceWorker.register('/sw.js');
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlBytes(publicKey) });
      const json = subscription.toJSON();
      await this.#api.post('/notifications/push-subscriptions', { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } });
      notify(t('settings.pushDone'));
      await this.load();
    });
  }

  async #rotateSecret(button) {
    await busy(button, async () => {
      const { secret } = await this.#api.post('/notifications/webhook-secret', {});
      this.#root.querySelector('#webhook-secret-value').textContent = t('settings.webhookSecretShown', { secret });
    });
  }
}

