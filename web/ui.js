// Spider Web: small page-wide helpers: the screen-reader announcer, times
// shown relative to now, and re-rendering a piece of the page without
// losing the keyboard focus inside it.
import { $, h } from './forms.js';

/** Says `text` through the page's polite live region. */
export function announce(text) {
  const node = $('announcer');
  node.textContent = '';
  // A fresh text node so that repeated messages are read again.
  setTimeout(() => { node.textContent = text; }, 50);
}

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

/** A `<time>` showing `iso` relative to now ("5 minutes ago"), the full date as its title. */
export function timeElement(iso) {
  return h('time', { class: 'ago', datetime: iso, title: timeFormat.format(new Date(iso)), text: when(iso) });
}

// Relative times stay current.
setInterval(() => {
  for (const node of document.querySelectorAll('time.ago')) {
    node.textContent = when(node.getAttribute('datetime'));
  }
}, 60000);

/** Focuses the element of `container` whose `data-focus` key is `key`; false when there is none. */
export function focusKey(container, key) {
  const node = container && [...container.querySelectorAll('[data-focus]')].find((n) => n.dataset.focus === key);
  if (node) node.focus();
  return Boolean(node);
}

/**
 * Replaces the children of `node`; when the focus was on an element with a
 * `data-focus` key, it moves to the new element with the same key (or, when
 * that is gone, to the one its `data-focus-else` names), so that a live
 * update does not throw the keyboard out of what it was on.
 */
export function replaceKeepingFocus(node, ...children) {
  const active = document.activeElement;
  const inside = active && node.contains(active);
  const key = inside ? active.dataset.focus : undefined;
  const fallback = inside ? active.dataset.focusElse : undefined;
  node.replaceChildren(...children);
  if (key === undefined) return;
  if (!focusKey(node, key) && fallback !== undefined) focusKey(node, fallback);
}
