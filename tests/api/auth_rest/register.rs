//! `POST /api/auth/register/`: the payload, and every validation rule.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_returns_tokens_and_the_user() {
    let app = TestApp::spawn().await;
    let username = unique("Reg");
    let email = format!("{}@example.com", username.to_lowercase());
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);

    let r = register(&app, register_body(&username, &email, PASSWORD, PASSWORD)).await;

    assert_eq!(r.status, 201, "{r:?}");
    let keys: BTreeSet<&str> = r
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "access",
            "refresh",
            "access_expiration",
            "refresh_expiration",
            "user"
        ]),
        "{}",
        r.body
    );
    assert_token_pair(&r.body);
    let user = &r.body["user"];
    assert_user_object(user, &username, &email);
    assert_eq!(user["is_staff"], false);
    let joined = timestamp(&user["date_joined"]);
    assert!(joined >= before && joined <= chrono::Utc::now() + chrono::Duration::seconds(2));

    // The access token is a JWT for this user and session, with the default lifetime.
    let claims = jwt_claims(r.body["access"].as_str().unwrap());
    assert_eq!(claims["sub"], user["id"], "claims: {claims}");
    assert!(claims["sid"].is_string(), "claims: {claims}");
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(
        exp - iat,
        app.config.access_token_ttl as i64,
        "claims: {claims}"
    );
    let access_exp = timestamp(&r.body["access_expiration"]).timestamp();
    assert!(
        (access_exp - exp).abs() <= 1,
        "access_expiration vs exp {exp}: {}",
        r.body
    );

    // The tokens work at once, and GET user agrees with the registration's user.
    let me = get_user(&app, r.body["access"].as_str().unwrap()).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_user_object(&me.body, &username, &email);
    assert_eq!(me.body["id"], user["id"]);
    assert_eq!(
        refresh(&app, r.body["refresh"].as_str().unwrap())
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_rejects_a_username_taken_in_any_case() {
    let app = TestApp::spawn().await;
    let taken = unique("Alice");
    app.register(&taken).await;

    for variant in [taken.clone(), taken.to_lowercase(), taken.to_uppercase()] {
        let email = format!("other.{}@example.com", unique("e"));
        let r = register(&app, register_body(&variant, &email, PASSWORD, PASSWORD)).await;
        assert_eq!(r.status, 400, "{variant}: {r:?}");
        assert_eq!(
            r.body,
            json!({"username": [msg::USERNAME_TAKEN]}),
            "{variant}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_rejects_an_email_taken_in_any_case() {
    let app = TestApp::spawn().await;
    let first = app.register(&unique("bob")).await;

    for variant in [first.email.clone(), first.email.to_uppercase()] {
        let r = register(
            &app,
            register_body(&unique("bob2"), &variant, PASSWORD, PASSWORD),
        )
        .await;
        assert_eq!(r.status, 400, "{variant}: {r:?}");
        assert_eq!(r.body, json!({"email": [msg::EMAIL_TAKEN]}), "{variant}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_rejects_invalid_emails() {
    let app = TestApp::spawn().await;
    for email in [
        "plainaddress",
        "@example.com",
        "user@",
        "user@@example.com",
        "user name@example.com",
    ] {
        let r = register(
            &app,
            register_body(&unique("mail"), email, PASSWORD, PASSWORD),
        )
        .await;
        assert_eq!(r.status, 400, "{email:?}: {r:?}");
        assert_eq!(r.body, json!({"email": [msg::BAD_EMAIL]}), "{email:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_enforces_the_username_rules() {
    let app = TestApp::spawn().await;
    let cases: Vec<(String, &str)> = vec![
        ("ab".into(), msg::USERNAME_TOO_SHORT),
        ("a".repeat(151), msg::USERNAME_TOO_LONG),
        ("bad name".into(), msg::BAD_USERNAME),
        ("ünï".into(), msg::BAD_USERNAME),
        ("semi;colon".into(), msg::BAD_USERNAME),
        ("<script>".into(), msg::BAD_USERNAME),
    ];
    for (i, (username, message)) in cases.iter().enumerate() {
        let email = format!("{}@example.com", unique(&format!("u{i}")));
        let r = register(&app, register_body(username, &email, PASSWORD, PASSWORD)).await;
        assert_field_error(&r, "username", message);
    }

    // The edges of what is allowed.
    let long = format!("{}{}", unique("L"), "x".repeat(150))
        .chars()
        .take(150)
        .collect::<String>();
    let short = format!("a{}", &unique("s")[2..4]);
    let symbols = format!("a.b+c-d_e@{}", &unique("f")[2..]);
    for username in [long, short, symbols] {
        let email = format!("{}@example.com", unique("edge"));
        let r = register(&app, register_body(&username, &email, PASSWORD, PASSWORD)).await;
        assert_eq!(
            r.status,
            201,
            "{username:?} ({} chars): {r:?}",
            username.len()
        );
        assert_eq!(r.body["user"]["username"], username.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_reports_missing_and_blank_fields() {
    let app = TestApp::spawn().await;
    // Every field is tried before failing, so one report lists every deviation.
    let mut problems = Vec::new();
    for field in ["username", "email", "password1", "password2"] {
        let mut body = fresh_register_body("miss", PASSWORD, PASSWORD);
        body.as_object_mut().unwrap().remove(field);
        let r = register(&app, body).await;
        if r.status != 400 || !messages(&r.body, field).iter().any(|m| m == msg::REQUIRED) {
            problems.push(format!("missing {field}: {} {}", r.status, r.body));
        }

        let mut body = fresh_register_body("blank", PASSWORD, PASSWORD);
        body[field] = json!("");
        let r = register(&app, body).await;
        if r.status != 400 || !messages(&r.body, field).iter().any(|m| m == msg::BLANK) {
            problems.push(format!("blank {field}: {} {}", r.status, r.body));
        }
    }
    assert!(
        problems.is_empty(),
        "expected {{field: [{:?} | {:?}]}} but got:\n{}",
        msg::REQUIRED,
        msg::BLANK,
        problems.join("\n")
    );

    let r = register(&app, json!({})).await;
    for field in ["username", "email", "password1", "password2"] {
        assert_field_error(&r, field, msg::REQUIRED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_rejects_nul_characters() {
    let app = TestApp::spawn().await;

    let mut body = fresh_register_body("nul", PASSWORD, PASSWORD);
    body["username"] = json!("ab\u{0}cd");
    assert_field_error(&register(&app, body).await, "username", msg::NUL);

    let mut body = fresh_register_body("nul", PASSWORD, PASSWORD);
    body["email"] = json!("nul\u{0}user@example.com");
    assert_field_error(&register(&app, body).await, "email", msg::NUL);

    let with_nul = "correct\u{0}horse-battery";
    let body = fresh_register_body("nul", with_nul, with_nul);
    assert_field_error(&register(&app, body).await, "password1", msg::NUL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_enforces_the_password_rules() {
    let app = TestApp::spawn().await;
    let username = unique("Carol");
    let email = format!("{}@example.com", username.to_lowercase());
    let long = "x".repeat(129);
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("7 chars", "seven!!", vec![msg::PASSWORD_TOO_SHORT]),
        ("129 chars", long.as_str(), vec![msg::PASSWORD_TOO_LONG]),
        ("numeric", "1234567890", vec![msg::PASSWORD_NUMERIC]),
        (
            "short and numeric",
            "1234",
            vec![msg::PASSWORD_TOO_SHORT, msg::PASSWORD_NUMERIC],
        ),
    ];
    for (name, password, expected) in cases {
        let r = register(&app, register_body(&username, &email, password, password)).await;
        for message in expected {
            assert_field_error(&r, "password1", message);
        }
        assert!(r.body.get("username").is_none(), "{name}: {}", r.body);
    }

    // Similar to the username or the email, whatever the case.
    let like_username = username.to_uppercase();
    let r = register(
        &app,
        register_body(&username, &email, &like_username, &like_username),
    )
    .await;
    assert_field_error(&r, "password1", msg::PASSWORD_LIKE_USERNAME);
    let r = register(&app, register_body(&username, &email, &email, &email)).await;
    assert_field_error(&r, "password1", msg::PASSWORD_LIKE_EMAIL);
    let upper_email = email.to_uppercase();
    let r = register(
        &app,
        register_body(&username, &email, &upper_email, &upper_email),
    )
    .await;
    assert_field_error(&r, "password1", msg::PASSWORD_LIKE_EMAIL);

    // Nothing was created by the failures; 8 and 128 characters are fine.
    let r = register(
        &app,
        register_body(&username, &email, "abcdef1!", "abcdef1!"),
    )
    .await;
    assert_eq!(r.status, 201, "8 chars: {r:?}");
    let max = "y".repeat(128);
    let r = register(&app, fresh_register_body("max", &max, &max)).await;
    assert_eq!(r.status, 201, "128 chars: {r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_rejects_mismatched_passwords() {
    let app = TestApp::spawn().await;
    let r = register(
        &app,
        fresh_register_body("mis", PASSWORD, "correct-horse-batterz"),
    )
    .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"non_field_errors": [msg::PASSWORDS_DIFFER]}));
}
