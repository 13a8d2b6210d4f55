//! Strings every call repeats (span names, model names), kept once per
//! process so that a span carries `&'static str`s instead of fresh copies.
//!
//! Why: a span's strings are freed by the exporter's thread, so each one
//! the calling thread allocated leaves that thread's allocator cache empty
//! for its size, and the next allocation of that size takes glibc's slow
//! path (about 270 instructions each, callgrind). With the SDK installed,
//! the span name (`chat {model}`), the request model and the response model
//! were three such allocations per whole chat call (`.ci/bench --callgrind
//! telemetry:chat`); from this table they cost a read lock and a comparison
//! or two.
//!
//! Bounded: at most [`MAX_INTERNED`] strings of at most [`MAX_INTERNED_LEN`]
//! bytes are ever kept (about 16 KiB); past that, callers allocate as before.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use opentelemetry::StringValue;

use super::record::Operation;

/// The most strings the process keeps.
pub(crate) const MAX_INTERNED: usize = 64;

/// The longest string kept, in bytes.
pub(crate) const MAX_INTERNED_LEN: usize = 256;

static TABLE: RwLock<Vec<&'static str>> = RwLock::new(Vec::new());

/// Whether `s` is the concatenation of `parts`.
fn is_concat(s: &str, parts: &[&str], len: usize) -> bool {
    if s.len() != len {
        return false;
    }
    let mut rest = s;
    for part in parts {
        match rest.strip_prefix(part) {
            Some(tail) => rest = tail,
            None => return false,
        }
    }
    true
}

/// The process's copy of the concatenation of `parts`, made on first use;
/// `None` when it is too long or the table is full.
pub(crate) fn intern(parts: &[&str]) -> Option<&'static str> {
    intern_in(&TABLE, parts)
}

fn intern_in(table: &RwLock<Vec<&'static str>>, parts: &[&str]) -> Option<&'static str> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if len > MAX_INTERNED_LEN {
        return None;
    }
    // A poisoned lock only means another thread panicked while holding it;
    // the table is only ever pushed to, so it is consistent.
    {
        let table = table.read().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = table.iter().find(|s| is_concat(s, parts, len)) {
            return Some(s);
        }
        if table.len() >= MAX_INTERNED {
            return None;
        }
    }
    let mut table = table.write().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = table.iter().find(|s| is_concat(s, parts, len)) {
        return Some(s);
    }
    if table.len() >= MAX_INTERNED {
        return None;
    }
    let s: &'static str = Box::leak(parts.concat().into_boxed_str());
    table.push(s);
    Some(s)
}

/// The span name (`{operation} {model}`) and the request model: the
/// process's copies ([`intern`]) when the table holds them, else fresh ones.
pub(crate) fn span_name(
    operation: Operation,
    model: Option<&str>,
) -> (Cow<'static, str>, Option<StringValue>) {
    let op = operation.name();
    let Some(model) = model else {
        return (op.into(), None);
    };
    if let Some(name) = intern(&[op, " ", model]) {
        // `name` is `{op} {model}`: its tail is the model, static too.
        let model: &'static str = name.get(op.len() + 1..).unwrap_or_default();
        return (name.into(), Some(StringValue::from(model)));
    }
    // Pushed, not `format!`ed: the formatting machinery cost about 750
    // instructions per span (callgrind), this about 100.
    let mut name = String::with_capacity(op.len() + 1 + model.len());
    name.push_str(op);
    name.push(' ');
    name.push_str(model);
    (
        name.into(),
        Some(StringValue::from(Arc::<str>::from(model))),
    )
}

/// The usual finish reasons as static strings: no allocation per choice.
pub(crate) fn finish_reason_value(reason: &str) -> StringValue {
    match reason {
        "stop" => "stop".into(),
        "length" => "length".into(),
        "tool_calls" => "tool_calls".into(),
        "content_filter" => "content_filter".into(),
        "error" => "error".into(),
        other => other.to_owned().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_parts_give_the_same_string() {
        let table = RwLock::new(Vec::new());
        let a = intern_in(&table, &["chat", " ", "intern-test-model"]).unwrap();
        let b = intern_in(&table, &["chat ", "intern-test-model"]).unwrap();
        assert_eq!(a, "chat intern-test-model");
        assert!(std::ptr::eq(a, b), "one copy per table");
        let bare = intern_in(&table, &["intern-test-model"]).unwrap();
        assert_eq!(bare, "intern-test-model");
        assert!(!is_concat("chat x", &["chat", "y"], 6));
        assert!(!is_concat("chat xy", &["chat", " x"], 6));
    }

    #[test]
    fn a_full_table_keeps_what_it_has_and_takes_nothing_more() {
        let table = RwLock::new(Vec::new());
        let names: Vec<String> = (0..=MAX_INTERNED).map(|i| format!("m-{i}")).collect();
        for name in &names[..MAX_INTERNED] {
            assert_eq!(intern_in(&table, &[name]), Some(name.as_str()));
        }
        assert_eq!(intern_in(&table, &[&names[MAX_INTERNED]]), None);
        assert_eq!(intern_in(&table, &["m-0"]), Some("m-0"));
        assert_eq!(table.read().unwrap().len(), MAX_INTERNED);
    }

    #[test]
    fn span_names_with_and_without_the_table() {
        let (name, model) = span_name(Operation::Chat, Some("span-name-test"));
        assert_eq!(name, "chat span-name-test");
        assert_eq!(model.unwrap().as_str(), "span-name-test");
        let long = "m".repeat(MAX_INTERNED_LEN);
        let (name, model) = span_name(Operation::Embeddings, Some(&long));
        assert!(matches!(name, Cow::Owned(_)), "too long for the table");
        assert_eq!(name, format!("embeddings {long}"));
        assert_eq!(model.unwrap().as_str(), long);
        let (name, model) = span_name(Operation::Chat, None);
        assert_eq!((name.as_ref(), model), ("chat", None));
    }

    #[test]
    fn long_strings_are_not_kept() {
        let table = RwLock::new(Vec::new());
        let long = "m".repeat(MAX_INTERNED_LEN + 1);
        assert_eq!(intern_in(&table, &[&long]), None);
        assert!(intern_in(&table, &[&long[..MAX_INTERNED_LEN]]).is_some());
    }
}
