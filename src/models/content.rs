//! The content of a user message: a string, or an array of text, image and
//! audio items.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::extensible_enum;

/// A user message's `content`: a string, or an array of content items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// A plain string.
    Text(String),
    /// An array of content items.
    Parts(Vec<ContentItem>),
}

impl From<String> for MessageContent {
    fn from(text: String) -> Self {
        MessageContent::Text(text)
    }
}

impl From<&str> for MessageContent {
    fn from(text: &str) -> Self {
        MessageContent::Text(text.to_owned())
    }
}

/// One item of a user message's content array, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentItem {
    /// `{"type":"text","text":..}`
    Text {
        /// `text`: the text.
        text: String,
    },
    /// `{"type":"image_url","image_url":{"url":..,"detail"?:..}}`
    ImageUrl {
        /// `image_url`: where the image is (an http(s) or data URL).
        image_url: ImageUrl,
    },
    /// `{"type":"input_audio","input_audio":{"data":..,"format":..}}`
    InputAudio {
        /// `input_audio`: base64 audio data and its format.
        input_audio: InputAudio,
    },
    /// `{"type":"audio_url","audio_url":{"url":..}}`
    AudioUrl {
        /// `audio_url.url`: where the audio can be fetched.
        #[serde(rename = "audio_url", with = "super::common::url_object")]
        url: String,
    },
    /// An item of a type this crate does not know, kept as it is.
    #[serde(untagged)]
    Other(Map<String, Value>),
}

impl ContentItem {
    /// A text item.
    pub fn text(text: impl Into<String>) -> Self {
        ContentItem::Text { text: text.into() }
    }

    /// An image item from a URL (http(s) or `data:` URL).
    pub fn image_url(url: impl Into<String>) -> Self {
        ContentItem::ImageUrl {
            image_url: ImageUrl {
                url: url.into(),
                detail: None,
            },
        }
    }

    /// An image item from a URL with a detail level.
    pub fn image_url_with_detail(url: impl Into<String>, detail: ImageDetailLevel) -> Self {
        ContentItem::ImageUrl {
            image_url: ImageUrl {
                url: url.into(),
                detail: Some(detail),
            },
        }
    }

    /// An audio item from base64-encoded data.
    pub fn input_audio(data: impl Into<String>, format: AudioContentFormat) -> Self {
        ContentItem::InputAudio {
            input_audio: InputAudio {
                data: data.into(),
                format,
            },
        }
    }
}

/// An image location (`image_url` of an image content item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// `url`: an http(s) URL or a `data:image/...;base64,...` URL.
    pub url: String,
    /// `detail`: how closely the model should look.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<ImageDetailLevel>,
}

/// Audio data (`input_audio` of an audio content item).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputAudio {
    /// `data`: base64-encoded audio.
    pub data: String,
    /// `format`: the audio format.
    pub format: AudioContentFormat,
}

extensible_enum! {
    /// The detail level for an image (`detail` on the wire).
    pub enum ImageDetailLevel {
        /// `"auto"`: the model decides.
        Auto = "auto",
        /// `"low"`: faster, fewer tokens.
        Low = "low",
        /// `"high"`: more accurate, more tokens.
        High = "high",
    }
}

extensible_enum! {
    /// An audio format (`format` on the wire).
    pub enum AudioContentFormat {
        /// `"wav"`
        Wav = "wav",
        /// `"mp3"`
        Mp3 = "mp3",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_is_a_string_or_items() {
        assert_eq!(
            serde_json::to_value(MessageContent::from("hi")).unwrap(),
            json!("hi")
        );
        let parts = MessageContent::Parts(vec![ContentItem::text("a")]);
        assert_eq!(
            serde_json::to_value(&parts).unwrap(),
            json!([{"type": "text", "text": "a"}])
        );
        assert_eq!(
            serde_json::from_value::<MessageContent>(json!("hi")).unwrap(),
            "hi".into()
        );
    }

    #[test]
    fn audio_url_and_unknown_items_round_trip() {
        let wire = json!([
            {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}},
            {"type": "input_audio", "input_audio": {"data": "AA==", "format": "flac"}},
            {"type": "image_url", "image_url": {"url": "u", "detail": "ultra"}},
            {"type": "video_url", "video_url": {"url": "v"}}
        ]);
        let items: Vec<ContentItem> = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(
            items[0],
            ContentItem::AudioUrl {
                url: "https://example.com/a.mp3".into()
            }
        );
        assert_eq!(
            items[1],
            ContentItem::input_audio("AA==", AudioContentFormat::Other("flac".into()))
        );
        assert_eq!(
            items[2],
            ContentItem::image_url_with_detail("u", ImageDetailLevel::Other("ultra".into()))
        );
        assert!(matches!(&items[3], ContentItem::Other(m) if m["video_url"]["url"] == "v"));
        assert_eq!(serde_json::to_value(&items).unwrap(), wire);
    }
}
