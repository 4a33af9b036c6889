// Spider Web: DOM and form helpers shared by the page's modules. User text
// only ever reaches the page through textContent and attribute setters.

export const $ = (id) => document.getElementById(id);

/** Builds an element; attributes via setAttribute, children as nodes or text. */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll('[data-error-for]')) node.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const status = form.querySelector('.form-status');
  if (status) status.textContent = '';
}

/** Puts each message of `error.fields` (an ApiError's) next to its field; the rest at the top. */
export function showErrors(form, error) {
  const general = form.querySelector('[data-error-for="nonFieldErrors"]');
  const leftover = [];
  const fields = error.fields && typeof error.fields === 'object' ? error.fields : null;
  let firstInvalid = null;
  if (fields) {
    for (const [name, messages] of Object.entries(fields)) {
      const text = (Array.isArray(messages) ? messages : [messages]).join(' ');
      const slot = name === 'nonFieldErrors' ? null : [...form.querySelectorAll('[data-error-for]')]
        .find((n) => n.dataset.errorFor.split(' ').includes(name));
      if (!slot) { leftover.push(text); continue; }
      slot.textContent = text;
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`) ||
        (slot.id && form.querySelector(`[aria-describedby~="${CSS.escape(slot.id)}"]`));
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        firstInvalid = firstInvalid || input;
      }
    }
  } else {
    leftover.push(error.message);
  }
  if (general) general.textContent = leftover.join(' ');
  if (firstInvalid) firstInvalid.focus();
}

export function setBusy(form, busy) {
  for (const button of form.querySelectorAll('button')) button.disabled = busy;
  form.setAttribute('aria-busy', busy ? 'true' : 'false');
}

/** Runs `work` for a submitted form: errors cleared first, shown after, buttons off meanwhile. */
export async function submitting(form, work) {
  clearErrors(form);
  setBusy(form, true);
  try {
    await work();
  } catch (e) {
    showErrors(form, e);
  } finally {
    setBusy(form, false);
  }
}

export function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}
