// Spider Web: account recovery and e-mail verification. An ES module with two
// uses:
//
// - on `/` (imported by app.js and auth.js): the "Forgot password?" form of the sign-in
//   panel and the notice shown while the address is unverified;
// - on `/reset-password` and `/verify-email` (account.html, the pages the
//   links in mails open): it runs the page on its own.
//
// None of it needs a session: the mutations below work signed out.
import { post } from './client.js';
import { $, h, submitting, formValues } from './forms.js';

const Q = {
  requestReset: 'mutation RequestReset($email: String!) { requestPasswordReset(email: $email) }',
  reset: 'mutation Reset($input: ResetPasswordInput!) { resetPassword(input: $input) }',
  verify: 'mutation Verify($key: String!) { verifyEmail(key: $key) }',
  resend: 'mutation Resend($email: String!) { resendVerificationEmail(email: $email) }',
};

/** Tabs of the site tell each other when an address got verified. */
const CHANNEL = 'spiderweb.account';

/** Calls `callback` when another tab of this site verified an address. */
export function onEmailVerified(callback) {
  if (typeof BroadcastChannel !== 'function') return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.addEventListener('message', (event) => {
    if (event.data && event.data.type === 'email-verified') callback();
  });
}

function tellOtherTabsVerified() {
  if (typeof BroadcastChannel !== 'function') return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage({ type: 'email-verified' });
  channel.close();
}

// ---------------------------------------------------------------- on `/`: "Forgot password?"

export const forgotPassword = {
  /**
   * Wires the form. `show(which)` switches the sign-in panel between
   * 'login', 'register' and 'forgot'.
   */
  init(show) {
    const form = $('forgot-form');
    $('forgot-open').addEventListener('click', () => this.open(show));
    $('forgot-back').addEventListener('click', () => {
      show('login');
      $('login-name').focus();
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      await submitting(form, async () => {
        const email = formValues(form).email.trim();
        await post(Q.requestReset, { email });
        form.querySelector('.form-status').textContent =
          `If an account uses ${email}, we have sent it a link to choose a new password. ` +
          'Check your inbox; the link works for a limited time.';
      });
    });
  },

  /** Shows the form, with the address from the sign-in form when it is one. */
  open(show) {
    const form = $('forgot-form');
    const name = $('login-name').value.trim();
    const input = $('forgot-email');
    if (!input.value && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(name)) input.value = name;
    form.querySelector('.form-status').textContent = '';
    show('forgot');
    input.focus();
  },
};

// ---------------------------------------------------------------- on `/`: the unverified-address notice

