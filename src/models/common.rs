//! Types shared by several operations: token usage, finish reasons, roles, and
//! the machinery for the spec's extensible string enums.

use serde::{Deserialize, Deserializer, Serialize};

/// Declares an extensible string enum (`modelAsString: true` in the spec).
///
/// Each known variant maps to one wire value (plus optional aliases accepted
/// when reading); any other string becomes `Other(String)` and is written back
/// unchanged, so a value added to the service later is never a parse error.
macro_rules! extensible_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:literal $(| $alias:literal)*
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )*
            /// A value this crate does not know, kept exactly as the wire had it.
            Other(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $value, )*
                    Self::Other(other) => other.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $value $(| $alias)* => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $( $value $(| $alias)* => Self::$variant, )*
                    _ => Self::Other(value),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl ::serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                    fn visit_string<E: ::serde::de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
    };
}
pub(crate) use extensible_enum;

/// Defines a serde `with` module for an optional or required string field
/// that travels as an object of one field (`{"id": ..}`, `{"url": ..}`):
/// the model holds the string, the wire the object.
macro_rules! one_field_object {
    ($module:ident, $key:ident) => {
        // Each object uses the required or the optional form.
        #[allow(dead_code)]
        pub(crate) mod $module {
            use serde::{Deserialize, Deserializer, Serialize, Serializer};

            #[derive(Serialize, Deserialize)]
            struct Object<T> {
                $key: T,
            }

            /// A required field.
            pub(crate) fn serialize<S: Serializer>(value: &str, s: S) -> Result<S::Ok, S::Error> {
                Object { $key: value }.serialize(s)
            }

            /// A required field.
            pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
                Ok(Object::<String>::deserialize(d)?.$key)
            }

            /// An optional field (with `default` and `skip_serializing_if`).
            pub(crate) mod option {
                use super::*;

                pub(crate) fn serialize<S: Serializer>(
                    value: &Option<String>,
                    s: S,
                ) -> Result<S::Ok, S::Error> {
                    value.as_ref().map(|v| Object { $key: v }).serialize(s)
                }

                pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
                    d: D,
                ) -> Result<Option<String>, D::Error> {
                    Ok(Option::<Object<String>>::deserialize(d)?.map(|o| o.$key))
                }
            }
        }
    };
}
one_field_object!(id_object, id);
one_field_object!(url_object, url);

/// Reads a value that services sometimes send as `null` as its default.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

extensible_enum! {
    /// Why a choice stopped generating (`finish_reason` on the wire).
    ///
    /// Unknown values (`"eos"`, `"function_call"`, ...) are kept as
    /// [`Other`](CompletionsFinishReason::Other) instead of failing the parse.
    pub enum CompletionsFinishReason {
        /// `"stop"`: the model ended normally or hit a stop sequence.
        Stop = "stop",
        /// `"length"`: the token limit was reached.
        Length = "length",
        /// `"content_filter"`: the content filter cut the output.
        ContentFilter = "content_filter",
        /// `"tool_calls"`: the model asked for tool calls.
        ToolCalls = "tool_calls",
    }
}

extensible_enum! {
    /// The author of a chat message (`role` on the wire).
    pub enum ChatRole {
        /// `"system"`: instructions that set the assistant's behavior.
        System = "system",
        /// `"developer"`: instructions prioritized ahead of user messages.
        Developer = "developer",
        /// `"user"`: input from the user.
        User = "user",
        /// `"assistant"`: output of the model.
        Assistant = "assistant",
        /// `"tool"`: the result of a tool call.
        Tool = "tool",
    }
}

impl Default for ChatRole {
    /// Response messages without a `role` come from the assistant.
    fn default() -> Self {
        ChatRole::Assistant
    }
}

/// Token counts for a chat completions call (`usage` on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionsUsage {
    /// `prompt_tokens`: tokens in the input messages.
    #[serde(default, deserialize_with = "null_as_default")]
    pub prompt_tokens: u64,
    /// `completion_tokens`: tokens generated across all choices.
    #[serde(default, deserialize_with = "null_as_default")]
    pub completion_tokens: u64,
    /// `total_tokens`: prompt plus completion tokens.
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_tokens: u64,
    /// `completion_tokens_details`: breakdown of the generated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionsUsageDetails>,
    /// `prompt_tokens_details`: breakdown of the prompt tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptUsageDetails>,
}

impl CompletionsUsage {
    /// Usage with the three counts; `total_tokens` is their sum.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        CompletionsUsage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens.saturating_add(completion_tokens),
            ..Default::default()
        }
    }

    /// `completion_tokens_details.reasoning_tokens`, when the service sent it.
    pub fn reasoning_tokens(&self) -> Option<u64> {
        self.completion_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
    }

    /// `prompt_tokens_details.cached_tokens`, when the service sent it.
    pub fn cached_tokens(&self) -> Option<u64> {
        self.prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
    }
}

