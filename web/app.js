// Spider Web: the chat-box page. Plain JavaScript (an ES module), no
// framework, no build step. Queries and mutations go to /graphql over fetch;
// the live feed is a `graphql-transport-ws` subscription on /graphql/ws. User
// text only ever reaches the page through textContent and attribute setters.
// Password reset and e-mail verification live in account.js.
import { ApiError, post } from './client.js';
import { $, h, submitting, formValues } from './forms.js';
import { forgotPassword, verificationNotice, onEmailVerified } from './account.js';

(() => {
  const ACCESS_KEY = 'spiderweb.access';
  const REFRESH_KEY = 'spiderweb.refresh';
  const PAGE_SIZE = 20;
  const CARD_FIELDS = 'id ownerId ownerUsername title body visibility createdAt updatedAt';
  const ME_FIELDS =
    'id username email emailVerified isStaff profile { id displayName bio avatarUrl location website }';

  const Q = {
    me: `query Me { me { ${ME_FIELDS} } }`,
    cards: `query Cards($first: Int, $after: String) {
      cards(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { ${CARD_FIELDS} }
      }
    }`,
    register: `mutation Register($input: RegisterInput!) {
      register(input: $input) { accessToken refreshToken user { ${ME_FIELDS} } }
    }`,
    login: `mutation Login($input: LoginInput!) {
      login(input: $input) { accessToken refreshToken user { ${ME_FIELDS} } }
    }`,
    refresh: `mutation Refresh($token: String!) {
      refreshToken(refreshToken: $token) { accessToken refreshToken }
    }`,
    logout: 'mutation Logout { logout }',
    createProfile: `mutation CreateProfile($input: CreateProfileInput!) {
      createProfile(input: $input) { id displayName bio avatarUrl location website }
    }`,
    updateProfile: `mutation UpdateProfile($id: ID!, $input: UpdateProfileInput!) {
      updateProfile(id: $id, input: $input) { id displayName bio avatarUrl location website }
    }`,
    createCard: `mutation CreateCard($input: CreateCardInput!) {
      createCard(input: $input) { ${CARD_FIELDS} }
    }`,
    updateCard: `mutation UpdateCard($id: ID!, $input: UpdateCardInput!) {
      updateCard(id: $id, input: $input) { ${CARD_FIELDS} }
    }`,
    deleteCard: 'mutation DeleteCard($id: ID!) { deleteCard(id: $id) }',
    feed: `subscription Feed {
      cardEvents { kind cardId card { ${CARD_FIELDS} } }
    }`,
  };

  // ---------------------------------------------------------------- tokens

  const tokens = {
    get access() { return sessionStorage.getItem(ACCESS_KEY); },
    get refresh() { return sessionStorage.getItem(REFRESH_KEY); },
    set(access, refresh) {
      sessionStorage.setItem(ACCESS_KEY, access);
      sessionStorage.setItem(REFRESH_KEY, refresh);
    },
    clear() {
      sessionStorage.removeItem(ACCESS_KEY);
      sessionStorage.removeItem(REFRESH_KEY);
    },
  };

  // ---------------------------------------------------------------- refreshing the session

  let refreshing = null;

  /**
   * Exchanges the refresh token for a new pair. One exchange at a time: a
   * refresh token is single-use, and presenting a spent one ends the session.
   * Resolves true on success, false when the session is gone.
   */
  function refreshSession() {
    if (!refreshing) {
      refreshing = (async () => {
        const refresh = tokens.refresh;
        if (!refresh) return false;
        try {
          const data = await post(Q.refresh, { token: refresh }, null);
          tokens.set(data.refreshToken.accessToken, data.refreshToken.refreshToken);
          return true;
        } catch (e) {
          if (e.code === 'NETWORK') throw e;
          tokens.clear();
          return false;
        }
      })().finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  /** Runs an operation as the signed-in user, refreshing the access token once if needed. */
  async function gql(query, variables) {
    const token = tokens.access;
    try {
      return await post(query, variables, token);
    } catch (e) {
      if (e.code !== 'UNAUTHENTICATED' || !token) throw e;
      if (await refreshSession()) return post(query, variables, tokens.access);
      sessionLost();
      throw new ApiError('Your session has ended. Please sign in again.', 'UNAUTHENTICATED');
    }
  }

  // ---------------------------------------------------------------- session and UI state

  let me = null;

  function renderSession() {
    const signedIn = Boolean(me);
    $('auth').hidden = signedIn;
    $('composer').hidden = !signedIn;
    $('profile').hidden = !signedIn;
    $('logout').hidden = !signedIn;
    const who = $('whoami');
    who.textContent = '';
    if (signedIn) {
      const name = me.profile && me.profile.displayName ? me.profile.displayName : me.username;
      who.append(h('span', { class: 'who-label', text: 'Signed in as ' }), h('strong', { text: name }));
      who.title = `Signed in as ${name}`;
      fillProfileForm();
    } else {
      who.textContent = 'Not signed in';
      who.removeAttribute('title');
    }
    verificationNotice.render(me);
    for (const card of feed.cards.values()) feed.rerender(card);
  }

  function fillProfileForm() {
    const form = $('profile-form');
    const p = me && me.profile;
    for (const name of ['displayName', 'bio', 'location', 'website', 'avatarUrl']) {
      form.elements[name].value = (p && p[name]) || '';
    }
  }

  async function signedIn(payload) {
    tokens.set(payload.accessToken, payload.refreshToken);
    me = payload.user;
    renderSession();
    $('card-title').focus();
    socket.restart();
    await feed.reload();
  }

  /** The session ended under us (revoked, expired): back to anonymous. */
  function sessionLost() {
    const wasSignedIn = Boolean(me);
    tokens.clear();
    me = null;
    showAuthForm('login');
    renderSession();
    if (wasSignedIn) announce('Your session has ended. Please sign in again.');
    socket.restart();
    feed.reload();
  }

  function announce(text) {
    const node = $('announcer');
    node.textContent = '';
    // A fresh text node so that repeated messages are read again.
    setTimeout(() => { node.textContent = text; }, 50);
  }

  // ---------------------------------------------------------------- forms

  /** 'login', 'register' or 'forgot' (the password reset request, part of signing in). */
  function showAuthForm(which) {
    $('login-form').hidden = which !== 'login';
    $('register-form').hidden = which !== 'register';
    $('forgot-form').hidden = which !== 'forgot';
    $('show-login').setAttribute('aria-pressed', String(which !== 'register'));
    $('show-register').setAttribute('aria-pressed', String(which === 'register'));
  }

  async function onLogin(event) {
    event.preventDefault();
    const form = event.currentTarget;
    await submitting(form, async () => {
      const { username, password } = formValues(form);
      const name = username.trim();
      const looksLikeEmail = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(name);
      let data;
      try {
        data = await post(Q.login, { input: looksLikeEmail ? { email: name, password } : { username: name, password } });
      } catch (e) {
        // Usernames may contain @ and dots too: try it as one.
        if (!looksLikeEmail || e.code !== 'BAD_USER_INPUT') throw e;
        data = await post(Q.login, { input: { username: name, password } });
      }
      form.reset();
      await signedIn(data.login);
    });
  }

  async function onRegister(event) {
    event.preventDefault();
    const form = event.currentTarget;
    await submitting(form, async () => {
      const v = formValues(form);
      const input = { username: v.username.trim(), email: v.email.trim(), password1: v.password1, password2: v.password2 };
      const data = await post(Q.register, { input });
      form.reset();
      if (!data.register.accessToken) {
        // EMAIL_VERIFICATION=mandatory: the first sign-in waits for the mailed link.
        verificationNotice.pending(input.email);
        showAuthForm('login');
        announce(`Account created. Open the link we sent to ${input.email}, then sign in.`);
        $('login-name').focus();
        return;
      }
      await signedIn(data.register);
    });
  }

  async function onLogout() {
    const button = $('logout');
    button.disabled = true;
    try {
      if (tokens.access) await post(Q.logout, {}, tokens.access);
    } catch {
      // The session may already be gone; signing out locally is what matters.
    } finally {
      button.disabled = false;
    }
    tokens.clear();
    me = null;
    showAuthForm('login');
    renderSession();
    announce('Signed out.');
    $('login-name').focus();
    socket.restart();
    await feed.reload();
  }

  async function onProfile(event) {
    event.preventDefault();
    const form = event.currentTarget;
    await submitting(form, async () => {
      const v = formValues(form);
      const input = {
        displayName: v.displayName.trim(),
        bio: v.bio,
        location: v.location.trim(),
        website: v.website.trim() || null,
        avatarUrl: v.avatarUrl.trim() || null,
      };
      let profile;
      if (me.profile) {
        profile = (await gql(Q.updateProfile, { id: me.profile.id, input })).updateProfile;
      } else {
        profile = (await gql(Q.createProfile, { input })).createProfile;
      }
      me = { ...me, profile };
      renderSession();
      form.querySelector('.form-status').textContent = 'Profile saved.';
    });
  }

  async function onPost(event) {
    event.preventDefault();
    const form = event.currentTarget;
    await submitting(form, async () => {
      const v = formValues(form);
      const input = { title: v.title, body: v.body, visibility: v.visibility };
      const card = (await gql(Q.createCard, { input })).createCard;
      feed.upsert(card, true);
      form.reset();
      form.querySelector('.form-status').textContent = 'Posted.';
      $('card-title').focus();
    });
  }

  // ---------------------------------------------------------------- the feed

  const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const relative = typeof Intl.RelativeTimeFormat === 'function'
    ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
    : null;

  function when(iso) {
    const date = new Date(iso);
    const seconds = Math.round((date.getTime() - Date.now()) / 1000);
    if (!relative || Math.abs(seconds) >= 86400) return timeFormat.format(date);
    if (Math.abs(seconds) < 45) return 'just now';
    if (Math.abs(seconds) < 3600) return relative.format(Math.round(seconds / 60), 'minute');
    return relative.format(Math.round(seconds / 3600), 'hour');
  }

  function timeElement(iso) {
    return h('time', { datetime: iso, title: timeFormat.format(new Date(iso)), text: when(iso) });
  }

  /** Newest first, as the server orders them: (createdAt, id) descending. */
  function newer(a, b) {
    if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
    return a.id > b.id;
  }

  const canEdit = (card) => Boolean(me && (me.isStaff || me.id === card.ownerId));

  const feed = {
    cards: new Map(),
    endCursor: null,
    editing: new Set(),
    generation: 0,
    /** Live events that arrive while a page loads wait here, then apply on top of it. */
    pending: null,
    loads: 0,

    list() { return $('cards'); },

    item(id) { return document.getElementById(`card-${id}`); },

    updateEmpty() {
      $('feed-empty').hidden = this.cards.size > 0;
    },

    view(card) {
      const titleId = `card-title-${card.id}`;
      const meta = h('p', { class: 'card-meta' },
        h('span', { class: 'owner', text: card.ownerUsername }),
        ' · ',
        timeElement(card.createdAt));
      if (card.updatedAt !== card.createdAt) meta.append(' · ', h('span', { text: 'edited' }));
      if (card.visibility === 'PRIVATE') meta.append(' ', h('span', { class: 'badge', text: 'Only you' }));
      const article = h('article', { class: 'card', 'aria-labelledby': titleId },
        h('h3', { id: titleId, class: 'card-title', text: card.title }),
        meta,
        card.body ? h('p', { class: 'card-body', text: card.body }) : null);
      if (canEdit(card)) {
        const actions = h('div', { class: 'card-actions' },
          h('button', {
            type: 'button', class: 'button-quiet', text: 'Edit',
            'aria-label': `Edit “${card.title}”`,
            onclick: () => this.startEdit(card.id),
          }),
          h('button', {
            type: 'button', class: 'button-quiet button-danger', text: 'Delete',
            'aria-label': `Delete “${card.title}”`,
            onclick: () => this.confirmDelete(card.id, actions),
          }));
        article.append(actions);
      }
      return article;
    },

    rerender(card) {
      const li = this.item(card.id);
      if (!li || this.editing.has(card.id)) return;
      li.replaceChildren(this.view(card));
    },

    /** Adds or replaces a card; new ones go where their time puts them. */
    upsert(card, fresh) {
      const known = this.cards.has(card.id);
      this.cards.set(card.id, card);
      if (known) {
        this.rerender(card);
        return;
      }
      const li = h('li', { id: `card-${card.id}`, class: fresh ? 'card-item fresh' : 'card-item' }, this.view(card));
      const list = this.list();
      const before = [...list.children].find((node) => {
        const other = this.cards.get(node.dataset.id);
        return other && newer(card, other);
      });
      li.dataset.id = card.id;
      list.insertBefore(li, before || null);
      this.updateEmpty();
    },

    remove(id) {
      this.cards.delete(id);
      this.editing.delete(id);
      const li = this.item(id);
      if (li) {
        const hadFocus = li.contains(document.activeElement);
        li.remove();
        if (hadFocus) $('feed').focus();
      }
      this.updateEmpty();
    },

    async loadPage(after) {
      const generation = this.generation;
      const data = await gql(Q.cards, { first: PAGE_SIZE, after });
      if (generation !== this.generation) return null;
      return data.cards;
    },

    /** Runs `work` (which loads a page) with live events held back until it is done. */
    async buffered(work) {
      if (this.loads === 0) this.pending = [];
      this.loads += 1;
      try {
        await work();
      } finally {
        this.loads -= 1;
        if (this.loads === 0) {
          const events = this.pending;
          this.pending = null;
          for (const event of events) this.apply(event);
        }
      }
    },

    showPageInfo(pageInfo) {
      this.endCursor = pageInfo.endCursor;
      $('load-more').hidden = !pageInfo.hasNextPage;
    },

    /** Replaces the whole list with the first page. */
    reload() {
      this.generation += 1;
      const generation = this.generation;
      const list = this.list();
      list.setAttribute('aria-busy', 'true');
      $('feed-error').textContent = '';
      // Events held back for an older load are stale now: this load starts afresh.
      if (this.pending) this.pending.length = 0;
      return this.buffered(async () => {
        try {
          const page = await this.loadPage(null);
          if (!page) return;
          this.cards.clear();
          this.editing.clear();
          list.replaceChildren();
          for (const card of page.nodes) this.upsert(card, false);
          this.showPageInfo(page.pageInfo);
          this.updateEmpty();
        } catch (e) {
          $('feed-error').textContent = `The feed could not be loaded: ${e.message}`;
        } finally {
          if (generation === this.generation) list.setAttribute('aria-busy', 'false');
        }
      });
    },

    /** After a gap in the live feed: merges the first page, dropping what vanished. */
    resync() {
      return this.buffered(() => this.merge());
    },

    async merge() {
      try {
        const page = await this.loadPage(null);
        if (!page) return;
        const seen = new Set(page.nodes.map((c) => c.id));
        const oldest = page.nodes[page.nodes.length - 1];
        for (const card of [...this.cards.values()]) {
          const inWindow = !page.pageInfo.hasNextPage || (oldest && !newer(oldest, card));
          if (inWindow && !seen.has(card.id)) this.remove(card.id);
        }
        for (const card of page.nodes) this.upsert(card, false);
      } catch {
        // The next reconnect tries again.
      }
    },

    loadMore() {
      return this.buffered(() => this.loadOlder());
    },

    async loadOlder() {
      const button = $('load-more');
      const hadFocus = document.activeElement === button;
      button.disabled = true;
      button.textContent = 'Loading…';
      const list = this.list();
      list.setAttribute('aria-busy', 'true');
      try {
        const page = await this.loadPage(this.endCursor);
        if (!page) return;
        for (const card of page.nodes) this.upsert(card, false);
        this.showPageInfo(page.pageInfo);
        // The button goes once the last page is in: keep the keyboard in the feed.
        if (button.hidden && hadFocus) $('feed').focus();
      } catch (e) {
        $('feed-error').textContent = `More cards could not be loaded: ${e.message}`;
      } finally {
        list.setAttribute('aria-busy', 'false');
        button.disabled = false;
        button.textContent = 'Load more';
        if (hadFocus && !button.hidden) button.focus();
      }
    },

    /** A `cardEvents` payload from the subscription. */
    apply(event) {
      if (!event) return;
      if (this.pending) {
        this.pending.push(event);
        return;
      }
      if (event.kind === 'DELETED') {
        const old = this.cards.get(event.cardId);
        if (old) {
          this.remove(event.cardId);
          announce(`Card removed: ${old.title}`);
        }
      } else if (event.card) {
        const known = this.cards.has(event.card.id);
        if (event.kind === 'UPDATED' && !known) {
          // An older card than the pages loaded so far: nothing on screen changes.
          return;
        }
        this.upsert(event.card, !known);
        if (known) announce(`Card updated: ${event.card.title}`);
      }
    },

    startEdit(id) {
      const card = this.cards.get(id);
      const li = this.item(id);
      if (!card || !li) return;
      this.editing.add(id);
      const prefix = `edit-${id}`;
      const field = (name, label, control) => h('div', { class: 'field' },
        h('label', { for: `${prefix}-${name}`, text: label }),
        control,
        h('p', { class: 'field-error', id: `${prefix}-${name}-error`, 'data-error-for': name }));
      const title = h('input', {
        id: `${prefix}-title`, name: 'title', required: true, maxlength: 200,
        'aria-describedby': `${prefix}-title-error`,
      });
      title.value = card.title;
      const body = h('textarea', {
        id: `${prefix}-body`, name: 'body', rows: 4, maxlength: 10000,
        'aria-describedby': `${prefix}-body-error`,
      });
      body.value = card.body;
      const visibility = h('select', { id: `${prefix}-visibility`, name: 'visibility', 'aria-describedby': `${prefix}-visibility-error` },
        h('option', { value: 'PUBLIC', text: 'Everyone' }),
        h('option', { value: 'PRIVATE', text: 'Only me' }));
      visibility.value = card.visibility;
      const finish = () => {
        this.editing.delete(id);
        const latest = this.cards.get(id);
        if (latest) {
          li.replaceChildren(this.view(latest));
          const edit = li.querySelector('.card-actions button');
          if (edit) edit.focus();
        }
      };
      const form = h('form', { class: 'form card card-edit', 'aria-label': `Edit “${card.title}”` },
        h('p', { class: 'form-error', role: 'alert', 'data-error-for': 'nonFieldErrors' }),
        field('title', 'Title', title),
        field('body', 'Message', body),
        field('visibility', 'Who can see it', visibility),
        h('div', { class: 'card-actions' },
          h('button', { type: 'submit', class: 'button-primary', text: 'Save' }),
          h('button', { type: 'button', class: 'button-quiet', text: 'Cancel', onclick: finish })));
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        await submitting(form, async () => {
          const input = { title: title.value, body: body.value, visibility: visibility.value };
          const updated = (await gql(Q.updateCard, { id, input })).updateCard;
          this.cards.set(id, updated);
          finish();
          announce('Card saved.');
        });
      });
      form.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') finish();
      });
      li.replaceChildren(form);
      title.focus();
    },

    confirmDelete(id, actions) {
      const card = this.cards.get(id);
      if (!card) return;
      const restore = () => {
        const latest = this.cards.get(id);
        if (latest) this.rerender(latest);
      };
      const error = h('p', { class: 'form-error', role: 'alert' });
      const yes = h('button', {
        type: 'button', class: 'button-danger-solid', text: 'Yes, delete',
        onclick: async () => {
          yes.disabled = true;
          try {
            await gql(Q.deleteCard, { id });
            this.remove(id);
            announce(`Card deleted: ${card.title}`);
          } catch (e) {
            yes.disabled = false;
            error.textContent = e.message;
          }
        },
      });
      const no = h('button', { type: 'button', class: 'button-quiet', text: 'Cancel', onclick: restore });
      actions.replaceChildren(h('span', { class: 'confirm', text: 'Delete this card?' }), yes, no, error);
      no.focus();
    },
  };

  // Relative times stay current.
  setInterval(() => {
    for (const node of document.querySelectorAll('.card-meta time')) {
      node.textContent = when(node.getAttribute('datetime'));
    }
  }, 60000);

  // ---------------------------------------------------------------- the live feed socket

  /** A minimal `graphql-transport-ws` client: one subscription, reconnects with backoff. */
  const socket = {
    ws: null,
    generation: 0,
    attempts: 0,
    authRetries: 0,
    timer: null,
    hadGap: false,

    status(state, text) {
      const node = $('live');
      node.dataset.state = state;
      node.textContent = text;
    },

    url() {
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      return `${scheme}//${location.host}/graphql/ws`;
    },

    restart() {
      this.stop();
      this.attempts = 0;
      this.authRetries = 0;
      this.connect();
    },

    stop() {
      clearTimeout(this.timer);
      this.generation += 1;
      if (this.ws) {
        const ws = this.ws;
        this.ws = null;
        try { ws.close(1000, 'Done'); } catch { /* already closed */ }
      }
    },

    connect() {
      this.stop();
      const generation = this.generation;
      let ws;
      try {
        ws = new WebSocket(this.url(), 'graphql-transport-ws');
      } catch {
        this.retry();
        return;
      }
      this.ws = ws;
      this.status('connecting', 'Connecting…');
      let acked = false;
      const ackTimer = setTimeout(() => { if (!acked) ws.close(4408, 'No acknowledgement'); }, 10000);
      const send = (message) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
      };
      ws.addEventListener('open', () => {
        const token = tokens.access;
        send({ type: 'connection_init', payload: token ? { Authorization: `Bearer ${token}` } : {} });
      });
      ws.addEventListener('message', (event) => {
        if (generation !== this.generation) return;
        let message;
        try { message = JSON.parse(event.data); } catch { return; }
        switch (message.type) {
          case 'connection_ack':
            acked = true;
            clearTimeout(ackTimer);
            this.attempts = 0;
            this.authRetries = 0;
            send({ id: 'feed', type: 'subscribe', payload: { query: Q.feed } });
            this.status('live', 'Live');
            if (this.hadGap) {
              this.hadGap = false;
              feed.resync();
            }
            break;
          case 'ping':
            send({ type: 'pong' });
            break;
          case 'next': {
            const payload = message.payload || {};
            if (payload.data && payload.data.cardEvents) feed.apply(payload.data.cardEvents);
            break;
          }
          case 'complete':
            // The server ended the subscription: start over.
            ws.close(1000, 'Complete');
            break;
          default:
            break;
        }
      });
      ws.addEventListener('close', (event) => {
        clearTimeout(ackTimer);
        if (generation !== this.generation) return;
        this.ws = null;
        this.hadGap = true;
        if (event.code === 4401 || event.code === 4403) this.reauthenticate();
        else this.retry();
      });
    },

    /** The socket's token expired or its session ended: refresh, or carry on signed out. */
    async reauthenticate() {
      this.status('connecting', 'Reconnecting…');
      this.authRetries += 1;
      if (!tokens.refresh || this.authRetries > 3) {
        if (tokens.access || me) sessionLost();
        else this.retry();
        return;
      }
      try {
        if (await refreshSession()) this.connect();
        else sessionLost();
      } catch {
        this.retry();
      }
    },

    retry() {
      clearTimeout(this.timer);
      const delay = Math.min(30000, 1000 * 2 ** this.attempts) * (0.75 + Math.random() * 0.5);
      this.attempts += 1;
      const seconds = Math.max(1, Math.round(delay / 1000));
      this.status('offline', `Offline, retrying in ${seconds} s`);
      const generation = this.generation;
      this.timer = setTimeout(() => {
        if (generation === this.generation) this.connect();
      }, delay);
    },
  };

  // Back online, or back to the tab: reconnect at once instead of waiting.
  window.addEventListener('online', () => { if (!socket.ws) socket.connect(); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !socket.ws) socket.connect();
  });

  // ---------------------------------------------------------------- start

  async function start() {
    $('show-login').addEventListener('click', () => { showAuthForm('login'); $('login-name').focus(); });
    $('show-register').addEventListener('click', () => { showAuthForm('register'); $('reg-username').focus(); });
    $('login-form').addEventListener('submit', onLogin);
    $('register-form').addEventListener('submit', onRegister);
    $('card-form').addEventListener('submit', onPost);
    $('profile-form').addEventListener('submit', onProfile);
    $('logout').addEventListener('click', onLogout);
    $('load-more').addEventListener('click', () => feed.loadMore());
    forgotPassword.init(showAuthForm);
    verificationNotice.init();
    // The address was confirmed in another tab: the notice goes here too.
    onEmailVerified(async () => {
      if (!me || me.emailVerified !== false) return;
      try {
        const fresh = (await gql(Q.me)).me;
        if (fresh && me && fresh.id === me.id) {
          me = fresh;
          renderSession();
        }
      } catch {
        // The notice stays until the next load.
      }
    });

    if (tokens.access) {
      try {
        me = (await gql(Q.me)).me;
        if (!me) tokens.clear();
      } catch {
        me = null;
      }
    }
    renderSession();
    followLink();
    await feed.reload();
    socket.connect();
  }

  /** `/#sign-in` and `/#forgot-password`, where the account pages send people. */
  function followLink() {
    const target = location.hash;
    if (target !== '#sign-in' && target !== '#forgot-password') return;
    history.replaceState(null, '', location.pathname + location.search);
    if (me) return;
    if (target === '#forgot-password') forgotPassword.open(showAuthForm);
    else {
      showAuthForm('login');
      $('login-name').focus();
    }
  }

  start();
})();
