// Spider Web: "Post a card", the signed-in user's composer.
import { $, submitting, formValues } from './forms.js';
import { feed } from './feed.js';
import { Q } from './queries.js';
import { gql } from './session.js';

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

export function initComposer() {
  $('card-form').addEventListener('submit', onPost);
}
