// The conversation over `/ws/chat`. ChatConnection keeps one socket open (reconnecting with back-off) and an outbox of
// messages not yet answered, kept in localStorage: each has a clientMessageId, so sending it again after a drop is
// safe (the server answers a repeat with the first answer). ChatView draws the messages, streaming replies as they come.
import { t } from './i18n.js';
import { h, fill, formatTime, notify } from './ui.js';

const maxLength = 4000;
const firstRetryMs = 1000;
const maxRetryMs = 30_000;
const resendAfterMs = 3000;
const maxAttempts = 5;
// Codes after which sending the same message again cannot help.
const finalErrors = new Set(['invalid', 'too_large', 'not_found', 'bad_frame']);

export class ChatConnection extends EventTarget {
  #auth;
  #api;
  #socket = null;
  #retryMs = firstRetryMs;
  #retryTimer = 0;
  #countdown = 0;
  #stopped = true;
  #connecting = false;
  #outboxKey;
  outbox;

  constructor(auth, api) {
    super();
    this.#auth = auth;
    this.#api = api;
    this.#outboxKey = `aimi.outbox.${auth.subject}`;
    this.outbox = JSON.parse(localStorage.getItem(this.#outboxKey) ?? '[]');
    window.addEventListener('online', () => this.#connectNow());
    window.addEventListener('offline', () => this.#setState('offline'));
  }

  start() {
    this.#stopped = false;
    this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#countdown);
    this.#socket?.close(1000, 'signed out');
    this.#socket = null;
  }

  /** Queues a message and sends it if the socket is open; returns its clientMessageId. */
  send(content) {
    const message = { clientMessageId: crypto.randomUUID(), content, createdAt: new Date().toISOString(), attempts: 0 };
    this.outbox.push(message);
    this.#saveOutbox();
    this.#transmit(message);
    return message.clientMessageId;
  }

  get open() {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  async #connect() {
    if (this.#stopped) return;
    if (!navigator.onLine) {
      this.#setState('offline');
      return;
    }
    if (this.#connecting) return;
    this.#setState('connecting');
    // The token never goes in the URL (logs and traces keep URLs): a ticket for one socket, good for 30 s, opens it. The
    // API call renews an expired token on its way.
    this.#connecting = true;
    let ticket = null;
    try {
      ({ ticket } = await this.#api.post('/chat/socket-tickets'));
    } catch {
      // Unreachable, busy (429, 503) or signed out: back off like a refused socket.
    } finally {
      this.#connecting = false;
    }
    if (this.#stopped || this.open) return;
    if (!ticket) {
      this.#retryLater();
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/ws/chat?ticket=${encodeURIComponent(ticket)}`);
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#retryMs = firstRetryMs;
      this.#setState('open');
      for (const message of this.outbox) this.#transmit(message);
    });
    socket.addEventListener('message', event => this.#receive(event.data));
    socket.addEventListener('close', () => {
      if (this.#socket !== socket || this.#stopped) return;
      this.#socket = null;
      // Each attempt asks for a fresh ticket (and a fresh token, if the API says the old one expired).
      this.#retryLater();
    });
  }

  #connectNow() {
    clearTimeout(this.#retryTimer);
    clearInterval(this.#countdown);
    if (!this.open) this.#connect();
  }

  #retryLater() {
    const delay = Math.round(this.#retryMs * (0.8 + Math.random() * 0.4));
    this.#retryMs = Math.min(this.#retryMs * 2, maxRetryMs);
    let remaining = Math.ceil(delay / 1000);
    this.#setState('retrying', remaining);
    clearInterval(this.#countdown);
    this.#countdown = setInterval(() => this.#setState('retrying', Math.max(1, --remaining)), 1000);
    this.#retryTimer = setTimeout(() => {
      clearInterval(this.#countdown);
      this.#connect();
    }, delay);
  }

  #transmit(message) {
    if (!this.open) return;
    message.attempts += 1;
    this.#socket.send(JSON.stringify({ type: 'message', content: message.content, clientMessageId: message.clientMessageId }));
  }

  #receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === 'reply') this.#settle(frame.clientMessageId);
    if (frame.type === 'error' && frame.clientMessageId) this.#failed(frame);
    this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
  }

  #failed(frame) {
    const message = this.outbox.find(m => m.clientMessageId === frame.clientMessageId);
    if (!message) return;
    if (finalErrors.has(frame.code) || message.attempts >= maxAttempts) {
      this.#settle(message.clientMessageId);
      this.dispatchEvent(new CustomEvent('failed', { detail: { clientMessageId: message.clientMessageId, reason: frame.message } }));
      return;
    }
    // 'conflict' (the first copy is still being answered) or 'internal': the same id again, a little later.
    setTimeout(() => this.#transmit(message), resendAfterMs);
  }

  #settle(clientMessageId) {
    this.outbox = this.outbox.filter(m => m.clientMessageId !== clientMessageId);
    this.#saveOutbox();
  }

  #saveOutbox() {
    localStorage.setItem(this.#outboxKey, JSON.stringify(this.outbox));
  }

  #setState(state, seconds = 0) {
    this.dispatchEvent(new CustomEvent('state', { detail: { state, seconds } }));
  }
}

/** The chat pane: history of the active session, the live conversation, the input with its kept draft. */
export class ChatView extends EventTarget {
  #api;
  #connection;
  #log;
  #input;
  #status;
  #draftKey;
  #endedSessions = new Set();

  constructor(root, api, connection, auth) {
    super();
    this.#api = api;
    this.#connection = connection;
    this.#log = root.querySelector('#chat-log');
    this.#input = root.querySelector('#chat-input');
    this.#status = root.querySelector('#connection-status');
    this.#draftKey = `aimi.draft.${auth.subject}`;

    this.#input.value = localStorage.getItem(this.#draftKey) ?? '';
    this.#input.addEventListener('input', () => localStorage.setItem(this.#draftKey, this.#input.value));
    this.#input.addEventListener('keydown', event => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    root.querySelector('#chat-form').addEventListener('submit', event => {
      event.preventDefault();
      this.submit();
    });
    root.querySelector('#chat-end').addEventListener('click', () => this.#endSession());

    connection.addEventListener('frame', event => this.#onFrame(event.detail));
    connection.addEventListener('state', event => this.#showState(event.detail));
    connection.addEventListener('failed', event => this.#markFailed(event.detail.clientMessageId, event.detail.reason));
  }

  async load() {
    fill(this.#log);
    try {
      const [latest] = await this.#api.get('/chat/sessions?limit=1');
      if (latest?.status === 'active') {
        const details = await this.#api.get(`/chat/sessions/${latest.id}`);
        for (const message of details.messages) this.#renderStored(message);
      }
    } catch {
      // The conversation still works without its history; the error shows on the next action if it persists.
    }
    // Unanswered messages from before the reload; one the server already stored shows once, from the history.
    for (const message of this.#connection.outbox) {
      if (this.#userBubbleOf(message.clientMessageId)) continue;
      this.#userBubble(message.clientMessageId, message.content, t(this.#connection.open ? 'chat.sending' : 'chat.queued'));
    }
    this.#showEmptyHint();
  }

  submit() {
    const content = this.#input.value.trim();
    if (!content) return;
    if (content.length > maxLength) {
      notify(t('chat.tooLong', { max: maxLength }), 'error');
      return;
    }
    const id = this.#connection.send(content);
    this.#userBubble(id, content, t(this.#connection.open ? 'chat.sending' : 'chat.queued'));
    this.#input.value = '';
    localStorage.removeItem(this.#draftKey);
    this.#input.focus();
  }

  async #endSession() {
    try {
      await this.#api.post('/chat/end', {});
    } catch (error) {
      if (error.status !== 404) notify(error.message, 'error');
    }
  }

  #onFrame(frame) {
    switch (frame.type) {
      case 'ack':
        this.#setMessageState(frame.clientMessageId, t('chat.received'), 'received');
        break;
      case 'delta':
        this.#replyBubble(frame.clientMessageId).querySelector('.text').append(frame.text);
        this.#scroll();
        break;
      case 'reply': {
        const bubble = this.#replyBubble(frame.clientMessageId);
        bubble.querySelector('.text').textContent = frame.content;
        bubble.classList.remove('streaming');
        bubble.dataset.messageId = frame.messageId;
        this.#setMessageState(frame.clientMessageId, t('chat.received'), 'answered');
        if (frame.sessionEnded) this.#ended(frame.sessionId, frame.endReason);
        this.dispatchEvent(new CustomEvent('changed', { detail: frame }));
        break;
      }
      case 'reminder':
        this.#assistantBubble(frame.text, 'reminder', t('chat.reminder'), frame.reminderId);
        notify(frame.text, 'reminder', t('chat.reminder'));
        this.dispatchEvent(new CustomEvent('changed', { detail: frame }));
        break;
      case 'follow_up':
        this.#assistantBubble(frame.text, 'follow-up', t('chat.followUp'), frame.followUpId);
        this.dispatchEvent(new CustomEvent('changed', { detail: frame }));
        break;
      case 'session_ended':
        this.#ended(frame.sessionId, frame.reason);
        break;
      case 'error':
        if (!frame.clientMessageId) notify(frame.message, 'error');
        break;
    }
  }

  #renderStored(message) {
    const kind = message.metadata?.kind;
    if (message.role === 'user') {
      const waiting = this.#connection.outbox.some(m => m.clientMessageId === message.clientMessageId);
      this.#userBubble(message.clientMessageId ?? message.id, message.content, waiting ? t('chat.received') : formatTime(message.createdAt), waiting ? 'received' : 'answered');
    } else if (kind === 'reminder') {
      this.#assistantBubble(message.content, 'reminder', t('chat.reminder'), message.metadata.reminderId);
    } else if (kind === 'follow_up') {
      this.#assistantBubble(message.content, 'follow-up', t('chat.followUp'), message.metadata.followUpId);
    } else {
      this.#assistantBubble(message.content, 'assistant');
    }
  }

  #userBubble(id, content, state, stateKind = 'sending') {
    this.#log.querySelector('.chat-hint')?.remove();
    const bubble = h('article', { class: 'message user', dataset: { clientMessageId: id }, 'aria-label': t('chat.you') },
      h('p', { class: 'text' }, content),
      h('p', { class: 'meta', dataset: { state: stateKind } }, state));
    this.#log.append(bubble);
    this.#scroll();
    return bubble;
  }

  #userBubbleOf(clientMessageId) {
    return this.#log.querySelector(`.message.user[data-client-message-id="${CSS.escape(clientMessageId ?? '')}"]`);
  }

  #replyBubble(clientMessageId) {
    const existing = this.#log.querySelector(`.message.assistant[data-reply-for="${CSS.escape(clientMessageId ?? '')}"]`);
    if (existing) return existing;
    const bubble = h('article', { class: 'message assistant streaming', dataset: { replyFor: clientMessageId ?? '' }, 'aria-label': t('chat.aimi') },
      h('p', { class: 'text' }));
    // The reply goes right after the message it answers, even if other things arrived meanwhile.
    const question = this.#userBubbleOf(clientMessageId);
    if (question) question.after(bubble); else this.#log.append(bubble);
    return bubble;
  }

  #assistantBubble(text, kind, label = null, key = null) {
    if (key && this.#log.querySelector(`[data-key="${CSS.escape(key)}"]`)) return;
    this.#log.querySelector('.chat-hint')?.remove();
    this.#log.append(h('article', { class: `message assistant ${kind}`, dataset: { key: key ?? '' }, 'aria-label': label ?? t('chat.aimi') },
      label ? h('p', { class: 'label' }, label) : null,
      h('p', { class: 'text' }, text)));
    this.#scroll();
  }

  #ended(sessionId, reason) {
    if (this.#endedSessions.has(sessionId)) return;
    this.#endedSessions.add(sessionId);
    this.#log.append(h('p', { class: 'session-ended', role: 'status', dataset: { sessionId } }, t('chat.ended', { reason: reason ?? '' })));
    this.#scroll();
  }

  #setMessageState(clientMessageId, text, kind) {
    const meta = this.#userBubbleOf(clientMessageId)?.querySelector('.meta');
    if (!meta) return;
    meta.textContent = text;
    meta.dataset.state = kind;
  }

  #markFailed(clientMessageId, reason) {
    this.#setMessageState(clientMessageId, t('chat.failed', { reason }), 'failed');
  }

  #showState({ state, seconds }) {
    const text = {
      connecting: t('conn.connecting'),
      open: t('conn.online'),
      retrying: t('conn.retry', { seconds }),
      offline: t('conn.offline'),
    }[state];
    this.#status.textContent = text;
    this.#status.dataset.state = state;
    const waiting = t(state === 'open' ? 'chat.sending' : 'chat.queued');
    for (const meta of this.#log.querySelectorAll('.message.user .meta[data-state="sending"]')) meta.textContent = waiting;
  }

  #showEmptyHint() {
    if (!this.#log.children.length) this.#log.append(h('p', { class: 'chat-hint' }, t('chat.empty')));
  }

  #scroll() {
    this.#log.scrollTop = this.#log.scrollHeight;
  }
}
