// Goals and habits: lists, a form to add each, and editing in place. Edits send the version they were read at
// (`expectedVersion`); if someone (the assistant, another device) changed it meanwhile, the 409 reloads the list.
import { t } from './i18n.js';
import { h, fill, formatDate, busy, notify, describeError } from './ui.js';

const goalStatuses = ['active', 'paused', 'achieved', 'abandoned'];
const habitStatuses = ['active', 'paused'];

export class GoalsView {
  #api;
  #root;
  #goals = [];

  constructor(root, api) {
    this.#api = api;
    this.#root = root;
    root.querySelector('#goal-form').addEventListener('submit', event => this.#createGoal(event));
    root.querySelector('#habit-form').addEventListener('submit', event => this.#createHabit(event));
  }

  async load() {
    try {
      const [goals, habits] = await Promise.all([this.#api.get('/goals'), this.#api.get('/habits')]);
      this.#goals = goals;
      this.#renderGoals(goals);
      this.#renderHabits(habits);
      this.#fillGoalChoices(this.#root.querySelector('#habit-goal'));
      this.#root.dataset.loadedAt = new Date().toISOString();
    } catch (error) {
      if (error.status !== 401) notify(describeError(error), 'error');
    }
  }

  async #createGoal(event) {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    await busy(form.querySelector('[type=submit]'), async () => {
      await this.#api.post('/goals', {
        title: data.get('title'),
        description: data.get('description') || null,
        dueDate: data.get('dueDate') || null,
        importance: Number(data.get('importance')),
      });
      form.reset();
      await this.load();
    });
  }

  async #createHabit(event) {
    event.preventDefault();
    const form = event.target;
    const data = new FormData(form);
    await busy(form.querySelector('[type=submit]'), async () => {
      await this.#api.post('/habits', { title: data.get('title'), cadence: data.get('cadence'), goalId: data.get('goalId') || null });
      form.reset();
      await this.load();
    });
  }

  #renderGoals(goals) {
    fill(this.#root.querySelector('#goal-list'), goals.length
      ? goals.map(goal => h('li', { class: 'card', dataset: { goalId: goal.id } },
        h('div', { class: 'card-head' },
          h('span', { class: 'card-title' }, goal.title),
          h('span', { class: `badge goal-${goal.status}` }, t(`goalStatus.${goal.status}`))),
        goal.description ? h('p', {}, goal.description) : null,
        h('p', { class: 'meta' }, [goal.dueDate ? formatDate(goal.dueDate) : null, '★'.repeat(goal.importance)].filter(Boolean).join(' · ')),
        h('div', { class: 'actions' }, this.#editButton(goal, () => this.#goalEditor(goal)))))
      : h('li', { class: 'empty' }, t('goals.empty')));
  }

  #renderHabits(habits) {
    fill(this.#root.querySelector('#habit-list'), habits.length
      ? habits.map(habit => h('li', { class: 'card', dataset: { habitId: habit.id } },
        h('div', { class: 'card-head' },
          h('span', { class: 'card-title' }, habit.title),
          h('span', { class: `badge goal-${habit.status}` }, t(`goalStatus.${habit.status}`))),
        h('p', { class: 'meta' }, h('code', {}, habit.cadence), ` · ${t('habits.streak', { n: habit.streak })}`,
          habit.goalId ? ` · ${this.#goals.find(g => g.id === habit.goalId)?.title ?? ''}` : ''),
        h('div', { class: 'actions' }, this.#editButton(habit, () => this.#habitEditor(habit)))))
      : h('li', { class: 'empty' }, t('habits.empty')));
  }

  #editButton(item, editor) {
    const button = h('button', { type: 'button', 'aria-label': `${t('goals.edit')}: ${item.title}` }, t('goals.edit'));
    button.addEventListener('click', () => {
      const card = button.closest('.card');
      if (card.querySelector('form')) return;
      const form = editor();
      card.append(form);
      form.querySelector('input').focus();
    });
    return button;
  }

  #goalEditor(goal) {
    const title = field('title', t('goals.name'), h('input', { name: 'title', value: goal.title, required: true, maxlength: 200 }));
    const description = field('description', t('goals.description'), h('textarea', { name: 'description', maxlength: 4000 }, goal.description ?? ''));
    const due = field('dueDate', t('goals.dueDate'), h('input', { name: 'dueDate', type: 'date', value: goal.dueDate ?? '' }));
    const importance = field('importance', t('goals.importance'), h('input', { name: 'importance', type: 'number', min: 1, max: 5, value: goal.importance }));
    const status = field('status', t('goals.status'), statusSelect(goalStatuses, goal.status));
    return this.#editor(goal, `/goals/${goal.id}`, [title, description, due, importance, status], data => ({
      title: data.get('title'),
      description: data.get('description'),
      dueDate: data.get('dueDate') || null,
      importance: Number(data.get('importance')),
      status: data.get('status'),
    }));
  }

  #habitEditor(habit) {
    const title = field('title', t('goals.name'), h('input', { name: 'title', value: habit.title, required: true, maxlength: 200 }));
    const cadence = field('cadence', t('habits.cadence'), h('input', { name: 'cadence', value: habit.cadence, required: true }));
    const goalSelect = h('select', { name: 'goalId' });
    this.#fillGoalChoices(goalSelect, habit.goalId);
    const goal = field('goalId', t('habits.goal'), goalSelect);
    const status = field('status', t('goals.status'), statusSelect(habitStatuses, habit.status));
    return this.#editor(habit, `/habits/${habit.id}`, [title, cadence, goal, status], data => ({
      title: data.get('title'),
      cadence: data.get('cadence'),
      goalId: data.get('goalId') || null,
      status: data.get('status'),
    }));
  }

  #editor(item, path, fields, body) {
    const save = h('button', { type: 'submit', class: 'primary' }, t('goals.save'));
    const cancel = h('button', { type: 'button' }, t('goals.cancelEdit'));
    const form = h('form', { class: 'editor' }, fields, h('div', { class: 'actions' }, save, cancel));
    cancel.addEventListener('click', () => form.remove());
    form.addEventListener('submit', event => {
      event.preventDefault();
      busy(save, async () => {
        try {
          await this.#api.put(path, { ...body(new FormData(form)), expectedVersion: item.version });
        } finally {
          await this.load();
        }
      });
    });
    return form;
  }

  #fillGoalChoices(select, selected = null) {
    const current = selected ?? select.value;
    fill(select, h('option', { value: '' }, t('habits.noGoal')),
      this.#goals.filter(g => g.status === 'active' || g.id === current)
        .map(g => h('option', { value: g.id, selected: g.id === current }, g.title)));
  }
}

let fieldCount = 0;

/** A labelled form field (the label is tied to the control for screen readers). */
function field(name, label, control) {
  const id = `${name}-${++fieldCount}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function statusSelect(statuses, current) {
  return h('select', { name: 'status' }, statuses.map(s => h('option', { value: s, selected: s === current }, t(`goalStatus.${s}`))));
}
