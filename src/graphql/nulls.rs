//! An explicit `null` where the schema wants a value — `createCard(input:
//! {title: null})`, or the same through a variable — answers as every other
//! forbidden `null` does: `BAD_USER_INPUT` with `extensions.fields =
//! {"title": ["This field may not be null."]}`, the REST body's map.
//! async-graphql refuses such a value while validating, with a generic
//! "Invalid value for argument" message; this module recognises the
//! refusals whose value is `null` and reshapes them (`engine.rs` calls it
//! when the query text or its variables hold a `null` at all).

use async_graphql::{
    Pos, ServerError, Value, Variables,
    parser::types::{ExecutableDocument, Field, Selection, SelectionSet},
};

use crate::{domain::input::NOT_NULL, error::AppError};

/// Does the value hold a `null` anywhere?
pub fn holds_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::List(items) => items.iter().any(holds_null),
        Value::Object(map) => map.values().any(holds_null),
        _ => false,
    }
}

/// Every field of a selection set, nested ones included.
fn fields<'a>(set: &'a SelectionSet, out: &mut Vec<&'a Field>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                out.push(&f.node);
                fields(&f.node.selection_set.node, out);
            }
            Selection::InlineFragment(f) => fields(&f.node.selection_set.node, out),
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// The value of the argument named `name` whose name stands at `pos`, with
/// its variables substituted.
fn argument(doc: &ExecutableDocument, vars: &Variables, name: &str, pos: Pos) -> Option<Value> {
    let mut all = Vec::new();
    for (_, op) in doc.operations.iter() {
        fields(&op.node.selection_set.node, &mut all);
    }
    for fragment in doc.fragments.values() {
        fields(&fragment.node.selection_set.node, &mut all);
    }
    let (_, value) = all
        .into_iter()
        .flat_map(|f| f.arguments.iter())
        .find(|(n, _)| n.node.as_str() == name && n.pos == pos)?;
    value
        .node
        .clone()
        .into_const_with(|var| Ok::<_, ()>(vars.get(&var).cloned().unwrap_or(Value::Null)))
        .ok()
}

/// The error as a `null` refusal, when it refuses a `null`.
pub fn reshape(e: ServerError, doc: &ExecutableDocument, vars: &Variables) -> ServerError {
    let path = e
        .message
        .strip_prefix("Invalid value for argument \"")
        .and_then(|rest| rest.split_once('"'))
        .map(|(path, _)| path.to_string());
    let (Some(path), Some(pos)) = (path, e.locations.first().copied()) else {
        return e;
    };
    let mut segments = path.split('.');
    let Some(arg) = segments.next() else {
        return e;
    };
    let Some(mut value) = argument(doc, vars, arg, pos) else {
        return e;
    };
    let mut field = arg;
    for segment in segments {
        value = match (value, segment.parse::<usize>()) {
            (Value::Object(mut map), _) => map.shift_remove(segment).unwrap_or(Value::Null),
            (Value::List(mut items), Ok(i)) if i < items.len() => items.swap_remove(i),
            _ => return e,
        };
        field = segment;
    }
    if value != Value::Null {
        return e;
    }
    AppError::field(field, NOT_NULL)
        .into_graphql()
        .into_server_error(pos)
}
