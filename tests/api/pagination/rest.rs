//! Walking REST `next` and `previous` links.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_links_visit_every_readable_card_once_newest_first() {
    let app = TestApp::spawn().await;
    let (alice, bob, all, private) = two_authors(&app, 26).await;
    let staff = app.register_staff("Staff").await;
    let public = without(&all, &private);
    let cases = [
        ("anonymous", None, reversed(&public)),
        ("bob", Some(bob.access.as_str()), reversed(&public)),
        ("alice", Some(alice.access.as_str()), reversed(&all)),
        ("staff", Some(staff.access.as_str()), reversed(&all)),
    ];
    for (who, token, expected) in cases {
        for page_size in [1, 4, 5, 19, 20, 100] {
            let (seen, pages) =
                walk_next(&app, &format!("/api/cards/?page_size={page_size}"), token).await;
            assert_eq!(seen, expected, "{who}, page_size={page_size}");
            assert_eq!(
                pages,
                expected.len().div_ceil(page_size).max(1),
                "{who}: pages"
            );
        }
        let (seen, _) =
            walk_next(&app, "/api/cards/?page_size=3&ordering=-created_at", token).await;
        assert_eq!(seen, expected, "{who}: explicit -created_at");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering_created_at_walks_oldest_first() {
    let app = TestApp::spawn().await;
    let (alice, _, all, private) = two_authors(&app, 17).await;
    let (seen, _) = walk_next(&app, "/api/cards/?ordering=created_at&page_size=4", None).await;
    assert_eq!(seen, without(&all, &private));
    let (seen, _) = walk_next(
        &app,
        "/api/cards/?ordering=created_at&page_size=6",
        Some(&alice.access),
    )
    .await;
    assert_eq!(seen, all);
    let (seen, _) = walk_next(&app, "/api/cards/?ordering=created_at&page_size=100", None).await;
    assert_eq!(seen, without(&all, &private));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walking_while_cards_arrive_sees_each_existing_card_once() {
    let app = TestApp::spawn().await;
    let (alice, bob, all, private) = two_authors(&app, 30).await;
    let public = without(&all, &private);
    for (ordering, expected) in [
        ("-created_at", reversed(&public)),
        ("created_at", public.clone()),
    ] {
        let path = format!("/api/cards/?ordering={ordering}&page_size=4");
        let mut r = app.get(&path, None).await;
        // Cards arrive from here on: after the first page, before the last.
        let inserter = Inserter::start(&app, &bob);
        let mut seen = Vec::new();
        for _ in 0..200 {
            seen.extend(result_ids(&r.body));
            // One more arrives between every two pages, besides the background ones.
            app.card(&alice.access, "between pages", "public").await;
            let Some(next) = r.body["next"].as_str().map(str::to_string) else {
                break;
            };
            r = app.get_url(&next, None).await;
            assert_eq!(r.status, 200, "{r:?}");
        }
        let late = inserter.stop().await;
        assert!(!late.is_empty(), "the background inserter ran");
        assert_unique(&seen);
        assert_eq!(known(&seen, &public), expected, "ordering={ordering}");
        assert!(
            seen.iter().all(|id| !private.contains(id)),
            "no private card leaked"
        );
        if ordering == "-created_at" {
            // Newer cards sort before the first page: the walk never meets them.
            assert_eq!(
                seen, expected,
                "ordering={ordering}: only pre-existing cards"
            );
        } else {
            // Older-first: the pre-existing cards come first, then newcomers.
            assert_eq!(seen[..expected.len()], expected[..], "ordering={ordering}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_links_lead_back_page_by_page() {
    let app = TestApp::spawn().await;
    let (_, _, all, private) = two_authors(&app, 22).await;
    let expected = reversed(&without(&all, &private));
    let first = app.get("/api/cards/?page_size=5", None).await;
    assert_eq!(first.body["previous"], Value::Null);
    let next = first.body["next"].as_str().unwrap().to_string();
    let second = app.get_url(&next, None).await;
    let prev = second.body["previous"]
        .as_str()
        .expect("page 2 has previous")
        .to_string();
    let back = app.get_url(&prev, None).await;
    assert_eq!(back.status, 200);
    assert_eq!(
        result_ids(&back.body),
        result_ids(&first.body),
        "previous of page 2 is page 1"
    );
    assert_eq!(
        back.body["previous"],
        Value::Null,
        "and it is the first page"
    );
    assert!(back.body["next"].is_string());

    // From the last page, `previous` links walk everything backwards.
    let mut pages = vec![result_ids(&first.body)];
    let mut r = first;
    while let Some(next) = r.body["next"].as_str().map(str::to_string) {
        r = app.get_url(&next, None).await;
        pages.push(result_ids(&r.body));
    }
    let mut back_pages = vec![result_ids(&r.body)];
    while let Some(prev) = r.body["previous"].as_str().map(str::to_string) {
        r = app.get_url(&prev, None).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert!(
            r.body["next"].is_string(),
            "a page reached backwards has next"
        );
        back_pages.push(result_ids(&r.body));
        assert!(back_pages.len() < 100);
    }
    back_pages.reverse();
    assert_eq!(back_pages, pages, "the same pages either way");
    assert_eq!(back_pages.concat(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_keep_the_other_parameters() {
    let app = TestApp::spawn().await;
    let (alice, _, all, private) = two_authors(&app, 24).await;
    let staff = app.register_staff("Staff").await;
    // Alice's public cards, oldest first, that contain "card" (all of them).
    let alice_public: Vec<String> = {
        let mine = app
            .get(
                &format!("/api/cards/?owner={}&page_size=100", alice.id),
                None,
            )
            .await;
        result_ids(&mine.body).into_iter().rev().collect()
    };
    assert!(
        alice_public.len() > 6
            && alice_public
                .iter()
                .all(|i| all.contains(i) && !private.contains(i))
    );

    let path = format!(
        "/api/cards/?search=CARD&owner={}&visibility=public&ordering=created_at&page_size=3",
        alice.id
    );
    let first = app.get(&path, Some(&staff.access)).await;
    let next = first.body["next"].as_str().unwrap().to_string();
    for param in [
        "search=CARD",
        "visibility=public",
        "ordering=created_at",
        "page_size=3",
        "cursor=",
    ] {
        assert!(next.contains(param), "next keeps {param}: {next}");
    }
    assert!(
        next.contains(&format!("owner={}", alice.id)),
        "next keeps owner: {next}"
    );
    assert!(
        next.contains(&format!("{}/api/cards", app.addr)),
        "next names this server: {next}"
    );
    let second = app.get_url(&next, Some(&staff.access)).await;
    let prev = second.body["previous"].as_str().unwrap();
    assert!(
        prev.contains("search=CARD") && prev.contains("page_size=3"),
        "previous keeps them: {prev}"
    );

    let (seen, _) = walk_next(&app, &path, Some(&staff.access)).await;
    assert_eq!(seen, alice_public);

    // Without the trailing slash too.
    let (seen, _) = walk_next(
        &app,
        &path.replacen("/api/cards/", "/api/cards", 1),
        Some(&staff.access),
    )
    .await;
    assert_eq!(seen, alice_public);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_list_is_one_empty_page() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/cards/", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"next": null, "previous": null, "results": []})
    );
    let r = app.get("/api/profiles/", None).await;
    assert_eq!(
        r.body,
        json!({"next": null, "previous": null, "results": []})
    );
    let acc = app.register(&unique("Solo")).await;
    let ids = seed(&app, &acc, 3, Some(3)).await;
    let r = app.get("/api/cards/?page_size=2", None).await;
    assert_eq!(result_ids(&r.body), [ids[1].clone(), ids[0].clone()]);
    assert_eq!(r.body["next"], Value::Null, "only two public cards");
}