impl From<&CompletionsUsage> for crate::telemetry::UsageRecord {
    /// The counts as the telemetry records them: the details only when the
    /// service sent them.
    fn from(u: &CompletionsUsage) -> Self {
        crate::telemetry::UsageRecord {
            input_tokens: Some(u.prompt_tokens),
            output_tokens: Some(u.completion_tokens),
            cache_read_input_tokens: u.cached_tokens(),
            reasoning_output_tokens: u.reasoning_tokens(),
        }
    }
}

/// Breakdown of generated tokens (`completion_tokens_details` on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionsUsageDetails {
    /// `audio_tokens`: generated audio tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    /// `reasoning_tokens`: tokens spent on reasoning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// `total_tokens`: all generated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tokens: Option<u64>,
    /// `accepted_prediction_tokens` (Azure OpenAI): predicted tokens that appeared in the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_prediction_tokens: Option<u64>,
    /// `rejected_prediction_tokens` (Azure OpenAI): predicted tokens that did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_prediction_tokens: Option<u64>,
}

/// Breakdown of prompt tokens (`prompt_tokens_details` on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptUsageDetails {
    /// `audio_tokens`: audio input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    /// `cached_tokens`: prompt tokens served from the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finish_reasons_known_and_unknown() {
        let known: Vec<CompletionsFinishReason> =
            serde_json::from_value(json!(["stop", "length", "content_filter", "tool_calls"]))
                .unwrap();
        assert_eq!(
            known,
            [
                CompletionsFinishReason::Stop,
                CompletionsFinishReason::Length,
                CompletionsFinishReason::ContentFilter,
                CompletionsFinishReason::ToolCalls,
            ]
        );
        let other: CompletionsFinishReason = serde_json::from_value(json!("eos")).unwrap();
        assert_eq!(other, CompletionsFinishReason::Other("eos".into()));
        assert_eq!(other.as_str(), "eos");
        assert_eq!(serde_json::to_value(&other).unwrap(), json!("eos"));
        assert_eq!(
            serde_json::to_value(CompletionsFinishReason::ToolCalls).unwrap(),
            json!("tool_calls")
        );
        assert_eq!(
            CompletionsFinishReason::ContentFilter.to_string(),
            "content_filter"
        );
        // Not a string at all is still an error.
        assert!(serde_json::from_value::<CompletionsFinishReason>(json!(3)).is_err());
    }

    #[test]
    fn null_finish_reason_is_none() {
        let r: Option<CompletionsFinishReason> = serde_json::from_value(json!(null)).unwrap();
        assert_eq!(r, None);
    }

    #[test]
    fn roles_round_trip() {
        for (role, wire) in [
            (ChatRole::System, "system"),
            (ChatRole::Developer, "developer"),
            (ChatRole::User, "user"),
            (ChatRole::Assistant, "assistant"),
            (ChatRole::Tool, "tool"),
            (ChatRole::Other("function".into()), "function"),
        ] {
            assert_eq!(serde_json::to_value(&role).unwrap(), json!(wire));
            assert_eq!(
                serde_json::from_value::<ChatRole>(json!(wire)).unwrap(),
                role
            );
        }
    }

    #[test]
    fn usage_with_details_and_gaps() {
        let u: CompletionsUsage = serde_json::from_value(json!({
            "prompt_tokens": 10,
            "completion_tokens": null,
            "total_tokens": 30,
            "completion_tokens_details": {"reasoning_tokens": 12, "audio_tokens": 0},
            "prompt_tokens_details": {"cached_tokens": 4},
            "something_new": true
        }))
        .unwrap();
        assert_eq!(u.prompt_tokens, 10);
        assert_eq!(u.completion_tokens, 0);
        assert_eq!(u.total_tokens, 30);
        assert_eq!(u.reasoning_tokens(), Some(12));
        assert_eq!(u.cached_tokens(), Some(4));
        assert_eq!(u.prompt_tokens_details.as_ref().unwrap().audio_tokens, None);

        let empty: CompletionsUsage = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, CompletionsUsage::default());
    }

    #[test]
    fn usage_record_takes_details_only_when_reported() {
        use crate::telemetry::UsageRecord;
        let plain = UsageRecord::from(&CompletionsUsage::new(3, 4));
        assert_eq!(plain, UsageRecord::new(Some(3), Some(4)));
        let u: CompletionsUsage = serde_json::from_value(json!({
            "prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30,
            "completion_tokens_details": {"reasoning_tokens": 12, "audio_tokens": 0, "total_tokens": 20},
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0}
        }))
        .unwrap();
        let record = UsageRecord::from(&u);
        // A reported 0 is kept: it says "nothing was cached", not "unknown".
        assert_eq!(record.cache_read_input_tokens, Some(0));
        assert_eq!(record.reasoning_output_tokens, Some(12));
    }

    #[test]
    fn usage_serializes_without_absent_details() {
        assert_eq!(
            serde_json::to_value(CompletionsUsage::new(3, 4)).unwrap(),
            json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7})
        );
    }
}
