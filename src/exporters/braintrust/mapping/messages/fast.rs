//! Fast path for the common recorded shapes: a chat message whose `content`
//! is text (or absent) with function tool calls, and a choice event around
//! one. They are read straight into borrowed structs and written in chat
//! format, skipping the `serde_json::Value` tree and the
//! [message model](crate::telemetry::Message) round trip, which together were
//! about half of `span_to_row` (callgrind: 21k of 60k instructions per chat
//! span for the round trip, most of the parse in building `Value` maps).
//!
//! Both writers of a row use it: [`wire_message`] and [`choice_event`]
//! build values for [`span_to_row`](super::super::span_to_row), and
//! [`write_wire_message`] and [`FastChoice::write`] write the same JSON
//! straight to bytes for the native exporter. Bodies are read by the
//! [`scan`] reader when it can, else by serde.
//!
//! Same output as the general path by construction: any field or shape the
//! structs below do not accept exactly (an unknown key, a content array, a
//! `tool` role, a duplicate key, a number where text is expected) makes them
//! fail, and the caller takes the general path. `mapping` tests pin both.

use std::borrow::Cow;

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value as Json};

mod scan;

use super::super::write::json::{is_canonical_json, write_i64, write_str};

/// `T` read from a JSON object only: serde's derived structs also accept an
/// array (fields by position), which the general path treats as "not a
/// message".
struct Obj<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Obj)
    }
}

/// A chat message the general path would rebuild without change of meaning.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMessage<'a> {
    #[serde(borrow, default)]
    role: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    /// Text only: a content array (items to normalize) takes the general path.
    #[serde(borrow, default)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tool_calls: Option<Vec<Obj<WireToolCall<'a>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireToolCall<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    function: Option<Obj<WireFunction<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFunction<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    /// `null` arguments are a value here (they become `"null"`), unlike a
    /// missing key (`"{}"`), so `Option`'s null-is-none does not apply.
    #[serde(borrow, default, deserialize_with = "present")]
    /// The value's JSON text, unchecked when [`scan`] read it (so
    /// [`arguments_text`] parses it before use).
    arguments: Option<&'a str>,
}

fn present<'de, D>(deserializer: D) -> Result<Option<&'de str>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    <&RawValue>::deserialize(deserializer).map(|raw| Some(raw.get()))
}

/// `text` read as a wire message: by [`scan`] when it can, else by serde.
fn read_message(text: &str) -> Option<WireMessage<'_>> {
    scan::wire_message(text).or_else(|| {
        let Obj(message): Obj<WireMessage> = serde_json::from_str(text).ok()?;
        Some(message)
    })
}

/// `text` read as a choice event body: by [`scan`] when it can, else by serde.
fn read_choice(text: &str) -> Option<ChoiceBody<'_>> {
    content_free_choice(text)
        .or_else(|| scan::choice(text))
        .or_else(|| {
            let Obj(body): Obj<ChoiceBody> = serde_json::from_str(text).ok()?;
            Some(body)
        })
}

/// A choice event body; keys other than these are ignored, as on the
/// general path.
#[derive(Deserialize)]
struct ChoiceBody<'a> {
    #[serde(default)]
    index: Option<i64>,
    #[serde(borrow, default)]
    finish_reason: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Obj<WireMessage<'a>>>,
}

/// `text` (a recorded wire message) in chat format, or `None` when it needs
/// the general path.
pub(super) fn wire_message(text: &str, default_role: &str) -> Option<Json> {
    let message = read_message(text)?;
    message.into_chat(default_role)
}

/// `(index, choice)` of a choice event body, or `None` when it needs the
/// general path.
pub(super) fn choice_event(text: &str, position: usize) -> Option<(i64, Map<String, Json>)> {
    let body = read_choice(text)?;
    let index = body.index.unwrap_or(position as i64);
    let message = match body.message {
        Some(Obj(message)) => message.into_chat("assistant")?,
        None => {
            let mut out = Map::new();
            out.insert("role".to_owned(), Json::from("assistant"));
            Json::Object(out)
        }
    };
    let finish_reason = body
        .finish_reason
        .map_or(Json::Null, |r| r.into_owned().into());
    Some((index, super::choice(index, finish_reason, message)))
}

