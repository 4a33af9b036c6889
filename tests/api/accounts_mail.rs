//! Accounts by e-mail, end to end through a real SMTP server in the test
//! process: the mail arrives over SMTP, the test takes the link out of it and
//! completes the flow through REST or GraphQL.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    helpers::{Account, PASSWORD, TestApp, assert_gql_fields, unique},
    mail_catcher::{Mail, MailCatcher},
};

const SITE: &str = "http://web.test";
const NEW_PASSWORD: &str = "a-brand-new-horse";
const WAIT: Duration = Duration::from_secs(15);

async fn app_with_mail(mail: &MailCatcher, verification: &str) -> TestApp {
    let url = mail.url();
    let policy = match verification {
        "mandatory" => spider_web::config::EmailVerification::Mandatory,
        "none" => spider_web::config::EmailVerification::None,
        _ => spider_web::config::EmailVerification::Optional,
    };
    TestApp::spawn_with(move |c| {
        c.mail.smtp_url = Some(url);
        c.mail.public_url = Some(SITE.into());
        c.mail.email_verification = policy;
    })
    .await
}

/// The query parameters of a link in a mail.
fn link_params(mail: &Mail, prefix: &str) -> Vec<(String, String)> {
    let link = mail
        .link_starting_with(prefix)
        .unwrap_or_else(|| panic!("a link {prefix}… in {}", mail.text()));
    let url = reqwest::Url::parse(&link).expect("link is a URL");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(params: &[(String, String)], key: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("{key} in {params:?}"))
}

fn reset_params(mail: &Mail) -> (String, String) {
    let params = link_params(mail, &format!("{SITE}/reset-password?"));
    (param(&params, "uid"), param(&params, "token"))
}

fn verify_key(mail: &Mail) -> String {
    param(&link_params(mail, &format!("{SITE}/verify-email?")), "key")
}

/// Mails to `to` whose subject contains `word`.
fn with_subject(mails: &[Mail], word: &str) -> Vec<Mail> {
    mails
        .iter()
        .filter(|m| m.subject().is_some_and(|s| s.contains(word)))
        .cloned()
        .collect()
}

async fn me(app: &TestApp, access: &str) -> Value {
    app.get("/api/auth/user/", Some(access)).await.body
}

#[tokio::test]
async fn password_reset_by_mail_over_rest() {
    let mail = MailCatcher::start().await;
    let app = app_with_mail(&mail, "optional").await;
    let acc = app.register(&unique("reset")).await;
    let other_session = app.login(&acc.username, PASSWORD).await;
    assert_eq!(other_session.status, 200);
    // The registration's verification mail comes first.
    mail.wait_for(&acc.email, 1, WAIT).await;

    let r = app
        .post(
            "/api/auth/password/reset/",
            json!({"email": acc.email.to_uppercase()}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"detail": "Password reset e-mail has been sent."})
    );
    let mails = mail.wait_for(&acc.email, 2, WAIT).await;
    let reset = with_subject(&mails, "Reset");
    assert_eq!(reset.len(), 1, "one reset mail");
    assert!(
        reset[0].subject().unwrap().contains("Spider Web"),
        "site name in the subject"
    );
    let (uid, token) = reset_params(&reset[0]);

    // Bad uid first, then bad token, then the password rules.
    let confirm = |uid: &str, token: &str, p1: &str, p2: &str| json!({"uid": uid, "token": token, "new_password1": p1, "new_password2": p2});
    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            confirm("nope", "bad", "x", "y"),
            None,
        )
        .await;
    assert_eq!((r.status, r.body), (400, json!({"uid": ["Invalid value"]})));
    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            confirm(&uid, "bad", "x", "y"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({"token": ["Invalid value"]}))
    );
    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            confirm(&uid, &token, "short", "short"),
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["new_password2"].is_array(), "{}", r.body);

    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            confirm(&uid, &token, NEW_PASSWORD, NEW_PASSWORD),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        json!({"detail": "Password has been reset with the new password."})
    );

    // Every session ended; the old password is gone, the new one works.
    assert_eq!(
        app.get("/api/auth/user/", Some(&acc.access)).await.status,
        401
    );
    let other_access = other_session.body["access"].as_str().unwrap();
    assert_eq!(
        app.get("/api/auth/user/", Some(other_access)).await.status,
        401
    );
    let r = app
        .post(
            "/api/auth/token/refresh/",
            json!({"refresh": acc.refresh}),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(app.login(&acc.username, PASSWORD).await.status, 400);
    let fresh = app.login(&acc.username, NEW_PASSWORD).await;
    assert_eq!(fresh.status, 200);
    // The mail reached its owner: the address is verified.
    let access = fresh.body["access"].as_str().unwrap();
    assert_eq!(me(&app, access).await["email_verified"], true);
    // Single use.
    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            confirm(&uid, &token, "yet-another-horse", "yet-another-horse"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({"token": ["Invalid value"]}))
    );
}

