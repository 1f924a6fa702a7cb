// What Aimi remembers: the portrait (`GET /memory/state`), the facts with when they became true and what replaced them
// (`GET /memory/facts?includeInactive=true`), forgetting one (`DELETE /memory/items/{id}`) or everything (`DELETE /memory`,
// after a confirmation dialog).
import { t } from './i18n.js';
import { h, fill, formatDateTime, busy, notify, describeError } from './ui.js';

export class MemoryView {
  #api;
  #root;
  #dialog;

  constructor(root, api) {
    this.#api = api;
    this.#root = root;
    this.#dialog = document.getElementById('forget-all-dialog');
    root.querySelector('#memory-refresh').addEventListener('click', () => this.load());
    root.querySelector('#memory-history').addEventListener('change', () => this.load());
    root.querySelector('#forget-all').addEventListener('click', () => this.#dialog.showModal());
    this.#dialog.addEventListener('close', () => {
      if (this.#dialog.returnValue === 'confirm') this.#forgetAll();
    });
  }

  async load() {
    try {
      const [state, facts] = await Promise.all([this.#api.get('/memory/state'), this.#api.get('/memory/facts?includeInactive=true')]);
      this.#renderPortrait(state);
      this.#renderFacts(facts);
      this.#root.dataset.loadedAt = new Date().toISOString();
    } catch (error) {
      if (error.status !== 401) notify(describeError(error), 'error');
    }
  }

  #renderPortrait(state) {
    const sections = [
      ['memory.lastSummary', state.lastSummary ? [h('p', {}, state.lastSummary)] : []],
      ['memory.mood', state.mood ? [h('p', {}, [state.mood, ...state.moodTrend.length ? [` (${state.moodTrend.join(' → ')})`] : []].join(''))] : []],
      ['memory.activeGoals', listOf(state.activeGoals.map(g => g.title))],
      ['memory.preferences', listOf(state.preferences)],
      ['memory.pendingItems', listOf(state.pendingItems.map(p => `${p.title} (${t(`status.${p.status}`)})`))],
    ].filter(([, content]) => content.length);
    fill(this.#root.querySelector('#portrait'), sections.length
      ? sections.map(([key, content]) => h('div', { class: 'portrait-part' }, h('h4', {}, t(key)), content))
      : h('p', { class: 'empty' }, t('memory.nothing')));
  }

  #renderFacts(facts) {
    const showHistory = this.#root.querySelector('#memory-history').checked;
    const byId = new Map(facts.map(f => [f.id, f]));
    const shown = facts.filter(f => f.isActive || showHistory);
    fill(this.#root.querySelector('#fact-list'), shown.length
      ? shown.map(fact => this.#fact(fact, byId))
      : h('li', { class: 'empty' }, t('memory.factsEmpty')));
  }

  #fact(fact, byId) {
    const replacement = fact.supersededBy ? byId.get(fact.supersededBy) : null;
    const when = fact.validTo
      ? t('memory.until', { from: formatDateTime(fact.validFrom), to: formatDateTime(fact.validTo) })
      : t('memory.since', { date: formatDateTime(fact.validFrom) });
    const forget = h('button', { type: 'button', class: 'danger', 'aria-label': t('memory.forgetNamed', { content: fact.content }) }, t('memory.forget'));
    forget.addEventListener('click', () => busy(forget, async () => {
      await this.#api.delete(`/memory/items/${fact.id}`);
      notify(t('memory.forgotten'));
      await this.load();
    }));
    return h('li', { class: `card fact${fact.isActive ? '' : ' replaced'}`, dataset: { memoryId: fact.id, active: String(fact.isActive) } },
      h('p', { class: 'fact-content' }, fact.content),
      h('p', { class: 'meta' }, h('time', { datetime: fact.validFrom }, when),
        replacement ? ` · ${t('memory.replacedBy', { content: replacement.content })}` : ''),
      h('div', { class: 'actions' }, forget));
  }

  async #forgetAll() {
    const button = this.#root.querySelector('#forget-all');
    await busy(button, async () => {
      await this.#api.delete('/memory');
      notify(t('memory.forgetAllDone'));
      await this.load();
    });
  }
}

function listOf(items) {
  return items.length ? [h('ul', {}, items.map(item => h('li', {}, item)))] : [];
}
