//! Generators: nasty strings, JSON text (duplicate keys, huge numbers, deep
//! nesting, escapes that are not text), invalid UTF-8.

use std::fmt::Write as _;

use proptest::{collection::vec, prelude::*, sample::select};

/// Strings that break naive code: SQL and script injection, LIKE wildcards,
/// right-to-left and combining text, emoji, zero-width and control characters.
pub const NASTY: &[&str] = &[
    "'; DROP TABLE cards; --",
    "\"; DROP TABLE users; --",
    "Robert'); DROP TABLE profiles;--",
    "' OR '1'='1",
    "' OR 1=1 --",
    "1; SELECT pg_sleep(10); --",
    "' UNION SELECT password_hash, email FROM users --",
    "admin'--",
    "\\'; DELETE FROM sessions; --",
    "$1",
    ":name",
    "?",
    "/* comment */",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg/onload=alert(document.cookie)>",
    "javascript:alert(1)",
    "{{7*7}}",
    "${7*7}",
    "%_\\",
    "%",
    "_",
    "\\",
    "\\\\%",
    "100%",
    "a_b",
    "%%",
    "[a-z]*",
    "مرحبا بالعالم",
    "שלום עולם",
    "\u{202e}dlrow olleh",
    "e\u{301}\u{301}\u{301}",
    "Z\u{364}\u{351}\u{313}a\u{308}\u{356}l\u{36e}g\u{30c}o\u{319}",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "𝕳𝖊𝖑𝖑𝖔",
    "\u{feff}BOM",
    "zero\u{200b}width",
    "\u{2028}\u{2029}",
    "\u{fffd}",
    "ﬀ ß İ ı ſ K Å",
    "ς Σ σ",
    "\t",
    " ",
    "\r\n",
    "\u{0}",
    "a\u{0}b",
    "\u{7f}\u{1b}[31mred",
    "\u{85}",
    "\u{10ffff}\u{e000}",
    "null",
    "undefined",
    "NaN",
    "true",
    "[]",
    "{}",
    "0",
    "-1",
    "1e400",
    "",
];

/// Numbers as JSON text that no 64-bit type holds, or that are odd.
pub const BIG_NUMBERS: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551616",
    "-9223372036854775809",
    "340282366920938463463374607431768211456",
    "-0",
    "-0.0",
    "0e0",
    "123456789012345678901234567890.123456789",
    "0.1e999999999",
    "2147483648",
    "-2147483649",
    "9007199254740993",
];

/// String escapes that are valid JSON syntax but not all text: lone surrogates
/// and NUL.
pub const ESCAPES: &[&str] = &[
    "\\ud800",
    "\\udfff",
    "a\\udc00b",
    "\\ud83d\\ude00",
    "\\u0000",
    "a\\u0000b",
    "\\/\\b\\f\\n\\r\\t",
];

/// Byte sequences that are not UTF-8.
pub const INVALID_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\xfe\xff",
    b"\xc3",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\x80",
    b"\xe2\x82",
];

/// Every field name of the REST bodies (all routes), so that generated objects
/// often hit known fields.
pub const FIELDS: &[&str] = &[
    "title",
    "body",
    "visibility",
    "display_name",
    "bio",
    "avatar_url",
    "location",
    "website",
    "username",
    "email",
    "password",
    "password1",
    "password2",
    "refresh",
    "all_sessions",
    "old_password",
    "new_password1",
    "new_password2",
];

const JUNK_KEYS: &[&str] = &[
    "",
    "x",
    "id",
    "owner_id",
    "is_staff",
    "__proto__",
    "constructor",
    "Title",
    "title ",
    "ti\u{0}tle",
    "$where",
    "user.is_staff",
];

/// A nasty string: the fixed list, arbitrary Unicode, or a mix.
pub fn nasty_string() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => select(NASTY).prop_map(str::to_string),
        2 => any::<String>(),
        2 => vec(any::<char>(), 0..48).prop_map(String::from_iter),
        2 => "[a-zA-Z0-9 %_\\\\'\";<>/&*=()-]{0,40}",
        1 => (select(NASTY), select(NASTY), "[a-z ]{0,8}")
            .prop_map(|(a, b, c)| format!("{a}{c}{b}")),
    ]
}

/// JSON text as a tree that may hold duplicate keys and numbers no type holds.
#[derive(Clone, Debug)]
pub enum J {
    Null,
    Bool(bool),
    /// A number, written as is.
    Num(String),
    Str(String),
    /// A string written with these (already escaped) contents.
    Escaped(String),
    Arr(Vec<J>),
    /// Pairs in order; keys may repeat.
    Obj(Vec<(String, J)>),
}

