//! Search: every whitespace-separated term must be a case-insensitive substring
//! of at least one of the searched fields. Fields are searched through folded
//! (Unicode-lowercased) copies kept beside them, so that both databases fold
//! case the same way (SQLite's `LOWER()` knows only ASCII).

use sea_orm::{
    Condition,
    sea_query::{Expr, ExprTrait, IntoColumnRef, LikeExpr},
};

/// Search and filter text obeys the text rule: no NUL characters.
pub fn check(field: &str, value: Option<&str>) -> crate::error::Result<()> {
    match value {
        Some(v) if v.contains('\0') => Err(crate::error::AppError::field(
            field,
            crate::domain::input::NUL,
        )),
        _ => Ok(()),
    }
}

/// The form of a text that search compares.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// The condition for `query` over folded `columns`; `None` when there are no terms.
pub fn condition<C: IntoColumnRef + Clone>(
    query: Option<&str>,
    columns: &[C],
) -> Option<Condition> {
    let terms: Vec<&str> = query?.split_whitespace().collect();
    if terms.is_empty() {
        return None;
    }
    let mut all = Condition::all();
    for term in terms {
        let pattern = format!("%{}%", escape_like(&fold(term)));
        let mut any = Condition::any();
        for col in columns {
            any = any.add(Expr::col(col.clone()).like(LikeExpr::new(pattern.clone()).escape('\\')));
        }
        all = all.add(any);
    }
    Some(all)
}

/// Escapes LIKE's wildcards so a term matches itself literally.
fn escape_like(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