#[tokio::test]
async fn reset_answers_the_same_for_every_address_and_keeps_its_cooldown() {
    let mail = MailCatcher::start().await;
    let app = app_with_mail(&mail, "none").await;
    let acc = app.register(&unique("cool")).await;
    let unknown = format!("{}@example.com", unique("nobody"));
    let known = app
        .post(
            "/api/auth/password/reset/",
            json!({"email": acc.email}),
            None,
        )
        .await;
    let missing = app
        .post("/api/auth/password/reset/", json!({"email": unknown}), None)
        .await;
    assert_eq!((known.status, &known.body), (missing.status, &missing.body));
    let again = app
        .post(
            "/api/auth/password/reset/",
            json!({"email": acc.email}),
            None,
        )
        .await;
    assert_eq!(again.status, 200);
    let bad = app
        .post(
            "/api/auth/password/reset/",
            json!({"email": "not an address"}),
            None,
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["email"].is_array(), "{}", bad.body);
    mail.wait_for(&acc.email, 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = mail.messages();
    assert_eq!(
        all.len(),
        1,
        "one reset mail (cooldown), none to the unknown address: {all:?}"
    );
    // A password change kills the reset token.
    let (uid, token) = reset_params(&all[0]);
    let r = app
        .post(
            "/api/auth/password/change/",
            json!({"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            json!({"uid": uid, "token": token, "new_password1": "x-horse-battery", "new_password2": "x-horse-battery"}),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (400, json!({"token": ["Invalid value"]}))
    );
}

#[tokio::test]
async fn email_verification_and_address_change() {
    let mail = MailCatcher::start().await;
    let app = app_with_mail(&mail, "optional").await;
    let acc = app.register(&unique("verify")).await;
    assert_eq!(me(&app, &acc.access).await["email_verified"], false);
    let first = mail.wait_for(&acc.email, 1, WAIT).await;
    let key = verify_key(&first[0]);
    // A resend within the cooldown sends nothing more.
    let r = app
        .post(
            "/api/auth/registration/resend-email/",
            json!({"email": acc.email}),
            None,
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"detail": "ok"})));

    let r = app
        .post(
            "/api/auth/registration/verify-email/",
            json!({"key": key}),
            None,
        )
        .await;
    assert_eq!((r.status, r.body), (200, json!({"detail": "ok"})));
    assert_eq!(me(&app, &acc.access).await["email_verified"], true);
    let r = app
        .post(
            "/api/auth/registration/verify-email/",
            json!({"key": key}),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "a used key: {r:?}");
    let r = app
        .post(
            "/api/auth/registration/verify-email/",
            json!({"key": "made.up"}),
            None,
        )
        .await;
    assert_eq!(r.status, 404);

    // A new address is unverified; it gets a key, the old one a notice.
    let new_email = format!("{}@example.org", unique("moved"));
    let r = app
        .patch(
            "/api/auth/user/",
            json!({"email": new_email}),
            Some(&acc.access),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["email_verified"], false);
    let to_new = mail.wait_for(&new_email, 1, WAIT).await;
    let notice = mail.wait_for(&acc.email, 2, WAIT).await;
    assert_eq!(mail.messages().len(), 3, "no resend within the cooldown");
    let notice = with_subject(&notice, "changed");
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0].link_starting_with("http").is_none(),
        "the notice has no link"
    );
    assert!(notice[0].text().contains(&new_email));
    let new_key = verify_key(&to_new[0]);
    let r = app
        .post(
            "/api/auth/registration/verify-email/",
            json!({"key": new_key}),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(me(&app, &acc.access).await["email_verified"], true);
}

