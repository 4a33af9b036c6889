// Spider Web: the chat-box page at `/`. Plain JavaScript ES modules, no
// framework, no build step: queries and mutations go to /graphql over fetch,
// live updates come over /graphql/ws. User text only ever reaches the page
// through textContent and attribute setters. This module starts the page and
// says what a change of session does to its parts:
//
//   session.js  tokens, the signed-in user, GraphQL as that user
//   auth.js     the sign-in panel          profile.js   "Your profile"
//   composer.js "Post a card"              feed.js      the live list of cards
//   card.js     one card                   reactions.js its reactions and picker
//   thread.js   a card's replies, live     reply.js     one reply, the reply form
//   live.js     the subscriptions' socket  queries.js   the GraphQL documents
//   ui.js       announcer, times, focus
//   account.js  password reset and e-mail verification (also its own pages)
import { onEmailVerified, verificationNotice } from './account.js';
import { followLink, initAuth, showAuthForm } from './auth.js';
import { initComposer } from './composer.js';
import { feed } from './feed.js';
import { $, h } from './forms.js';
import { restart } from './live.js';
import { fillProfileForm, initProfile } from './profile.js';
import { Q } from './queries.js';
import { gql, onSessionChange, resumeSession, session, updateMe } from './session.js';
import { announce } from './ui.js';

/** Shows what the signed-in user (or a visitor) may use. */
function renderSession() {
  const me = session.me;
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
  feed.redrawAll();
}

/** A new session, or none: new buttons, a socket with the new token, the feed as it sees it. */
function sessionChanged(reason, wasSignedIn) {
  if (reason !== 'signed-in' && reason !== 'updated') showAuthForm('login');
  renderSession();
  if (reason === 'updated') return;
  if (reason === 'signed-in') $('card-title').focus();
  if (reason === 'signed-out') {
    announce('Signed out.');
    $('login-name').focus();
  }
  if (reason === 'lost' && wasSignedIn) announce('Your session has ended. Please sign in again.');
  restart();
  feed.reload();
}

/** The address was confirmed in another tab: the notice goes here too. */
async function emailVerifiedElsewhere() {
  const me = session.me;
  if (!me || me.emailVerified !== false) return;
  try {
    const fresh = (await gql(Q.me)).me;
    if (fresh && session.me && fresh.id === session.me.id) updateMe(fresh);
  } catch {
    // The notice stays until the next load.
  }
}

async function start() {
  initAuth();
  initProfile();
  initComposer();
  feed.init();
  onEmailVerified(emailVerifiedElsewhere);
  await resumeSession();
  onSessionChange(sessionChanged);
  renderSession();
  followLink();
  await feed.reload();
  feed.follow();
}

start();