impl J {
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            J::Num(n) => out.push_str(n),
            J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
            J::Escaped(e) => {
                let _ = write!(out, "\"{e}\"");
            }
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            J::Obj(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// Nesting depth of arrays and objects (a scalar is 0).
    pub fn depth(&self) -> usize {
        match self {
            J::Arr(items) => 1 + items.iter().map(J::depth).max().unwrap_or(0),
            J::Obj(pairs) => 1 + pairs.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// A string escape that is not text (a lone surrogate) anywhere inside.
    pub fn has_odd_escape(&self) -> bool {
        match self {
            J::Escaped(e) => {
                e.contains("\\ud800") || e.contains("\\udfff") || e.contains("\\udc00")
            }
            J::Arr(items) => items.iter().any(J::has_odd_escape),
            J::Obj(pairs) => pairs.iter().any(|(_, v)| v.has_odd_escape()),
            _ => false,
        }
    }

    /// An object with a repeated key anywhere inside.
    pub fn has_duplicate_keys(&self) -> bool {
        match self {
            J::Arr(items) => items.iter().any(J::has_duplicate_keys),
            J::Obj(pairs) => {
                let mut seen = std::collections::BTreeSet::new();
                pairs.iter().any(|(k, _)| !seen.insert(k.as_str()))
                    || pairs.iter().any(|(_, v)| v.has_duplicate_keys())
            }
            _ => false,
        }
    }

    /// A number no 64-bit type holds anywhere inside (parsers may refuse them).
    pub fn has_big_number(&self) -> bool {
        match self {
            J::Num(n) => BIG_NUMBERS.contains(&n.as_str()),
            J::Arr(items) => items.iter().any(J::has_big_number),
            J::Obj(pairs) => pairs.iter().any(|(_, v)| v.has_big_number()),
            _ => false,
        }
    }

    /// The JSON type name of a value (as in an OpenAPI schema).
    pub fn type_name(&self) -> &'static str {
        match self {
            J::Null => "null",
            J::Bool(_) => "boolean",
            J::Num(_) => "number",
            J::Str(_) | J::Escaped(_) => "string",
            J::Arr(_) => "array",
            J::Obj(_) => "object",
        }
    }

    /// The text of a string value (escapes decoded), if it is one.
    pub fn text(&self) -> Option<String> {
        match self {
            J::Str(s) => Some(s.clone()),
            J::Escaped(e) => serde_json::from_str::<String>(&format!("\"{e}\"")).ok(),
            _ => None,
        }
    }

    /// `value` inside `depth` levels of arrays (`arrays`) or `{"a": ...}` objects.
    pub fn nested(value: J, depth: usize, arrays: bool) -> J {
        (0..depth).fold(value, |inner, _| {
            if arrays {
                J::Arr(vec![inner])
            } else {
                J::Obj(vec![("a".into(), inner)])
            }
        })
    }
}

fn number() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(|n| n.to_string())),
        select(BIG_NUMBERS).prop_map(str::to_string),
    ]
}

/// A JSON scalar.
pub fn json_leaf() -> impl Strategy<Value = J> + Clone {
    prop_oneof![
        1 => Just(J::Null),
        1 => any::<bool>().prop_map(J::Bool),
        3 => number().prop_map(J::Num),
        4 => nasty_string().prop_map(J::Str),
        1 => select(ESCAPES).prop_map(|e| J::Escaped(e.to_string())),
    ]
}

/// An object key: usually a known field (so duplicates happen), else junk.
pub fn key() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => select(FIELDS).prop_map(str::to_string),
        1 => select(JUNK_KEYS).prop_map(str::to_string),
        1 => nasty_string(),
    ]
}

/// Any JSON value, a few levels deep.
pub fn json_value() -> impl Strategy<Value = J> + Clone {
    json_leaf().prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(J::Arr),
            vec((key(), inner), 0..5).prop_map(J::Obj),
        ]
    })
}

/// A value that could pass validation for a field of that name.
fn plausible(key: &str) -> BoxedStrategy<J> {
    let s = |st: BoxedStrategy<String>| st.prop_map(J::Str).boxed();
    match key {
        "title" => s("[A-Za-z0-9 ]{1,30}".boxed()),
        "visibility" => s(select(&["public", "private"][..])
            .prop_map(str::to_string)
            .boxed()),
        "username" => s("[a-z][a-z0-9_]{3,12}".boxed()),
        "email" => s("[a-z]{3,10}@example\\.com".boxed()),
        "avatar_url" | "website" => s(select(
            &["https://example.com/a.png", "http://localhost/x", ""][..],
        )
        .prop_map(str::to_string)
        .boxed()),
        "all_sessions" => any::<bool>().prop_map(J::Bool).boxed(),
        "password" | "password1" | "password2" | "old_password" | "new_password1"
        | "new_password2" => s(select(&["correct-horse-battery", "12345678", "short"][..])
            .prop_map(str::to_string)
            .boxed()),
        _ => s(nasty_string().boxed()),
    }
}

/// A top-level object: known fields with plausible or arbitrary values, junk
/// keys, sometimes the same key twice.
pub fn json_object() -> impl Strategy<Value = J> + Clone {
    vec(
        key().prop_flat_map(|k| {
            let value = prop_oneof![3 => plausible(&k), 2 => json_value()];
            (Just(k), value)
        }),
        0..7,
    )
    .prop_map(J::Obj)
}

/// A JSON document: mostly objects, sometimes anything, sometimes nested deep.
pub fn json_document() -> impl Strategy<Value = J> + Clone {
    prop_oneof![
        6 => json_object(),
        2 => json_value(),
        2 => (json_object(), 1usize..=80, any::<bool>())
            .prop_map(|(inner, depth, arrays)| J::nested(inner, depth, arrays)),
    ]
}
