// Spider Web: one card of the feed. Its face (title, who and when, message,
// and the buttons its reader may use), its edit form and its delete
// confirmation. The feed (feed.js) decides where cards go; this draws them.
import { h, submitting } from './forms.js';
import { Q } from './queries.js';
import { reactionBar } from './reactions.js';
import { gql, isSelfOrStaff } from './session.js';
import { announce, timeElement } from './ui.js';

/**
 * The card's face, the part of its `<article>` that live updates redraw (its
 * thread, when open, follows it). `on`: `thread()` opens or closes the
 * thread, `threadOpen` says whether it is; `edit()`, `hold()`, `removed()`
 * and `cancel()` serve the owner's buttons; `changed(card)` takes the card after
 * a reaction.
 */
export function cardFace(card, on) {
  const meta = h('p', { class: 'card-meta' },
    h('span', { class: 'owner', text: card.ownerUsername }),
    ' · ',
    timeElement(card.createdAt));
  if (card.updatedAt !== card.createdAt) meta.append(' · ', h('span', { text: 'edited' }));
  if (card.visibility === 'PRIVATE') meta.append(' ', h('span', { class: 'badge', text: 'Only you' }));
  const count = card.replyCount || 0;
  const actions = h('div', { class: 'card-actions' },
    h('button', {
      type: 'button', class: 'button-quiet replies-toggle', 'data-focus': 'replies',
      text: `${count} ${count === 1 ? 'reply' : 'replies'}`,
      'aria-expanded': String(on.threadOpen), 'aria-controls': on.threadOpen ? `thread-${card.id}` : null,
      onclick: on.thread,
    }));
  if (isSelfOrStaff(card.ownerId)) {
    actions.append(
      h('button', {
        type: 'button', class: 'button-quiet', text: 'Edit', 'data-focus': 'edit',
        'aria-label': `Edit “${card.title}”`,
        onclick: on.edit,
      }),
      h('button', {
        type: 'button', class: 'button-quiet button-danger', text: 'Delete', 'data-focus': 'delete',
        'aria-label': `Delete “${card.title}”`,
        onclick: () => confirmDelete(card, actions, on),
      }));
  }
  return [
    h('h3', { id: titleId(card), class: 'card-title', text: card.title }),
    meta,
    card.body ? h('p', { class: 'card-body', text: card.body }) : null,
    reactionBar(card, on),
    actions,
  ].filter(Boolean);
}

export const titleId = (card) => `card-title-${card.id}`;

/** Asks before deleting; `on.removed()` after the server agreed, `on.cancel()` on "Cancel". */
function confirmDelete(card, actions, on) {
  // Live updates wait while the question is asked.
  on.hold();
  const error = h('p', { class: 'form-error', role: 'alert' });
  const yes = h('button', {
    type: 'button', class: 'button-danger-solid', text: 'Yes, delete',
    onclick: async () => {
      yes.disabled = true;
      try {
        await gql(Q.deleteCard, { id: card.id });
        on.removed();
        announce(`Card deleted: ${card.title}`);
      } catch (e) {
        yes.disabled = false;
        error.textContent = e.message;
      }
    },
  });
  const no = h('button', { type: 'button', class: 'button-quiet', text: 'Cancel', onclick: on.cancel });
  actions.replaceChildren(h('span', { class: 'confirm', text: 'Delete this card?' }), yes, no, error);
  no.focus();
}

/**
 * The edit form for `card`. `on.saved(card)` gets the card the server
 * returned; `on.done()` ends editing (after a save or on "Cancel"/Escape).
 */
export function editForm(card, on) {
  const prefix = `edit-${card.id}`;
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
  const form = h('form', { class: 'form card-edit', 'aria-label': `Edit “${card.title}”` },
    h('p', { class: 'form-error', role: 'alert', 'data-error-for': 'nonFieldErrors' }),
    field('title', 'Title', title),
    field('body', 'Message', body),
    field('visibility', 'Who can see it', visibility),
    h('div', { class: 'card-actions' },
      h('button', { type: 'submit', class: 'button-primary', text: 'Save' }),
      h('button', { type: 'button', class: 'button-quiet', text: 'Cancel', onclick: on.done })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submitting(form, async () => {
      const input = { title: title.value, body: body.value, visibility: visibility.value };
      on.saved((await gql(Q.updateCard, { id: card.id, input })).updateCard);
      on.done();
      announce('Card saved.');
    });
  });
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') on.done();
  });
  return { form, focus: () => title.focus() };
}