#[tokio::test]
async fn mandatory_verification_holds_back_tokens() {
    let mail = MailCatcher::start().await;
    let app = app_with_mail(&mail, "mandatory").await;
    let username = unique("strict");
    let email = format!("{username}@example.com");
    let r = app
        .post(
            "/api/auth/register/",
            json!({"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body),
        (201, json!({"detail": "Verification e-mail sent."}))
    );
    let r = app.login(&username, PASSWORD).await;
    assert_eq!(
        (r.status, r.body),
        (
            400,
            json!({"non_field_errors": ["E-mail is not verified."]})
        )
    );
    let body = app
        .gql(
            "mutation($u: String!) { login(input: {username: $u, password: \"correct-horse-battery\"}) { accessToken } }",
            json!({"u": username}),
            None,
        )
        .await;
    assert_gql_fields(
        &body,
        json!({"nonFieldErrors": ["E-mail is not verified."]}),
    );
    let key = verify_key(&mail.wait_for(&email, 1, WAIT).await[0]);
    let body = app
        .gql(
            "mutation($k: String!) { verifyEmail(key: $k) }",
            json!({"k": key}),
            None,
        )
        .await;
    assert_eq!(body["data"]["verifyEmail"], true, "{body}");
    assert_eq!(app.login(&username, PASSWORD).await.status, 200);
    // GraphQL register: null tokens, the user.
    let other = unique("strict");
    let body = app
        .gql(
            "mutation($u: String!, $e: String!) { register(input: {username: $u, email: $e, password1: \"correct-horse-battery\", password2: \"correct-horse-battery\"}) { accessToken refreshToken user { username emailVerified } } }",
            json!({"u": other, "e": format!("{other}@example.com")}),
            None,
        )
        .await;
    assert_eq!(
        body["data"]["register"],
        json!({"accessToken": null, "refreshToken": null, "user": {"username": other, "emailVerified": false}}),
        "{body}"
    );
}

#[tokio::test]
async fn password_reset_over_graphql() {
    let mail = MailCatcher::start().await;
    let app = app_with_mail(&mail, "none").await;
    let acc: Account = app.register(&unique("gqlreset")).await;
    let body = app
        .gql(
            "mutation($e: String!) { requestPasswordReset(email: $e) }",
            json!({"e": acc.email}),
            None,
        )
        .await;
    assert_eq!(body["data"]["requestPasswordReset"], true, "{body}");
    let (uid, token) = reset_params(&mail.wait_for(&acc.email, 1, WAIT).await[0]);
    let reset = "mutation($i: ResetPasswordInput!) { resetPassword(input: $i) }";
    let body = app
        .gql(
            reset,
            json!({"i": {"uid": uid, "token": "wrong", "newPassword1": NEW_PASSWORD, "newPassword2": NEW_PASSWORD}}),
            None,
        )
        .await;
    assert_gql_fields(&body, json!({"token": ["Invalid value"]}));
    let body = app
        .gql(
            reset,
            json!({"i": {"uid": uid, "token": token, "newPassword1": NEW_PASSWORD, "newPassword2": NEW_PASSWORD}}),
            None,
        )
        .await;
    assert_eq!(body["data"]["resetPassword"], true, "{body}");
    assert_eq!(
        app.get("/api/auth/user/", Some(&acc.access)).await.status,
        401
    );
    let body = app
        .gql(
            "mutation { verifyEmail(key: \"no.such\") }",
            json!({}),
            None,
        )
        .await;
    assert_eq!(
        TestApp::gql_code(&body).as_deref(),
        Some("NOT_FOUND"),
        "{body}"
    );
    let body = app
        .gql(
            "mutation($e: String!) { resendVerificationEmail(email: $e) }",
            json!({"e": acc.email}),
            None,
        )
        .await;
    assert_eq!(body["data"]["resendVerificationEmail"], true, "{body}");
}

#[tokio::test]
async fn an_smtp_outage_loses_nothing_and_sends_nothing_twice() {
    let mail = MailCatcher::start().await;
    let port = mail.port();
    let app = app_with_mail(&mail, "none").await;
    let mut accounts = Vec::new();
    for _ in 0..3 {
        accounts.push(app.register(&unique("outage")).await);
    }
    mail.stop().await;
    for acc in &accounts {
        let r = app
            .post(
                "/api/auth/password/reset/",
                json!({"email": acc.email}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "answers while the mail server is down");
    }
    // Let the worker fail at least once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mail = MailCatcher::start_on(port).await;
    for acc in &accounts {
        mail.wait_for(&acc.email, 1, Duration::from_secs(30)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mail.messages().len(), accounts.len(), "each message once");
}

/// The server binary as a child process (killed when dropped).
struct Process {
    child: tokio::process::Child,
    url: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

async fn start_binary(db: &crate::helpers::TestDatabase, smtp_port: u16) -> Process {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_spider-web"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("DATA_DIR", db.dir().join("data"))
        .env("BIND", "127.0.0.1:0")
        .env("JWT_SECRET", "test-secret-test-secret-test-secret!")
        .env("RATE_LIMITS", "off")
        .env("EMAIL_VERIFICATION", "none")
        .env("PUBLIC_URL", SITE)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}"))
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("server binary starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            log.lock().unwrap().push(line.clone());
            if let Some(rest) = line.split("addr=").nth(1) {
                return rest.split_whitespace().next().unwrap_or("").to_string();
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server listens within 30 s");
    // Keep reading its log so it never blocks on a full pipe.
    let kept = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            kept.lock().unwrap().push(line);
        }
    });
    Process {
        child,
        url: format!("http://{addr}"),
        log,
    }
}

#[tokio::test]
async fn a_kill_9_between_queueing_and_sending_loses_no_mail() {
    let db = crate::helpers::create_database().await;
    let port = {
        let probe = MailCatcher::start().await;
        let port = probe.port();
        probe.stop().await;
        port
    };
    let http = reqwest::Client::new();
    let mut first = start_binary(&db, port).await;
    let username = unique("killed");
    let email = format!("{username}@example.com");
    let r = http
        .post(format!("{}/api/auth/register/", first.url))
        .json(&json!({"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(format!("{}/api/auth/password/reset/", first.url))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the answer does not wait for the mail server"
    );
    // The worker tries (the mail server is down), then the process dies hard.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    first.child.start_kill().expect("SIGKILL");
    let _ = first.child.wait().await;

    let mail = MailCatcher::start_on(port).await;
    let second = start_binary(&db, port).await;
    let got = mail.wait_for(&email, 1, Duration::from_secs(30)).await;
    let (_, token) = reset_params(&got[0]);
    assert!(token.contains('.'), "the reset link came through");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(mail.messages().len(), 1, "delivered once");
    // Neither process logged a secret: not the token, not the password.
    let secret = token.split_once('.').unwrap().1;
    for process in [&first, &second] {
        let log = process.log.lock().unwrap();
        assert!(
            log.iter().any(|l| l.contains("mail")),
            "the log speaks of the mail"
        );
        for line in log.iter() {
            assert!(
                !line.contains(secret) && !line.contains(PASSWORD),
                "secret in log: {line}"
            );
        }
    }
}

/// A password reset ends the live subscriptions of every session of the user
/// (UNAUTHENTICATED, then close 4401), as a logout everywhere does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_ends_the_users_live_subscriptions() {
    use crate::ws_client::{CARD_EVENTS, GqlWs, Incoming, MODERN};
    let mail = MailCatcher::start().await;
    let app = app_with_mail(&mail, "none").await;
    let acc = app.register(&unique("feedreset")).await;
    let mut ws = GqlWs::connect(&app, MODERN, Some(&acc.access))
        .await
        .unwrap();
    ws.subscribe("r", CARD_EVENTS, json!({})).await;
    let r = app
        .post(
            "/api/auth/password/reset/",
            json!({"email": acc.email}),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let (uid, token) = reset_params(&mail.wait_for(&acc.email, 1, WAIT).await[0]);
    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            json!({"uid": uid, "token": token, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    match ws.next(Duration::from_secs(10)).await {
        Incoming::Json(m) => assert_eq!(
            m["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{m}"
        ),
        other => panic!("expected UNAUTHENTICATED, got {other:?}"),
    }
    loop {
        match ws.next(Duration::from_secs(10)).await {
            Incoming::Json(m) if m["type"] == "complete" => continue,
            Incoming::Closed(code) => return assert_eq!(code, Some(4401)),
            other => panic!("expected close 4401, got {other:?}"),
        }
    }
}

/// Two instances on one database share one outbox: every message goes out
/// once, whichever instance queued it and whichever worker claims it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_each_message_once() {
    let mail = MailCatcher::start().await;
    let first = app_with_mail(&mail, "none").await;
    let second = first.sibling().await;
    let mut emails = Vec::new();
    for i in 0..12 {
        let acc = first.register(&unique("twice")).await;
        let via = if i % 2 == 0 { &first } else { &second };
        let r = via
            .post(
                "/api/auth/password/reset/",
                json!({"email": acc.email}),
                None,
            )
            .await;
        assert_eq!(r.status, 200);
        emails.push(acc.email);
    }
    for email in &emails {
        mail.wait_for(email, 1, WAIT).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mail.messages().len(), emails.len(), "each message once");
}

/// The links come from `PASSWORD_RESET_URL` / `VERIFY_EMAIL_URL` templates
/// (for single-page apps), with `{uid}`, `{token}` and `{key}` filled in.
#[tokio::test]
async fn link_templates_point_where_the_operator_says() {
    let mail = MailCatcher::start().await;
    let url = mail.url();
    let app = TestApp::spawn_with(move |c| {
        c.mail.smtp_url = Some(url);
        c.mail.password_reset_url = Some("https://app.test/reset/{uid}/{token}".into());
        c.mail.verify_email_url = Some("https://app.test/verify#{key}".into());
    })
    .await;
    let acc = app.register(&unique("spa")).await;
    let verify = mail.wait_for(&acc.email, 1, WAIT).await;
    let link = verify[0]
        .link_starting_with("https://app.test/verify#")
        .expect("the verify template");
    let key = link.trim_start_matches("https://app.test/verify#");
    let r = app
        .post(
            "/api/auth/registration/verify-email/",
            json!({"key": key}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "the key in the templated link works: {r:?}");
    app.post(
        "/api/auth/password/reset/",
        json!({"email": acc.email}),
        None,
    )
    .await;
    let mails = mail.wait_for(&acc.email, 2, WAIT).await;
    let reset = with_subject(&mails, "Reset");
    let link = reset[0]
        .link_starting_with("https://app.test/reset/")
        .expect("the reset template");
    let mut parts = link
        .trim_start_matches("https://app.test/reset/")
        .split('/');
    let (uid, token) = (parts.next().unwrap(), parts.next().unwrap());
    let r = app
        .post(
            "/api/auth/password/reset/confirm/",
            json!({"uid": uid, "token": token, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}
