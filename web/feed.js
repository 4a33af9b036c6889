// Spider Web: the feed. The list of cards, newest first, paged with "Load
// more", kept current by the `cardEvents` subscription. Events that arrive
// while a page loads wait and apply on top of it.
import { $, h } from './forms.js';
import { cardFace, editForm, titleId } from './card.js';
import { follow } from './live.js';
import { Q } from './queries.js';
import { gql } from './session.js';
import { threads } from './thread.js';
import { announce, focusKey, replaceKeepingFocus } from './ui.js';

const PAGE_SIZE = 20;

/** Newest first, as the server orders them: (createdAt, id) descending. */
function newer(a, b) {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
  return a.id > b.id;
}

export const feed = {
  cards: new Map(),
  endCursor: null,
  editing: new Set(),
  generation: 0,
  /** Live events that arrive while a page loads wait here, then apply on top of it. */
  pending: null,
  loads: 0,

  list() { return $('cards'); },

  item(id) { return document.getElementById(`card-${id}`); },

  face(id) { return this.item(id)?.querySelector('.card-face') || null; },

  updateEmpty() {
    $('feed-empty').hidden = this.cards.size > 0;
  },

  /** What the buttons of card `id` do (see `cardFace`). */
  actions(id) {
    return {
      threadOpen: threads.isOpen(id),
      thread: () => this.toggleThread(id),
      edit: () => this.startEdit(id),
      hold: () => this.editing.add(id),
      removed: () => this.remove(id),
      cancel: () => {
        this.editing.delete(id);
        this.redraw(id);
        focusKey(this.face(id), 'delete');
      },
      redraw: () => this.redraw(id),
      changed: (card) => this.upsert(card, false),
    };
  },

  toggleThread(id) {
    const card = this.cards.get(id);
    const article = this.item(id)?.querySelector('article');
    if (!card || !article) return;
    if (threads.isOpen(id)) threads.close(id);
    else threads.open(card, article);
    this.redraw(id);
  },

  /** Draws card `id` again from what is known of it (unless it is being edited). */
  redraw(id) {
    const card = this.cards.get(id);
    const face = this.face(id);
    if (!card || !face || this.editing.has(id)) return;
    replaceKeepingFocus(face, ...cardFace(card, this.actions(id)));
  },

  /** Draws every card again (the reader signed in or out: other buttons apply). */
  redrawAll() {
    for (const id of this.cards.keys()) this.redraw(id);
  },

  /** Adds or replaces a card; new ones go where their time puts them. */
  upsert(card, fresh) {
    const known = this.cards.has(card.id);
    this.cards.set(card.id, card);
    if (known) {
      threads.cardChanged(card);
      this.redraw(card.id);
      return;
    }
    const face = h('div', { class: 'card-face' }, ...cardFace(card, this.actions(card.id)));
    const li = h('li', { id: `card-${card.id}`, class: fresh ? 'card-item fresh' : 'card-item' },
      h('article', { class: 'card', 'aria-labelledby': titleId(card) }, face));
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
    threads.close(id);
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
        threads.closeAll();
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
      const old = this.cards.get(event.card.id);
      if (event.kind === 'UPDATED' && !old) {
        // An older card than the pages loaded so far: nothing on screen changes.
        return;
      }
      this.upsert(event.card, !old);
      // New counts and reactions show; only a changed card is worth saying.
      const edited = old && ['title', 'body', 'visibility'].some((k) => old[k] !== event.card[k]);
      if (edited) announce(`Card updated: ${event.card.title}`);
    }
  },

  startEdit(id) {
    const card = this.cards.get(id);
    const face = this.face(id);
    if (!card || !face) return;
    this.editing.add(id);
    const { form, focus } = editForm(card, {
      saved: (updated) => this.cards.set(id, updated),
      done: () => {
        this.editing.delete(id);
        this.redraw(id);
        focusKey(this.face(id), 'edit');
      },
    });
    face.replaceChildren(form);
    focus();
  },

  init() {
    $('load-more').addEventListener('click', () => this.loadMore());
  },

  /** Follows `cardEvents` from now on (across reconnections and sessions). */
  follow() {
    follow(Q.cardEvents, {}, {
      next: (data) => this.apply(data.cardEvents),
      resync: () => this.resync(),
    });
  },
};
