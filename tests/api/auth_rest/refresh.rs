//! `POST /api/auth/token/refresh/`: rotation, and theft detection on reuse.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_the_refresh_token() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("noah")).await;

    let r = refresh(&app, &acc.refresh).await;
    assert_eq!(r.status, 200, "{r:?}");
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
            "refresh_expiration"
        ])
    );
    assert_token_pair(&r.body);
    let second = r.body["refresh"].as_str().unwrap().to_string();
    assert_ne!(second, acc.refresh, "the refresh token must rotate");

    // The new access token is for the same user and session.
    let access = r.body["access"].as_str().unwrap();
    let (old, new) = (jwt_claims(&acc.access), jwt_claims(access));
    assert_eq!(new["sub"], old["sub"]);
    assert_eq!(new["sid"], old["sid"]);
    assert_eq!(get_user(&app, access).await.body["id"], acc.id.as_str());

    // And the rotated refresh token rotates again.
    let r = refresh(&app, &second).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_ne!(r.body["refresh"], second.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rejects_missing_and_invalid_tokens() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("olga")).await;

    let r = app.post("/api/auth/token/refresh/", json!({}), None).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.body, json!({"refresh": [msg::REQUIRED]}));

    let mut almost = acc.refresh.clone();
    let last = almost.pop().unwrap();
    almost.push(if last == 'A' { 'B' } else { 'A' });
    for token in ["garbage".to_string(), acc.access.clone(), almost] {
        let r = refresh(&app, &token).await;
        assert_unauthorized(&r, "token_not_valid");
    }

    // The invalid attempts did not hurt the real session.
    assert_eq!(refresh(&app, &acc.refresh).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reusing_a_refresh_token_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let acc = app.register(&unique("pete")).await;
    let (bystander_access, bystander_refresh) = new_session(&app, &acc.username, PASSWORD).await;

    let r = refresh(&app, &acc.refresh).await;
    assert_eq!(r.status, 200, "{r:?}");
    let newest_refresh = r.body["refresh"].as_str().unwrap().to_string();
    let newest_access = r.body["access"].as_str().unwrap().to_string();
    assert_eq!(get_user(&app, &newest_access).await.status, 200);

    // Theft detected: the old token is presented again.
    assert_unauthorized(&refresh(&app, &acc.refresh).await, "token_not_valid");

    // The whole session is gone: its newest refresh token and its access tokens.
    assert_unauthorized(&refresh(&app, &newest_refresh).await, "token_not_valid");
    assert_unauthorized(&get_user(&app, &newest_access).await, "token_not_valid");
    assert_unauthorized(&get_user(&app, &acc.access).await, "token_not_valid");

    // Another session of the same user is untouched.
    assert_eq!(get_user(&app, &bystander_access).await.status, 200);
    assert_eq!(refresh(&app, &bystander_refresh).await.status, 200);
}