export const verificationNotice = {
  /** The address of an account registered here that must be verified before signing in. */
  pendingEmail: null,
  shownFor: null,

  init() {
    $('resend-verification').addEventListener('click', () => this.resend());
  },

  /** Shows the notice while `user` (the signed-in user, or null) has an unverified address. */
  render(user) {
    if (user) this.pendingEmail = null;
    const email = user ? (user.emailVerified === false ? user.email : null) : this.pendingEmail;
    const panel = $('verify-notice');
    if (email !== this.shownFor) {
      $('verify-notice-status').textContent = '';
      $('verify-notice-error').textContent = '';
    }
    this.shownFor = email;
    panel.hidden = !email;
    if (!email) return;
    $('verify-notice-email').textContent = email;
    $('verify-notice-then').hidden = Boolean(user);
  },

  /** After a registration that needs the address verified before the first sign-in. */
  pending(email) {
    this.pendingEmail = email;
    this.render(null);
  },

  async resend() {
    const email = this.shownFor;
    if (!email) return;
    const button = $('resend-verification');
    const status = $('verify-notice-status');
    const error = $('verify-notice-error');
    status.textContent = '';
    error.textContent = '';
    button.disabled = true;
    try {
      await post(Q.resend, { email });
      status.textContent = `Verification e-mail sent to ${email}. It can take a few minutes to arrive.`;
    } catch (e) {
      error.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  },
};

// ---------------------------------------------------------------- `/reset-password` and `/verify-email`

function showResult(panel, { ok, heading, text, link }) {
  const result = panel.querySelector('.result');
  result.dataset.ok = String(ok);
  result.replaceChildren(
    h('h2', { text: heading, tabindex: '-1' }),
    h('p', { text }),
    link ? h('p', {}, h('a', { class: 'link-as-button button-primary', href: link.href, text: link.text })) : null,
  );
  result.hidden = false;
  result.querySelector('h2').focus();
}

function resetPasswordPage() {
  const panel = $('reset-page');
  const form = $('reset-form');
  const params = new URLSearchParams(location.search);
  const uid = params.get('uid');
  const token = params.get('token');
  document.title = 'Choose a new password · Spider Web';
  panel.hidden = false;
  const linkBroken = {
    ok: false,
    heading: 'This link is no longer valid',
    text: 'Reset links work once and for a limited time, and a newer one replaces an older one. ' +
      'Ask for a new link and use the latest mail.',
    link: { href: '/#forgot-password', text: 'Ask for a new link' },
  };
  if (!uid || !token) {
    form.hidden = true;
    showResult(panel, { ...linkBroken, heading: 'This link is incomplete' });
    return;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submitting(form, async () => {
      const v = formValues(form);
      try {
        await post(Q.reset, {
          input: { uid, token, newPassword1: v.newPassword1, newPassword2: v.newPassword2 },
        });
      } catch (e) {
        if (e.fields && (e.fields.uid || e.fields.token)) {
          form.hidden = true;
          showResult(panel, linkBroken);
          return;
        }
        throw e;
      }
      form.reset();
      form.hidden = true;
      showResult(panel, {
        ok: true,
        heading: 'Your password has been changed',
        text: 'For your safety every session of your account has ended. Sign in with your new password.',
        link: { href: '/#sign-in', text: 'Sign in' },
      });
    });
  });
  $('reset-password1').focus();
}

async function verifyEmailPage() {
  const panel = $('verify-page');
  const key = new URLSearchParams(location.search).get('key');
  document.title = 'Confirm your e-mail address · Spider Web';
  panel.hidden = false;
  const waiting = $('verify-waiting');
  const home = { href: '/', text: 'Go to Spider Web' };
  const noLonger = {
    ok: false,
    heading: 'This link is no longer valid',
    text: 'It has expired, was already used, or a newer link replaced it. ' +
      'Sign in to have a new verification e-mail sent.',
    link: { href: '/#sign-in', text: 'Sign in' },
  };
  if (!key) {
    waiting.hidden = true;
    showResult(panel, { ...noLonger, heading: 'This link is incomplete' });
    return;
  }
  const attempt = async () => {
    waiting.hidden = false;
    panel.querySelector('.result').hidden = true;
    panel.setAttribute('aria-busy', 'true');
    try {
      await post(Q.verify, { key });
      tellOtherTabsVerified();
      showResult(panel, {
        ok: true,
        heading: 'Your e-mail address is confirmed',
        text: 'Thank you. You can close this page or carry on to the site.',
        link: home,
      });
    } catch (e) {
      if (e.code === 'NOT_FOUND' || e.code === 'BAD_USER_INPUT') {
        showResult(panel, noLonger);
      } else {
        showResult(panel, { ok: false, heading: 'The address could not be confirmed', text: e.message });
        const retry = h('button', { type: 'button', class: 'button-primary', text: 'Try again', onclick: attempt });
        panel.querySelector('.result').append(h('p', {}, retry));
      }
    } finally {
      waiting.hidden = true;
      panel.setAttribute('aria-busy', 'false');
    }
  };
  await attempt();
}

const PAGES = { '/reset-password': resetPasswordPage, '/verify-email': verifyEmailPage };
const page = PAGES[location.pathname.replace(/\/+$/, '')];
if (page && document.body.dataset.page === 'account') page();
