// Spider Web: a card's reactions. One button per emoji with its count (pressed
// when the reader has that reaction; a click adds or removes it), and a small
// picker of common emoji to add a new one. Visitors see the counts only.
import { h } from './forms.js';
import { Q } from './queries.js';
import { gql, session } from './session.js';
import { focusKey } from './ui.js';

/** The picker's emoji. */
const PICKS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];

/** Cards whose picker is open, and the last failure per card: both outlive a redraw. */
const pickerOpen = new Set();
const failures = new Map();

const plural = (n) => `${n} ${n === 1 ? 'reaction' : 'reactions'}`;

/**
 * The reactions row of `card`. `on.changed(card)` gets the card the server
 * returned after a click; `on.redraw()` draws the card again (picker opened
 * or closed).
 */
export function reactionBar(card, on) {
  const reactions = card.reactions || [];
  const signedIn = Boolean(session.me);
  if (!signedIn && !reactions.length) return null;
  const toggle = (emoji, add, picked = false) => react(card, emoji, add, picked, on);
  const counts = reactions.map((r) => (signedIn
    ? h('button', {
      type: 'button', class: 'reaction', 'aria-pressed': String(r.reacted),
      'aria-label': `${r.emoji} ${plural(r.count)}`,
      title: r.reacted ? `Remove your ${r.emoji}` : `React with ${r.emoji}`,
      'data-focus': `reaction ${r.emoji}`, 'data-focus-else': 'react',
      onclick: (event) => {
        event.currentTarget.disabled = true;
        toggle(r.emoji, !r.reacted);
      },
    }, h('span', { class: 'reaction-emoji', text: r.emoji }), h('span', { class: 'reaction-count', text: String(r.count) }))
    : h('span', { class: 'reaction', title: plural(r.count) },
      h('span', { class: 'reaction-emoji', text: r.emoji }),
      h('span', { class: 'reaction-count', text: String(r.count) }))));
  const bar = h('div', { class: 'reactions', role: 'group', 'aria-label': `Reactions to “${card.title}”` }, ...counts);
  if (signedIn) bar.append(...picker(card, reactions, toggle, on));
  const failure = failures.get(card.id);
  if (failure) bar.append(h('p', { class: 'form-error', role: 'alert', text: failure }));
  return bar;
}

function picker(card, reactions, toggle, on) {
  const open = pickerOpen.has(card.id);
  const id = `picker-${card.id}`;
  const setOpen = (value) => {
    if (value) pickerOpen.add(card.id);
    else pickerOpen.delete(card.id);
    on.redraw();
  };
  const button = h('button', {
    type: 'button', class: 'reaction reaction-add', 'aria-label': 'Add a reaction', title: 'Add a reaction',
    'aria-expanded': String(open), 'aria-controls': open ? id : null, 'data-focus': 'react',
    onclick: () => setOpen(!open),
  }, h('span', { 'aria-hidden': 'true', text: '☺+' }));
  if (!open) return [button];
  const mine = new Set(reactions.filter((r) => r.reacted).map((r) => r.emoji));
  const choices = h('div', { id, class: 'reaction-picker', role: 'group', 'aria-label': 'Pick a reaction' },
    ...PICKS.map((emoji) => h('button', {
      type: 'button', class: 'reaction', text: emoji, 'aria-label': `React with ${emoji}`,
      'aria-pressed': String(mine.has(emoji)), 'data-focus': `pick ${emoji}`,
      onclick: () => {
        pickerOpen.delete(card.id);
        toggle(emoji, true, true);
      },
    })));
  choices.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    setOpen(false);
    focusKey(document.getElementById(`card-${card.id}`), 'react');
  });
  return [button, choices];
}

async function react(card, emoji, add, picked, on) {
  try {
    const data = await gql(add ? Q.addReaction : Q.removeReaction, { cardId: card.id, emoji });
    failures.delete(card.id);
    const changed = add ? data.addReaction : data.removeReaction;
    on.changed(changed);
    // The focus follows the reaction just chosen from the picker (which closed).
    const item = document.getElementById(`card-${card.id}`);
    const lost = document.activeElement === document.body || item?.contains(document.activeElement);
    if (picked && lost) focusKey(item, `reaction ${emoji}`);
  } catch (e) {
    failures.set(card.id, `Your reaction was not saved: ${e.message}`);
    on.redraw();
  }
}
