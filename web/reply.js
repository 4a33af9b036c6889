// Spider Web: one reply of a thread, and the thread's reply form. A reply's
// author (or staff) may edit it; its author, the card's owner or staff may
// delete it. thread.js decides where replies go; this draws them.
import { h, submitting } from './forms.js';
import { Q } from './queries.js';
import { gql, isSelfOrStaff, session } from './session.js';
import { announce, timeElement } from './ui.js';

const MAX_LENGTH = 2000;

export const mayEdit = (reply) => isSelfOrStaff(reply.authorId);
export const mayDelete = (reply, card) =>
  isSelfOrStaff(reply.authorId) || Boolean(session.me && session.me.id === card.ownerId);

/**
 * The face of `reply` (on a card `card`), redrawn by live updates.
 * `on.edit()` opens its edit form; `on.hold()` stops live redraws while a
 * delete is confirmed, then `on.removed()` or `on.cancel()`.
 */
export function replyFace(reply, card, on) {
  const meta = h('p', { class: 'reply-meta' },
    h('span', { class: 'owner', text: reply.authorUsername }),
    ' · ',
    timeElement(reply.createdAt));
  if (reply.updatedAt !== reply.createdAt) meta.append(' · ', h('span', { text: 'edited' }));
  const actions = h('div', { class: 'reply-actions' });
  if (mayEdit(reply)) {
    actions.append(h('button', {
      type: 'button', class: 'button-quiet', text: 'Edit', 'data-focus': 'edit',
      'aria-label': `Edit reply by ${reply.authorUsername}`,
      onclick: on.edit,
    }));
  }
  if (mayDelete(reply, card)) {
    actions.append(h('button', {
      type: 'button', class: 'button-quiet button-danger', text: 'Delete', 'data-focus': 'delete',
      'aria-label': `Delete reply by ${reply.authorUsername}`,
      onclick: () => confirmDelete(reply, actions, on),
    }));
  }
  return [
    meta,
    actions.childElementCount ? actions : null,
    h('p', { class: 'reply-body', text: reply.body }),
  ].filter(Boolean);
}

function confirmDelete(reply, actions, on) {
  // Live updates wait while the question is asked.
  on.hold();
  const error = h('p', { class: 'form-error', role: 'alert' });
  const yes = h('button', {
    type: 'button', class: 'button-danger-solid', text: 'Yes, delete',
    onclick: async () => {
      yes.disabled = true;
      try {
        await gql(Q.deleteReply, { id: reply.id });
        on.removed();
        announce('Reply deleted.');
      } catch (e) {
        yes.disabled = false;
        error.textContent = e.message;
      }
    },
  });
  const no = h('button', { type: 'button', class: 'button-quiet', text: 'Cancel', onclick: on.cancel });
  actions.replaceChildren(h('span', { class: 'confirm', text: 'Delete this reply?' }), yes, no, error);
  no.focus();
}

/** A textarea with its label and error slot, for a reply's body. */
function bodyField(id, label, value) {
  const textarea = h('textarea', {
    id, name: 'body', rows: 2, maxlength: MAX_LENGTH, required: true, 'aria-describedby': `${id}-error`,
  });
  textarea.value = value;
  const field = h('div', { class: 'field' },
    h('label', { for: id, text: label }),
    textarea,
    h('p', { class: 'field-error', id: `${id}-error`, 'data-error-for': 'body' }));
  return { field, textarea };
}

/** The edit form of `reply`: `on.saved(reply)` with the server's answer, `on.done()` to close. */
export function replyEditForm(reply, on) {
  const { field, textarea } = bodyField(`reply-edit-${reply.id}`, 'Reply text', reply.body);
  const form = h('form', { class: 'form reply-edit', 'aria-label': `Edit reply by ${reply.authorUsername}` },
    h('p', { class: 'form-error', role: 'alert', 'data-error-for': 'nonFieldErrors' }),
    field,
    h('div', { class: 'reply-actions' },
      h('button', { type: 'submit', class: 'button-primary', text: 'Save' }),
      h('button', { type: 'button', class: 'button-quiet', text: 'Cancel', onclick: on.done })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submitting(form, async () => {
      const input = { body: textarea.value };
      on.saved((await gql(Q.updateReply, { id: reply.id, input })).updateReply);
      on.done();
      announce('Reply saved.');
    });
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') on.done();
  });
  return { form, focus: () => textarea.focus() };
}

/** The thread's "Reply" form (signed in), or a line saying how to reply. `posted(reply)` after a post. */
export function replyForm(card, posted) {
  if (!session.me) return h('p', { class: 'hint thread-hint', text: 'Sign in to reply.' });
  const { field, textarea } = bodyField(`reply-new-${card.id}`, 'Your reply', '');
  const form = h('form', { class: 'form reply-form', 'aria-label': `Reply to “${card.title}”` },
    h('p', { class: 'form-error', role: 'alert', 'data-error-for': 'nonFieldErrors' }),
    field,
    h('div', { class: 'reply-actions' }, h('button', { type: 'submit', class: 'button-primary', text: 'Reply' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submitting(form, async () => {
      const input = { body: textarea.value };
      posted((await gql(Q.createReply, { cardId: card.id, input })).createReply);
      form.reset();
      textarea.focus();
    });
  });
  return form;
}
