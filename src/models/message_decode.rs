//! Reading a [`ChatRequestMessage`] (tagged by `role`) in one pass.
//!
//! serde's derive for an internally tagged enum copies every message into
//! an intermediate tree before it knows the variant, then reads the variant
//! from that copy: about 2,000 instructions per message, paid for every
//! message of every request the async-openai layer and the reqwest
//! middleware decode. Clients write `role` first (async-openai, the
//! official SDKs, this crate's own serialization), so the variant is known
//! after the first key and the rest of the object is read straight into it.
//! When `role` comes later the object is kept as JSON until it is found, as
//! serde does. Either way the variant's own derived `Deserialize` reads its
//! fields, so the errors are the derive's.

use std::fmt;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::chat::ChatRequestMessage;

/// The `role` values, the variants of [`ChatRequestMessage`].
#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

impl Role {
    /// The message of this role, its fields read from `fields`.
    fn read<'de, D: Deserializer<'de>>(self, fields: D) -> Result<ChatRequestMessage, D::Error> {
        Ok(match self {
            Role::System => ChatRequestMessage::System(Deserialize::deserialize(fields)?),
            Role::Developer => ChatRequestMessage::Developer(Deserialize::deserialize(fields)?),
            Role::User => ChatRequestMessage::User(Deserialize::deserialize(fields)?),
            Role::Assistant => ChatRequestMessage::Assistant(Deserialize::deserialize(fields)?),
            Role::Tool => ChatRequestMessage::Tool(Deserialize::deserialize(fields)?),
        })
    }
}

/// A message object's first key: `role`, or another one (kept).
enum FirstKey {
    Role,
    Other(String),
}

impl<'de> Deserialize<'de> for FirstKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = FirstKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<FirstKey, E> {
                Ok(match key {
                    "role" => FirstKey::Role,
                    other => FirstKey::Other(other.to_owned()),
                })
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for ChatRequestMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MessageVisitor)
    }
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = ChatRequestMessage;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a chat message object with a `role`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ChatRequestMessage, A::Error> {
        let first = match map.next_key::<FirstKey>()? {
            None => return Err(de::Error::missing_field("role")),
            Some(FirstKey::Role) => {
                let role: Role = map.next_value()?;
                return role.read(MapAccessDeserializer::new(map));
            }
            Some(FirstKey::Other(key)) => key,
        };
        // `role` comes later: the fields wait as JSON until it does.
        let mut fields = Map::new();
        fields.insert(first, map.next_value()?);
        while let Some(key) = map.next_key::<String>()? {
            fields.insert(key, map.next_value()?);
        }
        let role = fields
            .remove("role")
            .ok_or_else(|| de::Error::missing_field("role"))?;
        let role = Role::deserialize(role).map_err(de::Error::custom)?;
        role.read(Value::Object(fields)).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use crate::models::ChatRequestMessage;

    fn read(body: &str) -> Result<ChatRequestMessage, String> {
        serde_json::from_str(body).map_err(|e| e.to_string())
    }

    #[test]
    fn role_first_or_later_reads_the_same() {
        for (first, later) in [
            (
                r#"{"role":"system","content":"s"}"#,
                r#"{"content":"s","role":"system"}"#,
            ),
            (
                r#"{"role":"user","content":[{"type":"text","text":"t"}],"name":"n"}"#,
                r#"{"content":[{"type":"text","text":"t"}],"name":"n","role":"user"}"#,
            ),
            (
                r#"{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}"#,
                r#"{"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}],"role":"assistant"}"#,
            ),
            (
                r#"{"role":"tool","tool_call_id":"c","content":null}"#,
                r#"{"tool_call_id":"c","role":"tool"}"#,
            ),
        ] {
            assert_eq!(read(first).unwrap(), read(later).unwrap(), "{first}");
            assert_eq!(
                serde_json::to_string(&read(first).unwrap())
                    .unwrap()
                    .find("\"role\""),
                Some(1)
            );
        }
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(
            read(r#"{"role":"function","content":"x"}"#)
                .unwrap_err()
                .contains("unknown variant `function`")
        );
        assert!(
            read(r#"{"content":"x","role":"function"}"#)
                .unwrap_err()
                .contains("unknown variant `function`")
        );
        assert!(
            read(r#"{"content":"x"}"#)
                .unwrap_err()
                .contains("missing field `role`")
        );
        assert!(read(r#"{}"#).unwrap_err().contains("missing field `role`"));
        assert!(
            read(r#"{"role":"system"}"#)
                .unwrap_err()
                .contains("missing field `content`")
        );
        assert!(
            read(r#"{"role":"tool","content":"x"}"#)
                .unwrap_err()
                .contains("missing field `tool_call_id`")
        );
        assert!(
            read(r#""hi""#)
                .unwrap_err()
                .contains("a chat message object with a `role`")
        );
    }
}
