// Spider Web: "Your profile", the signed-in user's display name, bio and links.
import { $, submitting, formValues } from './forms.js';
import { Q } from './queries.js';
import { gql, session, updateMe } from './session.js';

/** Puts the signed-in user's profile into the form. */
export function fillProfileForm() {
  const form = $('profile-form');
  const p = session.me && session.me.profile;
  for (const name of ['displayName', 'bio', 'location', 'website', 'avatarUrl']) {
    form.elements[name].value = (p && p[name]) || '';
  }
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
    const me = session.me;
    let profile;
    if (me.profile) {
      profile = (await gql(Q.updateProfile, { id: me.profile.id, input })).updateProfile;
    } else {
      profile = (await gql(Q.createProfile, { input })).createProfile;
    }
    updateMe({ ...session.me, profile });
    form.querySelector('.form-status').textContent = 'Profile saved.';
  });
}

export function initProfile() {
  $('profile-form').addEventListener('submit', onProfile);
}
