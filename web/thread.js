// Spider Web: a card's thread, opened under the card. Its replies, oldest
// first: the latest page at once, earlier ones on "Show earlier replies";
// kept current by `replyEvents(cardId)` while it is open. Events that arrive
// while a page loads wait and apply on top of it, as in the feed.
import { h } from './forms.js';
import { follow } from './live.js';
import { Q } from './queries.js';
import { replyEditForm, replyFace, replyForm } from './reply.js';
import { gql } from './session.js';
import { announce, focusKey, replaceKeepingFocus } from './ui.js';

const PAGE_SIZE = 20;

/** Oldest first, as a thread is read: (createdAt, id) ascending. */
function earlierThan(a, b) {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt;
  return a.id < b.id;
}

class Thread {
  constructor(card) {
    this.card = card;
    this.replies = new Map();
    this.editing = new Set();
    this.startCursor = null;
    this.pending = null;
    this.loads = 0;
    this.closed = false;
    this.error = h('p', { class: 'form-error', role: 'alert' });
    this.earlier = h('button', {
      type: 'button', class: 'button-quiet thread-earlier', text: 'Show earlier replies', hidden: true,
      onclick: () => this.loadEarlier(),
    });
    this.list = h('ol', { class: 'replies', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-busy': 'true' });
    this.empty = h('p', { class: 'thread-empty', text: 'No replies yet.', hidden: true });
    this.section = h('section', { id: `thread-${card.id}`, class: 'thread', tabindex: '-1', 'aria-label': `Replies to “${card.title}”` },
      this.earlier, this.list, this.empty, this.error,
      replyForm(card, (reply) => this.upsert(reply, true)));
    this.stop = follow(Q.replyEvents, { cardId: card.id }, {
      next: (data) => this.apply(data.replyEvents),
      resync: () => this.resync(),
      error: (errors) => {
        if (errors[0]?.extensions?.code !== 'NOT_FOUND') return true;
        this.gone();
        return false;
      },
    });
    this.buffered(() => this.loadLatest());
  }

  item(id) { return document.getElementById(`reply-${id}`); }

  face(id) { return this.item(id)?.querySelector('.reply-face') || null; }

  updateEmpty() {
    this.empty.hidden = this.replies.size > 0 || this.list.getAttribute('aria-busy') === 'true';
  }

  /** What the buttons of reply `id` do (see `replyFace`). */
  actions(id) {
    return {
      edit: () => this.startEdit(id),
      hold: () => this.editing.add(id),
      removed: () => this.remove(id),
      cancel: () => {
        this.editing.delete(id);
        this.redraw(id);
        focusKey(this.face(id), 'delete');
      },
    };
  }

  redraw(id) {
    const reply = this.replies.get(id);
    const face = this.face(id);
    if (!reply || !face || this.editing.has(id)) return;
    replaceKeepingFocus(face, ...replyFace(reply, this.card, this.actions(id)));
  }

  /** Adds or replaces a reply; a copy older than the one shown changes nothing. */
  upsert(reply, fresh) {
    const known = this.replies.get(reply.id);
    if (known && known.updatedAt > reply.updatedAt) return;
    this.replies.set(reply.id, reply);
    if (known) {
      this.redraw(reply.id);
      return;
    }
    const li = h('li', { id: `reply-${reply.id}`, class: fresh ? 'reply fresh' : 'reply' },
      h('div', { class: 'reply-face' }, ...replyFace(reply, this.card, this.actions(reply.id))));
    li.dataset.id = reply.id;
    const next = [...this.list.children].find((node) => {
      const other = this.replies.get(node.dataset.id);
      return other && earlierThan(reply, other);
    });
    this.list.insertBefore(li, next || null);
    this.updateEmpty();
  }

  remove(id) {
    this.replies.delete(id);
    this.editing.delete(id);
    const li = this.item(id);
    if (li) {
      const hadFocus = li.contains(document.activeElement);
      li.remove();
      if (hadFocus) this.section.focus();
    }
    this.updateEmpty();
  }

  startEdit(id) {
    const reply = this.replies.get(id);
    const face = this.face(id);
    if (!reply || !face) return;
    this.editing.add(id);
    const { form, focus } = replyEditForm(reply, {
      saved: (updated) => this.replies.set(id, updated),
      done: () => {
        this.editing.delete(id);
        this.redraw(id);
        focusKey(this.face(id), 'edit');
      },
    });
    face.replaceChildren(form);
    focus();
  }

  /** A page of replies ending before `before` (the latest without it); null when the thread is gone. */
  async loadPage(before) {
    const data = await gql(Q.replies, { id: this.card.id, last: PAGE_SIZE, before });
    if (this.closed) return null;
    if (!data.card) {
      this.gone();
      return null;
    }
    return data.card.replies;
  }

  /** Runs `work` (which loads a page) with live events held back until it is done. */
  async buffered(work) {
    if (this.loads === 0) this.pending = [];
    this.loads += 1;
    this.list.setAttribute('aria-busy', 'true');
    try {
      await work();
    } finally {
      this.loads -= 1;
      if (this.loads === 0) {
        this.list.setAttribute('aria-busy', 'false');
        const events = this.pending;
        this.pending = null;
        for (const event of events) this.apply(event);
        this.updateEmpty();
      }
    }
  }

  showPageInfo(pageInfo) {
    this.startCursor = pageInfo.startCursor;
    this.earlier.hidden = !pageInfo.hasPreviousPage;
  }

  async loadLatest() {
    try {
      const page = await this.loadPage(null);
      if (!page) return;
      for (const reply of page.nodes) this.upsert(reply, false);
      this.showPageInfo(page.pageInfo);
    } catch (e) {
      this.error.textContent = `The replies could not be loaded: ${e.message}`;
    }
  }

  /** After a gap in the live connection: merges the latest page, dropping what vanished. */
  resync() {
    return this.buffered(async () => {
      try {
        const page = await this.loadPage(null);
        if (!page) return;
        const seen = new Set(page.nodes.map((r) => r.id));
        const oldest = page.nodes[0];
        const covered = (reply) => !page.pageInfo.hasPreviousPage || (oldest && !earlierThan(reply, oldest));
        for (const reply of [...this.replies.values()]) {
          if (covered(reply) && !seen.has(reply.id)) this.remove(reply.id);
        }
        // The page reaches back past what is shown: its cursor is the start now.
        if ([...this.replies.values()].every(covered)) this.showPageInfo(page.pageInfo);
        for (const reply of page.nodes) this.upsert(reply, false);
      } catch {
        // The next reconnect tries again.
      }
    });
  }

  loadEarlier() {
    return this.buffered(async () => {
      const button = this.earlier;
      const hadFocus = document.activeElement === button;
      button.disabled = true;
      button.textContent = 'Loading…';
      try {
        const page = await this.loadPage(this.startCursor);
        if (!page) return;
        for (const reply of page.nodes) this.upsert(reply, false);
        this.showPageInfo(page.pageInfo);
        // The button goes once the first reply is in: keep the keyboard in the thread.
        if (button.hidden && hadFocus) this.section.focus();
      } catch (e) {
        this.error.textContent = `Earlier replies could not be loaded: ${e.message}`;
      } finally {
        button.disabled = false;
        button.textContent = 'Show earlier replies';
        if (hadFocus && !button.hidden) button.focus();
      }
    });
  }

  /** A `replyEvents` payload from the subscription. */
  apply(event) {
    if (!event || this.closed) return;
    if (this.pending) {
      this.pending.push(event);
      return;
    }
    if (event.kind === 'DELETED') {
      const old = this.replies.get(event.replyId);
      if (old) {
        this.remove(event.replyId);
        announce(`Reply by ${old.authorUsername} removed.`);
      }
      return;
    }
    const reply = event.reply;
    if (!reply) return;
    const known = this.replies.has(reply.id);
    const oldest = this.list.firstElementChild && this.replies.get(this.list.firstElementChild.dataset.id);
    // An edit of a reply before those loaded so far: nothing on screen changes.
    if (!known && !this.earlier.hidden && oldest && earlierThan(reply, oldest)) return;
    this.upsert(reply, !known);
    if (known && event.kind === 'UPDATED') announce(`Reply by ${reply.authorUsername} edited.`);
  }

  /** The card went away, or out of sight: nothing more of its thread. */
  gone() {
    this.error.textContent = 'This card is no longer available.';
    this.stop();
  }

  close() {
    this.closed = true;
    this.stop();
    this.section.remove();
  }
}

const open = new Map();

/** The open threads, by card id. */
export const threads = {
  isOpen: (cardId) => open.has(cardId),

  /** Opens the thread of `card` at the end of `container` (the card's article). */
  open(card, container) {
    if (open.has(card.id)) return;
    const thread = new Thread(card);
    open.set(card.id, thread);
    container.append(thread.section);
  },

  close(cardId) {
    open.get(cardId)?.close();
    open.delete(cardId);
  },

  closeAll() {
    for (const id of [...open.keys()]) this.close(id);
  },

  /** The card changed (title, counts): the thread keeps the latest. */
  cardChanged(card) {
    const thread = open.get(card.id);
    if (!thread) return;
    thread.card = card;
    thread.section.setAttribute('aria-label', `Replies to “${card.title}”`);
    thread.section.querySelector('.reply-form')?.setAttribute('aria-label', `Reply to “${card.title}”`);
  },
};
