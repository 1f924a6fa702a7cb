// Today, the next seven days, and what waits on the user (proposals to confirm, events awaiting feedback), with the
// Goals service's actions as buttons. Reloaded after every reply, reminder and follow-up, when the tab is shown again,
// and once a minute, so what the assistant changes appears here by itself.
import { t } from './i18n.js';
import { h, fill, formatDateTime, formatTime, busy, notify } from './ui.js';

const refreshEveryMs = 60_000;
const upcomingDays = 7;
const postponeChoices = [['agenda.hour', '01:00:00'], ['agenda.day', '1.00:00:00'], ['agenda.week', '7.00:00:00']];

export class AgendaView {
  #api;
  #root;
  #loading = null;
  #again = false;

  constructor(root, api) {
    this.#api = api;
    this.#root = root;
    root.querySelector('#agenda-refresh').addEventListener('click', () => this.load());
    setInterval(() => { if (document.visibilityState === 'visible') this.load(); }, refreshEveryMs);
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') this.load(); });
  }

  /** Loads again; a request made while one runs is folded into one more load after it. */
  load() {
    if (this.#loading) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = this.#fetchAndRender()
      .catch(error => { if (error.status !== 401) notify(error.message, 'error'); })
      .finally(() => {
        this.#loading = null;
        if (this.#again) {
          this.#again = false;
          this.load();
        }
      });
    return this.#loading;
  }

  async #fetchAndRender() {
    const today = await this.#api.get('/agenda');
    const until = new Date(new Date(today.to).getTime() + upcomingDays * 86_400_000).toISOString();
    const upcoming = await this.#api.get(`/agenda?from=${encodeURIComponent(today.to)}&to=${encodeURIComponent(until)}`);
    const pendingIds = new Set(today.pending.map(item => item.event.id));
    const notPending = item => !pendingIds.has(item.event.id);

    this.#list('#agenda-pending', today.pending, 'agenda.pendingEmpty');
    this.#list('#agenda-today', today.items.filter(notPending), 'agenda.todayEmpty');
    this.#list('#agenda-upcoming', upcoming.items.filter(notPending), 'agenda.upcomingEmpty');
    this.#root.dataset.loadedAt = new Date().toISOString();
  }

  #list(selector, items, emptyKey) {
    const list = this.#root.querySelector(selector);
    fill(list, items.length ? items.map(item => this.#item(item.event)) : h('li', { class: 'empty' }, t(emptyKey)));
  }

  #item(event) {
    const when = event.allDay ? `${formatDateTime(event.startsAt).split(',')[0]} · ${t('agenda.allDay')}`
      : event.startsAt ? formatDateTime(event.startsAt)
      : event.dueAt ? t('agenda.due', { time: formatDateTime(event.dueAt) }) : '';
    const item = h('li', { class: 'agenda-item', dataset: { eventId: event.id, status: event.status } },
      h('div', { class: 'agenda-head' },
        h('span', { class: 'agenda-title' }, event.title),
        h('span', { class: `badge status-${event.status}` }, t(`status.${event.status}`))),
      when ? h('p', { class: 'agenda-when' }, h('time', { datetime: event.startsAt ?? event.dueAt }, when),
        event.endsAt && !event.allDay ? ` – ${formatTime(event.endsAt)}` : '') : null,
      event.notes ? h('p', { class: 'agenda-notes' }, event.notes) : null);
    const actions = this.#actions(event, item);
    if (actions.length) item.append(h('div', { class: 'actions' }, actions));
    return item;
  }

  #actions(event, item) {
    const button = (key, action, style = '') => {
      const b = h('button', { type: 'button', class: style, 'aria-label': `${t(key)}: ${event.title}`, dataset: { action: key.split('.')[1] } }, t(key));
      b.addEventListener('click', () => busy(b, async () => {
        await action();
        await this.load();
      }));
      return b;
    };
    const post = (path, body = {}) => () => this.#api.post(`/events/${event.id}/${path}`, body);
    switch (event.status) {
      case 'pending_confirmation':
        return [button('agenda.confirm', post('confirm'), 'primary'), button('agenda.cancel', post('cancel'))];
      case 'planned':
      case 'scheduled':
      case 'postponed':
        return [button('agenda.complete', post('complete'), 'primary'), this.#postponeButton(event, item), button('agenda.cancel', post('cancel'))];
      case 'awaiting_feedback':
        return [button('agenda.done', post('feedback', { outcome: 'done' }), 'primary'), button('agenda.missed', post('feedback', { outcome: 'missed' }))];
      case 'missed':
        return [this.#postponeButton(event, item)];
      default:
        return [];
    }
  }

  /** Postpone opens a small form: by an hour, a day or a week. */
  #postponeButton(event, item) {
    const toggle = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-label': `${t('agenda.postpone')}: ${event.title}`, dataset: { action: 'postpone' } }, t('agenda.postpone'));
    toggle.addEventListener('click', () => {
      const open = item.querySelector('.postpone-form');
      if (open) {
        open.remove();
        toggle.setAttribute('aria-expanded', 'false');
        return;
      }
      const id = `postpone-${event.id}`;
      const select = h('select', { id, name: 'by' }, postponeChoices.map(([key, value]) => h('option', { value }, t(key))));
      const apply = h('button', { type: 'submit', class: 'primary' }, t('agenda.apply'));
      const form = h('form', { class: 'postpone-form' }, h('label', { for: id }, t('agenda.postponeBy')), select, apply);
      form.addEventListener('submit', submitted => {
        submitted.preventDefault();
        busy(apply, async () => {
          await this.#api.post(`/events/${event.id}/postpone`, { by: select.value });
          await this.load();
        });
      });
      item.append(form);
      toggle.setAttribute('aria-expanded', 'true');
      select.focus();
    });
    return toggle;
  }
}
