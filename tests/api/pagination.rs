//! Cursor pagination: walking `next`/`previous` links (REST) and
//! `after`/`before` cursors (GraphQL) visits every readable item exactly once,
//! in order, even while new cards arrive; page sizes and their limits.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use serde_json::{Value, json};

use crate::helpers::{
    Account, TestApp, assert_gql_code, assert_invalid, gql_data, id_of, node_ids, result_ids, rmsg,
    unique,
};

mod graphql;
mod limits;
mod rest;

/// Posts `n` cards as one user; every `private_every`-th (1-based) is private.
/// Returns their ids in creation order.
async fn seed(app: &TestApp, acc: &Account, n: usize, private_every: Option<usize>) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 1..=n {
        let private = private_every.is_some_and(|k| i % k == 0);
        let vis = if private { "private" } else { "public" };
        ids.push(id_of(
            &app.card(&acc.access, &format!("{} card {i}", acc.username), vis)
                .await,
        ));
    }
    ids
}

/// A user with cards interleaved with another user's: returns (alice, bob,
/// every card in creation order, the ids of the private ones).
async fn two_authors(app: &TestApp, n: usize) -> (Account, Account, Vec<String>, Vec<String>) {
    let alice = app.register(&unique("Alice")).await;
    let bob = app.register(&unique("Bob")).await;
    let mut all = Vec::new();
    let mut private = Vec::new();
    for i in 0..n {
        let (acc, vis) = match i % 4 {
            0 | 2 => (&alice, "public"),
            1 => (&bob, "public"),
            _ => (&alice, "private"),
        };
        let id = id_of(&app.card(&acc.access, &format!("card {i}"), vis).await);
        if vis == "private" {
            private.push(id.clone());
        }
        all.push(id);
    }
    (alice, bob, all, private)
}

fn without(all: &[String], drop: &[String]) -> Vec<String> {
    all.iter().filter(|i| !drop.contains(i)).cloned().collect()
}

fn reversed(ids: &[String]) -> Vec<String> {
    ids.iter().rev().cloned().collect()
}

/// Follows `next` links from `path`; returns every id seen, in order, and the
/// number of pages. Checks the links of each page on the way.
async fn walk_next(app: &TestApp, path: &str, token: Option<&str>) -> (Vec<String>, usize) {
    let mut r = app.get(path, token).await;
    assert_eq!(r.status, 200, "GET {path}: {r:?}");
    assert_eq!(
        r.body["previous"],
        Value::Null,
        "the first page has no previous"
    );
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages < 500, "the walk does not end");
        seen.extend(result_ids(&r.body));
        let Some(next) = r.body["next"].as_str().map(str::to_string) else {
            break;
        };
        assert!(next.starts_with("http://"), "next is absolute: {next}");
        r = app.get_url(&next, token).await;
        assert_eq!(r.status, 200, "GET {next}: {r:?}");
        assert!(
            r.body["previous"].is_string(),
            "a later page has previous: {}",
            r.body
        );
    }
    (seen, pages)
}

/// Asserts `seen` has no duplicates.
#[track_caller]
fn assert_unique(seen: &[String]) {
    let mut sorted = seen.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "an item was seen twice");
}

/// The pre-existing items of `seen`, in the order they were seen.
fn known(seen: &[String], pre: &[String]) -> Vec<String> {
    seen.iter().filter(|i| pre.contains(i)).cloned().collect()
}

/// Posts cards in the background until stopped.
struct Inserter {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<String>>,
}

impl Inserter {
    fn start(app: &TestApp, acc: &Account) -> Inserter {
        let stop = Arc::new(AtomicBool::new(false));
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/cards/"),
            acc.access.clone(),
        );
        let flag = stop.clone();
        let task = tokio::spawn(async move {
            let mut made = Vec::new();
            let mut i = 0;
            while !flag.load(Ordering::SeqCst) {
                i += 1;
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"title": format!("late {i}")}))
                    .send()
                    .await
                    .expect("insert sent");
                assert_eq!(r.status().as_u16(), 201, "background insert");
                let body: Value = r.json().await.expect("a card");
                made.push(id_of(&body));
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
            made
        });
        Inserter { stop, task }
    }

    async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.expect("inserter finished")
    }
}