impl WireMessage<'_> {
    fn into_chat(self, default_role: &str) -> Option<Json> {
        let role = self.role.unwrap_or(Cow::Borrowed(default_role));
        // A tool message's content is a tool result: the general path.
        if role == "tool" {
            return None;
        }
        let mut out = Map::new();
        if let Some(calls) = self.tool_calls.filter(|c| !c.is_empty()) {
            let calls = calls
                .into_iter()
                .map(|Obj(call)| call.into_chat())
                .collect::<Option<Vec<Json>>>()?;
            out.insert("tool_calls".to_owned(), Json::Array(calls));
        }
        out.insert("role".to_owned(), role.into_owned().into());
        if let Some(name) = self.name {
            out.insert("name".to_owned(), name.into_owned().into());
        }
        if let Some(content) = self.content {
            out.insert("content".to_owned(), content.into_owned().into());
        }
        if let Some(reasoning) = self.reasoning_content.filter(|r| !r.is_empty()) {
            out.insert(
                "reasoning_content".to_owned(),
                reasoning.into_owned().into(),
            );
        }
        Some(Json::Object(out))
    }
}

impl WireToolCall<'_> {
    fn into_chat(self) -> Option<Json> {
        let mut out = Map::new();
        if let Some(id) = self.id {
            out.insert("id".to_owned(), id.into_owned().into());
        }
        let kind = self.kind.map_or(Cow::Borrowed("function"), |k| k);
        out.insert("type".to_owned(), kind.into_owned().into());
        if let Some(Obj(function)) = self.function
            && (function.name.is_some() || function.arguments.is_some())
        {
            let mut f = Map::new();
            f.insert(
                "name".to_owned(),
                function.name.map_or(Json::Null, |n| n.into_owned().into()),
            );
            let arguments = match function.arguments {
                Some(raw) => Json::String(arguments_text(raw)?),
                None => Json::from("{}"),
            };
            f.insert("arguments".to_owned(), arguments);
            out.insert("function".to_owned(), Json::Object(f));
        }
        Some(Json::Object(out))
    }
}

/// Tool-call arguments as the general path writes them: text that is JSON
/// becomes its compact form (a JSON string its content), other text stays;
/// a non-text value becomes its compact JSON text.
fn arguments_text(raw: &str) -> Option<String> {
    if raw.starts_with('"') {
        // Borrowing fails (with a formatted error) on escapes: ask first.
        let text: Cow<str> = if raw.contains('\\') {
            Cow::Owned(serde_json::from_str::<String>(raw).ok()?)
        } else {
            Cow::Borrowed(serde_json::from_str::<&str>(raw).ok()?)
        };
        if is_canonical_json(&text) && !text.starts_with('"') {
            return Some(text.into_owned());
        }
        Some(match serde_json::from_str::<Json>(&text) {
            Ok(Json::String(inner)) => inner,
            Ok(other) => compact(&other)?,
            Err(_) => text.into_owned(),
        })
    } else {
        let value: Json = serde_json::from_str(raw).ok()?;
        compact(&value)
    }
}

/// `value.to_string()` without the `fmt` machinery (same bytes).
fn compact(value: &Json) -> Option<String> {
    serde_json::to_string(value).ok()
}

// ------------------------------------------------ straight to JSON bytes

/// `text` (a recorded wire message) written in chat format to `out`;
/// `false` when it needs the general path (`out` may then hold a partial
/// message: the caller cuts it off).
pub(in crate::exporters::braintrust::mapping) fn write_wire_message(
    text: &str,
    default_role: &str,
    out: &mut Vec<u8>,
) -> bool {
    read_message(text).is_some_and(|message| message.write_chat(default_role, out))
}

/// A choice event body read the fast way, to be written by [`FastChoice::write`].
pub(in crate::exporters::braintrust::mapping) struct FastChoice<'a> {
    /// The choice's `index`, else its position among the choice events.
    pub(in crate::exporters::braintrust::mapping) index: i64,
    finish_reason: Option<Cow<'a, str>>,
    message: Option<WireMessage<'a>>,
}

/// A choice event body, or `None` when it needs the general path.
pub(in crate::exporters::braintrust::mapping) fn parse_choice(
    text: &str,
    position: usize,
) -> Option<FastChoice<'_>> {
    let body = read_choice(text)?;
    Some(FastChoice {
        index: body.index.unwrap_or(position as i64),
        finish_reason: body.finish_reason,
        message: body.message.map(|Obj(m)| m),
    })
}

