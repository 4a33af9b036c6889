// Spider Web: the sign-in panel. Signing in (by username or e-mail),
// registering, signing out, and the `/#sign-in` and `/#forgot-password` links
// the account pages send people to. The password reset form itself and the
// verification notice are account.js's.
import { post } from './client.js';
import { forgotPassword, verificationNotice } from './account.js';
import { $, submitting, formValues } from './forms.js';
import { Q } from './queries.js';
import { session, signIn, signOut, tokens } from './session.js';
import { announce } from './ui.js';

/** 'login', 'register' or 'forgot' (the password reset request, part of signing in). */
export function showAuthForm(which) {
  $('login-form').hidden = which !== 'login';
  $('register-form').hidden = which !== 'register';
  $('forgot-form').hidden = which !== 'forgot';
  $('show-login').setAttribute('aria-pressed', String(which !== 'register'));
  $('show-register').setAttribute('aria-pressed', String(which === 'register'));
}

async function onLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  await submitting(form, async () => {
    const { username, password } = formValues(form);
    const name = username.trim();
    const looksLikeEmail = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(name);
    let data;
    try {
      data = await post(Q.login, { input: looksLikeEmail ? { email: name, password } : { username: name, password } });
    } catch (e) {
      // Usernames may contain @ and dots too: try it as one.
      if (!looksLikeEmail || e.code !== 'BAD_USER_INPUT') throw e;
      data = await post(Q.login, { input: { username: name, password } });
    }
    form.reset();
    signIn(data.login);
  });
}

async function onRegister(event) {
  event.preventDefault();
  const form = event.currentTarget;
  await submitting(form, async () => {
    const v = formValues(form);
    const input = { username: v.username.trim(), email: v.email.trim(), password1: v.password1, password2: v.password2 };
    const data = await post(Q.register, { input });
    form.reset();
    if (!data.register.accessToken) {
      // EMAIL_VERIFICATION=mandatory: the first sign-in waits for the mailed link.
      verificationNotice.pending(input.email);
      showAuthForm('login');
      announce(`Account created. Open the link we sent to ${input.email}, then sign in.`);
      $('login-name').focus();
      return;
    }
    signIn(data.register);
  });
}

async function onLogout() {
  const button = $('logout');
  button.disabled = true;
  try {
    if (tokens.access) await post(Q.logout, {}, tokens.access);
  } catch {
    // The session may already be gone; signing out locally is what matters.
  } finally {
    button.disabled = false;
  }
  signOut();
}

/** Wires the panel's buttons and forms. */
export function initAuth() {
  $('show-login').addEventListener('click', () => { showAuthForm('login'); $('login-name').focus(); });
  $('show-register').addEventListener('click', () => { showAuthForm('register'); $('reg-username').focus(); });
  $('login-form').addEventListener('submit', onLogin);
  $('register-form').addEventListener('submit', onRegister);
  $('logout').addEventListener('click', onLogout);
  forgotPassword.init(showAuthForm);
  verificationNotice.init();
}

/** `/#sign-in` and `/#forgot-password`, where the account pages send people. */
export function followLink() {
  const target = location.hash;
  if (target !== '#sign-in' && target !== '#forgot-password') return;
  history.replaceState(null, '', location.pathname + location.search);
  if (session.me) return;
  if (target === '#forgot-password') forgotPassword.open(showAuthForm);
  else {
    showAuthForm('login');
    $('login-name').focus();
  }
}
