//! The shape of the house, checked from the source: no module imports one
//! above it, no two files import each other (directly or round a circle), no
//! file in `src/` is over 400 lines, and the password hash is named only where
//! passwords are checked. Imports are read from the text: every `use` line
//! (braces expanded) and every `crate::…`/`super::…` path in the code, each
//! resolved to the file that holds the deepest module it names. Unit-test
//! modules (from `#[cfg(test)]` to the end of a file) are left out.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// Layers, from the ground up: a module may import its own top-level module
/// and those of lower layers only (so `rest` and `graphql`, on one layer, do
/// not import each other).
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("config", 0),
    ("auth", 1),
    ("throttle", 1),
    ("db", 1),
    ("mail", 2),
    ("secret", 2),
    ("domain", 3),
    ("state", 4),
    ("http", 5),
    ("rest", 6),
    ("graphql", 6),
    ("web", 6),
    ("app", 7),
    ("server", 8),
    ("", 9), // lib.rs
];

/// External crates of the transports, which the ground floor never names.
const TRANSPORT_CRATES: &[&str] = &["axum", "async_graphql", "hyper", "tower", "utoipa"];

struct Source {
    /// Module path below the crate root (`["domain", "cards", "rows"]`).
    module: Vec<String>,
    text: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn sources() -> BTreeMap<String, Source> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = src_dir();
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut out = BTreeMap::new();
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .to_string();
        if rel == "main.rs" {
            continue; // the binary, not the library
        }
        let mut module: Vec<String> = rel
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_string)
            .collect();
        if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
            module.pop();
        }
        let text = std::fs::read_to_string(&path).expect("read file");
        out.insert(rel, Source { module, text });
    }
    out
}

/// The code of a file without its unit-test module and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or("").trim().to_string()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut depth, mut start, mut parts) = (0, 0, Vec::new());
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| match p.as_str() {
            "self" => prefix.trim_end_matches("::").to_string(),
            _ => format!("{prefix}{p}"),
        })
        .collect()
}

/// Every path a file's code names: its `use` trees and inline paths.
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        rest = &rest[i + 4..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(end) = rest.find(';') {
            paths.extend(expand(&rest[..end]));
            rest = &rest[end..];
        }
    }
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if code[at + path.len()..].starts_with('{') {
                continue; // a `use` tree: read whole above
            }
            paths.push(path.trim_end_matches(':').to_string());
        }
    }
    paths
}

/// The module path a path names, from the crate root, given the file's module.
fn absolute(path: &str, module: &[String]) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").map(str::trim).collect();
    let mut base: Vec<String> = match segs.first().copied() {
        Some("crate") => Vec::new(),
        Some("self") => module.to_vec(),
        Some("super") => {
            // `super` in `a/b.rs` (module a::b) is `a`; in `a/mod.rs` (module a) it is the root.
            let mut m = module.to_vec();
            m.pop();
            m
        }
        _ => return None,
    };
    for seg in &segs[1..] {
        match *seg {
            "super" => {
                base.pop();
            }
            "self" | "*" | "" => {}
            s => base.push(s.to_string()),
        }
    }
    Some(base)
}

/// file → files it imports.
fn imports(files: &BTreeMap<String, Source>) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|(f, s)| (s.module.clone(), f.clone()))
        .collect();
    let mut edges = BTreeMap::new();
    for (file, src) in files {
        let mut to = BTreeSet::new();
        for path in named_paths(&code(&src.text)) {
            let Some(abs) = absolute(&path, &src.module) else {
                continue;
            };
            // The deepest module the path names (the rest are items in it).
            let target = (0..=abs.len()).rev().find_map(|n| by_module.get(&abs[..n]));
            if let Some(target) = target
                && target != file
            {
                to.insert(target.clone());
            }
        }
        edges.insert(file.clone(), to);
    }
    edges
}

fn layer(file: &str) -> (String, u8) {
    let top = match file.split_once('/') {
        Some((dir, _)) => dir.to_string(),
        None if file == "lib.rs" => String::new(),
        None => file.trim_end_matches(".rs").to_string(),
    };
    let rank = LAYERS
        .iter()
        .find(|(name, _)| *name == top)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| panic!("{file}: top-level module `{top}` has no layer in LAYERS"));
    (top, rank)
}

#[test]
fn no_module_imports_one_above_it() {
    let files = sources();
    let mut wrong = Vec::new();
    for (from, tos) in imports(&files) {
        let (top, rank) = layer(&from);
        for to in tos {
            let (to_top, to_rank) = layer(&to);
            if to_top != top && to_rank >= rank {
                wrong.push(format!("{from} imports {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_ground_floor_names_no_transport() {
    let mut wrong = Vec::new();
    for (file, src) in sources() {
        if !(file.starts_with("domain/") || file.starts_with("auth/")) {
            continue;
        }
        let code = code(&src.text);
        for krate in TRANSPORT_CRATES {
            if code.contains(&format!("{krate}::")) {
                wrong.push(format!("{file} names {krate}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_import_cycles_between_files() {
    let edges = imports(&sources());
    // Depth-first search for a back edge; report the circle it closes.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut circle = stack[i..].to_vec();
            circle.push(node.to_string());
            circles.push(circle.join(" -> "));
            return;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, stack, done, circles);
        }
        stack.pop();
        done.insert(node.to_string());
    }
    let (mut done, mut circles) = (BTreeSet::new(), Vec::new());
    for node in edges.keys() {
        visit(node, &edges, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(circles.is_empty(), "import cycles:\n{}", circles.join("\n"));
}

#[test]
fn the_checker_sees_imports() {
    // Guards the checks above against reading nothing.
    let edges = imports(&sources());
    let of = |f: &str| edges.get(f).cloned().unwrap_or_default();
    assert!(of("domain/cards/mod.rs").contains("domain/mod.rs"));
    assert!(of("domain/cards/mod.rs").contains("domain/cards/rows.rs"));
    assert!(of("rest/cards.rs").contains("http/json.rs"));
    assert!(of("graphql/objects.rs").contains("graphql/context.rs"));
    assert_eq!(
        expand("crate::{a::{b, c as d}, e}"),
        vec!["crate::a::b", "crate::a::c", "crate::e"]
    );
}

#[test]
fn no_source_file_over_400_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .map(|(f, s)| (f, s.text.lines().count()))
        .filter(|(_, n)| *n > 400)
        .map(|(f, n)| format!("{f}: {n} lines"))
        .collect();
    assert!(long.is_empty(), "split by noun:\n{}", long.join("\n"));
}

#[test]
fn the_password_hash_stays_in_accounts() {
    // Reads select named columns (`User::COLUMNS`); the entity's whole row —
    // hash included — is never read outside `domain/accounts/`.
    let mut wrong = Vec::new();
    for (file, src) in sources() {
        let code = code(&src.text);
        let names_hash = code.contains("password_hash") || code.contains("PasswordHash");
        // `auth/password.rs` hashes and checks: it is the mechanism itself.
        if names_hash && !file.starts_with("domain/accounts/") && file != "auth/password.rs" {
            wrong.push(format!("{file} names the password hash"));
        }
        for whole_row in [
            "user::Model",
            "find_also_related(user::Entity)",
            "find_with_related(user::Entity)",
        ] {
            if code.contains(whole_row) {
                wrong.push(format!("{file} reads whole user rows ({whole_row})"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
