// The page: sign-in, then the views. The URL's fragment picks the view (#/chat, #/agenda, #/goals, #/memory,
// #/settings); on a wide screen the chat stays beside whichever other view is open.
import { Auth } from './auth.js';
import { Api } from './api.js';
import { translate, setLanguage, t } from './i18n.js';
import { ChatConnection, ChatView } from './chat.js';
import { AgendaView } from './agenda.js';
import { GoalsView } from './goals.js';
import { MemoryView } from './memory.js';
import { SettingsView } from './settings.js';
import { describeError, notify } from './ui.js';

const views = ['chat', 'agenda', 'goals', 'memory', 'settings'];

const auth = new Auth();
const api = new Api(auth);
let app = null;

const $ = selector => document.querySelector(selector);

function showSignIn(messageKey = null, values = {}) {
  $('#main').hidden = true;
  $('#nav').hidden = true;
  $('#sign-out').hidden = true;
  $('#sign-in').hidden = false;
  const message = $('#sign-in-message');
  message.hidden = !messageKey;
  message.textContent = messageKey ? t(messageKey, values) : '';
  // With an identity provider there is no name to type: one button sends the user there.
  $('#sign-in-form').hidden = auth.usesProvider;
  $('#sign-in-provider').hidden = !auth.usesProvider;
  if (auth.usesProvider) {
    $('#sign-in-provider-button').focus();
    return;
  }
  const name = $('#sign-in-name');
  name.value = auth.lastName;
  name.focus();
}

async function signIn(event) {
  event.preventDefault();
  const name = $('#sign-in-name').value;
  const message = $('#sign-in-message');
  try {
    await auth.signIn(name);
  } catch (error) {
    message.hidden = false;
    message.textContent = error.status === 400 ? t('signIn.nameInvalid') : error.status === 404 ? t('signIn.unavailable') : describeError(error);
  }
}

/** The signed-in page; built once per user and page load. */
class App {
  constructor() {
    this.connection = new ChatConnection(auth, api);
    this.chat = new ChatView($('#pane-chat'), api, this.connection, auth);
    this.agenda = new AgendaView($('#pane-agenda'), api);
    this.goals = new GoalsView($('#pane-goals'), api);
    this.memory = new MemoryView($('#pane-memory'), api);
    this.settings = new SettingsView($('#pane-settings'), api);
    this.subject = auth.subject;

    // What the assistant did shows beside the chat without a reload.
    this.chat.addEventListener('changed', () => {
      this.agenda.load();
      if (this.view === 'goals') this.goals.load();
    });
    this.settings.addEventListener('profilechanged', () => this.reloadAll());
    window.addEventListener('hashchange', () => this.route());
    // The link of the open view loads it again (the hash does not change, so no hashchange fires).
    $('#nav').addEventListener('click', event => {
      const link = event.target.closest('a');
      if (link && link.getAttribute('href') === location.hash) this.route();
    });
  }

  async start() {
    $('#sign-in').hidden = true;
    $('#main').hidden = false;
    $('#nav').hidden = false;
    $('#sign-out').hidden = false;
    try {
      await this.settings.loadProfile();
    } catch (error) {
      if (error.status !== 401) notify(describeError(error), 'error');
    }
    await this.chat.load();
    this.connection.start();
    this.agenda.load();
    this.route();
  }

  resume() {
    $('#sign-in').hidden = true;
    $('#main').hidden = false;
    $('#nav').hidden = false;
    $('#sign-out').hidden = false;
    this.connection.start();
    this.reloadAll();
  }

  pause() {
    this.connection.stop();
  }

  /** After a language change: words in the markup and in every view. */
  reloadAll() {
    translate(document);
    this.chat.load();
    this.agenda.load();
    this.route();
  }

  route() {
    const requested = location.hash.replace(/^#\/?/, '');
    this.view = views.includes(requested) ? requested : 'chat';
    document.body.dataset.view = this.view;
    for (const link of document.querySelectorAll('#nav a')) {
      if (link.dataset.view === this.view) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
    }
    const load = { goals: () => this.goals.load(), memory: () => this.memory.load(), settings: () => this.settings.load(), agenda: () => this.agenda.load() }[this.view];
    load?.()?.catch?.(error => notify(describeError(error), 'error'));
  }
}

auth.addEventListener('signedin', () => {
  if (app && app.subject === auth.subject) {
    app.resume();
  } else if (app) {
    // Another person on this browser: start from a clean page.
    location.reload();
  } else {
    app = new App();
    app.start();
  }
});
auth.addEventListener('expired', () => {
  app?.pause();
  showSignIn('signIn.expired');
});
auth.addEventListener('signedout', () => location.assign('/'));

$('#sign-in-form').addEventListener('submit', signIn);
$('#sign-out').addEventListener('click', () => {
  app?.pause();
  auth.signOut();
});

$('#sign-in-provider-button').addEventListener('click', event => {
  event.currentTarget.disabled = true;
  auth.signInWithProvider(document.documentElement.lang).catch(error => {
    event.currentTarget.disabled = false;
    showSignIn('signIn.failed', { detail: error.message });
  });
});

setLanguage(navigator.language);
try {
  await auth.init();
} catch (error) {
  showSignIn('signIn.failed', { detail: error.message });
}
if (auth.signedIn) {
  app = new App();
  app.start();
} else if ($('#sign-in').hidden) {
  showSignIn();
}