/// The content-free body the instrumentation writes directly
/// (`{"finish_reason":"stop","index":0}`, see `telemetry::content::choice_event`),
/// read without the JSON parser (about 1.1k instructions per span of the
/// 12k the default chat span's row cost, callgrind); any other text: `None`.
fn content_free_choice(text: &str) -> Option<ChoiceBody<'_>> {
    let rest = text.strip_prefix(r#"{"finish_reason":""#)?;
    let (reason, rest) = rest.split_once('"')?;
    let digits = rest.strip_prefix(r#","index":"#)?.strip_suffix('}')?;
    let plain = |b: u8| b >= 0x20 && b != b'\\';
    if !reason.bytes().all(plain)
        || digits.is_empty()
        || digits.len() > 18
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    Some(ChoiceBody {
        index: Some(digits.parse().ok()?),
        finish_reason: Some(Cow::Borrowed(reason)),
        message: None,
    })
}

impl FastChoice<'_> {
    /// The choice as [`choice_event`] builds it, keys in the order
    /// `serde_json`'s map writes them; `false` when the message needs the
    /// general path (`out` is then to be cut off by the caller).
    pub(in crate::exporters::braintrust::mapping) fn write(&self, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(br#"{"finish_reason":"#);
        match &self.finish_reason {
            Some(reason) => write_str(out, reason),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(br#","index":"#);
        write_i64(out, self.index);
        out.extend_from_slice(br#","message":"#);
        let written = match &self.message {
            Some(message) => message.write_chat("assistant", out),
            None => {
                out.extend_from_slice(br#"{"role":"assistant"}"#);
                true
            }
        };
        out.push(b'}');
        written
    }
}

impl WireMessage<'_> {
    /// [`WireMessage::into_chat`]'s object, written (keys sorted, as
    /// `serde_json`'s map writes them); `false`: the general path.
    fn write_chat(&self, default_role: &str, out: &mut Vec<u8>) -> bool {
        let role = self.role.as_deref().unwrap_or(default_role);
        if role == "tool" {
            return false;
        }
        out.push(b'{');
        let mut comma = false;
        let mut key = |out: &mut Vec<u8>, key: &[u8]| {
            if comma {
                out.push(b',');
            }
            comma = true;
            out.extend_from_slice(key);
        };
        if let Some(content) = &self.content {
            key(out, br#""content":"#);
            write_str(out, content);
        }
        if let Some(name) = &self.name {
            key(out, br#""name":"#);
            write_str(out, name);
        }
        if let Some(reasoning) = self.reasoning_content.as_deref().filter(|r| !r.is_empty()) {
            key(out, br#""reasoning_content":"#);
            write_str(out, reasoning);
        }
        key(out, br#""role":"#);
        write_str(out, role);
        if let Some(calls) = self.tool_calls.as_ref().filter(|c| !c.is_empty()) {
            key(out, br#""tool_calls":["#);
            for (i, Obj(call)) in calls.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if !call.write_chat(out) {
                    return false;
                }
            }
            out.push(b']');
        }
        out.push(b'}');
        true
    }
}

impl WireToolCall<'_> {
    /// [`WireToolCall::into_chat`]'s object, written.
    fn write_chat(&self, out: &mut Vec<u8>) -> bool {
        out.push(b'{');
        if let Some(Obj(function)) = &self.function
            && (function.name.is_some() || function.arguments.is_some())
        {
            out.extend_from_slice(br#""function":{"arguments":"#);
            match function.arguments {
                Some(raw) => match arguments_text(raw) {
                    Some(text) => write_str(out, &text),
                    None => return false,
                },
                None => out.extend_from_slice(br#""{}""#),
            }
            out.extend_from_slice(br#","name":"#);
            match &function.name {
                Some(name) => write_str(out, name),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b"},");
        }
        if let Some(id) = &self.id {
            out.extend_from_slice(br#""id":"#);
            write_str(out, id);
            out.push(b',');
        }
        out.extend_from_slice(br#""type":"#);
        write_str(out, self.kind.as_deref().unwrap_or("function"));
        out.push(b'}');
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalize_chat_message;
    use super::*;

    /// The fast path either declines or writes what the general path writes.
    fn same_as_general(text: &str, role: &str) -> bool {
        let general = match serde_json::from_str::<Json>(text) {
            Ok(message) => normalize_chat_message(message, role),
            Err(_) => Json::String(text.to_owned()),
        };
        wire_message(text, role).is_none_or(|fast| fast == general)
    }

    #[test]
    fn fast_messages_match_the_general_path() {
        let cases = [
            r#"{"role":"user","content":"hi"}"#,
            r#"{"content":"hi"}"#,
            r#"{"role":"user","content":"tab\t\u00e9"}"#,
            r#"{"role":"user","content":null,"name":"ann"}"#,
            r#"{"role":"assistant","content":"","reasoning_content":""}"#,
            r#"{"role":"assistant","reasoning_content":"think"}"#,
            r#"{"role":"assistant","tool_calls":[]}"#,
            r#"{"role":"assistant","tool_calls":null}"#,
            r#"{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{ \"b\" : 1, \"a\": [1.0] }"}}]}"#,
            r#"{"role":"assistant","tool_calls":[{"function":{"arguments":null}}]}"#,
            r#"{"role":"assistant","tool_calls":[{"function":{"name":"f"}}]}"#,
            r#"{"role":"assistant","tool_calls":[{"id":null,"function":null}]}"#,
            r#"{"role":"assistant","tool_calls":[{"function":{"arguments":"not json"}}]}"#,
            r#"{"role":"assistant","tool_calls":[{"function":{"arguments":"\"quoted\""}}]}"#,
            r#"{"role":"assistant","tool_calls":[{"function":{"arguments":{"z":1,"a":2}}}]}"#,
            r#"{"role":"tool","tool_call_id":"c1","content":"21"}"#,
            r#"{"role":"user","content":[{"type":"text","text":"hi"}]}"#,
            r#"{"role":5,"content":"hi"}"#,
            r#"{"role":"user","role":"system","content":"hi"}"#,
            r#"{"role":"user","extra":1}"#,
            r#"[1]"#,
            r#"["user","ann","hi"]"#,
            r#"{"role":"assistant","tool_calls":[["c1","function"]]}"#,
            r#"{"role":"assistant","tool_calls":[{"function":["f","{}"]}]}"#,
            r#"{"role":"assistant","tool_calls":[1]}"#,
            "not json",
            // Read by the scanner, or refused by it for serde.
            " { \"role\" : \"user\" , \"content\" : \"hi\" } ",
            r#"{"role":"user","content":"hi"} x"#,
            r#"{"role":"user","content":"a\"b"}"#,
            r#"{"role":"user","content":"\u00e9"}"#,
            r#"{"\u0072ole":"user"}"#,
            r#"{"role":"user","content":"hi",}"#,
            r#"{"role":"user" "content":"hi"}"#,
            r#"{"role":null,"name":null,"content":null,"reasoning_content":null,"tool_calls":null}"#,
            r#"{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\":[1,{\"y\":null}]}"}}]}"#,
            r#"{"tool_calls":[{"function":{"arguments":{"b":[1,2.5e3,"s\"}"],"a":{}}}}]}"#,
            r#"{"tool_calls":[{"function":{"arguments":{"a":tru}}}]}"#,
            r#"{"tool_calls":[{"function":{"arguments":[1,2}}}]}"#,
            r#"{"tool_calls":[{"function":{"arguments":"{\"b\":1,\"a\":2}"}}]}"#,
            r#"{"tool_calls":[{"function":{"name":"f","name":"g"}}]}"#,
            r#"{"tool_calls":[{"function":{"arguments":"x","arguments":"y"}}]}"#,
            r#"{"tool_calls":[{"function":{"arguments":12 34}}]}"#,
            r#"{"tool_calls":[ ]}"#,
            r#"{"role":"user","content":"tab	here"}"#,
        ];
        for case in cases {
            for role in ["user", "system"] {
                assert!(same_as_general(case, role), "{case} as {role}");
            }
        }
        assert!(wire_message(cases[0], "user").is_some());
        assert!(wire_message(cases[8], "user").is_some());
        assert!(wire_message(cases[15], "user").is_none());
    }

    #[test]
    fn fast_choices_match_the_general_path() {
        let cases = [
            r#"{"index":0,"finish_reason":"stop","message":{"content":"hi"}}"#,
            r#"{"index":2,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}}"#,
            r#"{"finish_reason":null,"message":null}"#,
            r#"{"finish_reason":"stop"}"#,
            r#"{"index":1.5,"finish_reason":"stop"}"#,
            r#"{"finish_reason":["odd"]}"#,
            r#"{"message":"text","other":1}"#,
            r#"{"message":{"role":"tool","content":"x"}}"#,
            r#"[0,"stop",null]"#,
            r#"{"message":["user","hi"]}"#,
            r#" { "index" : 3 , "finish_reason" : "stop" , "message" : null } "#,
            r#"{"index":-1,"finish_reason":"stop"}"#,
            r#"{"index":01,"finish_reason":"stop"}"#,
            r#"{"index":1e2,"finish_reason":"stop"}"#,
            r#"{"index":1,"index":2}"#,
            r#"{"index":null,"message":{"content":"x","tool_calls":[{"id":"c","function":{"arguments":null}}]}}"#,
            r#"{"finish_reason":"stop","extra":[1,2]}"#,
        ];
        for case in cases {
            let general = super::super::choice_from_event(
                serde_json::from_str(case).unwrap_or(Json::Null),
                3,
            );
            if let Some(fast) = choice_event(case, 3) {
                assert_eq!(fast, general, "{case}");
            }
        }
        assert!(choice_event(cases[0], 0).is_some());
        assert!(choice_event(cases[1], 0).is_some());
    }
}
