//! Emoji for reactions, each with the verdict of the contract's rule: "one
//! grapheme cluster of at most 16 bytes containing no whitespace or control
//! character". Hand-picked clusters (multi-code-point ones that are valid, ZWJ
//! families over 16 bytes, flags, keycaps, combining marks just under and over
//! the limit, whitespace, controls, NUL, two clusters) and generated text.
//!
//! The verdict of a generated string follows the rule read literally: Unicode's
//! extended grapheme clusters (UAX #29), `White_Space` for whitespace, the `Cc`
//! category for control characters. The hand-picked lists carry their verdicts
//! as written here, and a fixed check makes sure the rule agrees with them.

use proptest::{collection::vec, prelude::*, sample::select};
use unicode_segmentation::UnicodeSegmentation;

use super::strategies::nasty_string;

/// The implementation's message for text that is not one emoji (the contract
/// fixes only the field; the wording is the server's, kept in one place).
pub const NOT_ONE_EMOJI: &str = "Enter a single emoji: one character (grapheme cluster) of at most \
     16 bytes, without whitespace or control characters.";
pub const BLANK: &str = "This field may not be blank.";
pub const NUL: &str = "Null characters are not allowed.";
pub const REQUIRED: &str = "This field is required.";
pub const NOT_NULL: &str = "This field may not be null.";
pub const NOT_A_STRING: &str = "Not a valid string.";

/// One grapheme cluster each, at most 16 bytes, no whitespace or control.
pub const VALID: &[&str] = &[
    "👍",
    "👍🏽", // skin-tone modifier: 8 bytes
    "🇫🇷", // two regional indicators
    "👩‍💻", // ZWJ sequence: 11 bytes
    "❤️", // variation selector
    "🏳️‍🌈", // 14 bytes
    "🧑🏽‍🚀", // 15 bytes
    "#️⃣", // keycap
    "😀",
    "🎉",
    "🔥",
    "🫠",
    "a",
    "Z",
    "7",
    "é",        // precomposed
    "e\u{301}", // decomposed: another emoji than "é"
    "字",
    "Ω",
    "각",
    "\u{1100}\u{1161}\u{11a8}", // conjoining jamo: one syllable
    "🇫",                        // a lone regional indicator
    "/",
    "%",
    "?",
    "'",
    "\\",
    "+",
    "\u{1f3fb}",                                          // a lone skin-tone modifier
    "e\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}", // 15 bytes
];

/// Not one emoji, with the messages the server may give.
pub const INVALID: &[&str] = &[
    "👍👍",
    "ab",
    "👍a",
    "a👍",
    "🇫🇷🇫🇷",
    "12",
    "❤️❤️",
    "👨‍👩‍👧",                                                        // one cluster, 18 bytes
    "👨‍👩‍👧‍👦",                                                        // 25 bytes
    "👁️‍🗨️",                                                        // 17 bytes
    "🧑‍🤝‍🧑",                                                        // 18 bytes
    "🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}",  // a tag flag, 28 bytes
    "e\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}", // 17 bytes
    " ",
    "\t",
    "\n",
    "\r\n", // one cluster, whitespace and control
    "\u{a0}",
    "\u{3000}",
    "\u{2028}",
    "\u{85}",
    " 👍",
    "👍 ",
    " \u{301}", // a space with a combining mark: one cluster
    "\u{7}",
    "\u{1b}",
    "\u{7f}",
    "\u{9f}",
    "",
    "\u{0}",
    "👍\u{0}",
    "thumbs up",
    ":+1:",
    "👍🏽👍🏽",
];

/// How the server must answer an emoji.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Valid,
    /// 400 `{"emoji": [one of these]}`.
    Invalid(Vec<&'static str>),
}

/// The contract's rule, read literally.
pub fn verdict(s: &str) -> Verdict {
    if s.contains('\0') {
        // NUL is refused everywhere; the rule's message also fits.
        return Verdict::Invalid(vec![NUL, NOT_ONE_EMOJI]);
    }
    if s.is_empty() {
        return Verdict::Invalid(vec![BLANK, NOT_ONE_EMOJI]);
    }
    let one = s.graphemes(true).count() == 1;
    let clean = !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if one && clean && s.len() <= 16 {
        Verdict::Valid
    } else {
        Verdict::Invalid(vec![NOT_ONE_EMOJI])
    }
}

/// An emoji as sent, and what the hand list or the rule says of it.
#[derive(Clone, Debug)]
pub struct Emoji {
    pub text: String,
    pub verdict: Verdict,
}

fn labelled(text: String) -> Emoji {
    let verdict = verdict(&text);
    Emoji { text, verdict }
}

/// Text made only of dots would be a `.`/`..` path segment (the URL is
/// normalised before it is sent): left out.
fn not_dots(s: &str) -> bool {
    s.is_empty() || !s.chars().all(|c| c == '.')
}

/// An emoji: mostly hand-picked (valid ones often, so that reactions pile
/// up), sometimes two glued together, a base with `n` combining marks around
/// the 16-byte limit, or generated text.
pub fn emoji() -> impl Strategy<Value = Emoji> + Clone {
    prop_oneof![
        8 => select(VALID).prop_map(|s| labelled(s.to_string())),
        4 => select(INVALID).prop_map(|s| labelled(s.to_string())),
        2 => (select(VALID), select(VALID)).prop_map(|(a, b)| labelled(format!("{a}{b}"))),
        2 => (select(&["e", "a", "👍", "ก"][..]), 0usize..10)
            .prop_map(|(base, n)| labelled(format!("{base}{}", "\u{301}".repeat(n)))),
        1 => (0usize..6).prop_map(|n| labelled(format!("👩{}", "\u{200d}💻".repeat(n)))),
        2 => vec(any::<char>(), 1..3).prop_map(|cs| labelled(String::from_iter(cs))),
        1 => nasty_string().prop_map(labelled),
    ]
    .prop_filter("not a dot segment", |e| not_dots(&e.text))
}

/// The hand lists agree with the rule (a mislabelled entry is this file's
/// mistake, not the server's).
pub fn self_check() {
    for s in VALID {
        assert_eq!(verdict(s), Verdict::Valid, "VALID holds {s:?}");
    }
    for s in INVALID {
        assert!(
            matches!(verdict(s), Verdict::Invalid(_)),
            "INVALID holds {s:?}"
        );
    }
}
