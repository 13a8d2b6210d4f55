//! Embeddings: text (`POST /embeddings`) and image (`POST /images/embeddings`)
//! requests, and the result both return.

use std::io;
use std::path::Path;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::common::{extensible_enum, null_as_default};

extensible_enum! {
    /// The format of the returned vectors (`encoding_format` on the wire).
    pub enum EmbeddingEncodingFormat {
        /// `"float"`: arrays of floats.
        Float = "float",
        /// `"base64"`: little-endian `f32` bytes, base64-encoded.
        Base64 = "base64",
        /// `"binary"`: signed binary.
        Binary = "binary",
        /// `"int8"`: signed 8-bit integers.
        Int8 = "int8",
        /// `"ubinary"`: unsigned binary.
        Ubinary = "ubinary",
        /// `"uint8"`: unsigned 8-bit integers.
        Uint8 = "uint8",
    }
}

/// The body of a text embeddings request (`EmbeddingsOptions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsOptions {
    /// `input`: the texts to embed (a single string is accepted when reading).
    #[serde(deserialize_with = "one_or_many")]
    pub input: Vec<String>,
    /// `model`: which model to use when the endpoint serves several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `dimensions`: the length of the output vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// `encoding_format`: how the vectors are returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<EmbeddingEncodingFormat>,
    /// `input_type`: what the input is used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    /// Extra top-level parameters passed through as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of an image embeddings request (`ImageEmbeddingsOptions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageEmbeddingsOptions {
    /// `input`: the images (each with optional text) to embed.
    pub input: Vec<ImageEmbeddingInput>,
    /// `model`: which model to use when the endpoint serves several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `dimensions`: the length of the output vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// `encoding_format`: how the vectors are returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<EmbeddingEncodingFormat>,
    /// `input_type`: what the input is used for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    /// Extra top-level parameters passed through as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The same `with_*` setters on both embeddings request types.
macro_rules! embeddings_setters {
    ($ty:ident) => {
        impl $ty {
            /// Sets `model`.
            pub fn with_model(mut self, model: impl Into<String>) -> Self {
                self.model = Some(model.into());
                self
            }

            /// Sets `dimensions`.
            pub fn with_dimensions(mut self, dimensions: u32) -> Self {
                self.dimensions = Some(dimensions);
                self
            }

            /// Sets `encoding_format`.
            pub fn with_encoding_format(mut self, format: EmbeddingEncodingFormat) -> Self {
                self.encoding_format = Some(format);
                self
            }

            /// Sets `input_type`: what the input is used for, `text`
            /// (general text), `query` (a search query) or `document` (a
            /// document stored for search).
            pub fn with_input_type(mut self, input_type: impl Into<String>) -> Self {
                self.input_type = Some(input_type.into());
                self
            }

            /// Adds an extra top-level parameter.
            pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
                self.extra.insert(key.into(), value.into());
                self
            }
        }
    };
}
embeddings_setters!(EmbeddingsOptions);
embeddings_setters!(ImageEmbeddingsOptions);

impl EmbeddingsOptions {
    /// A request for these texts and nothing else set.
    pub fn new<I, S>(input: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        EmbeddingsOptions {
            input: input.into_iter().map(Into::into).collect(),
            model: None,
            dimensions: None,
            encoding_format: None,
            input_type: None,
            extra: Map::new(),
        }
    }
}

impl ImageEmbeddingsOptions {
    /// A request for these images and nothing else set.
    pub fn new(input: Vec<ImageEmbeddingInput>) -> Self {
        ImageEmbeddingsOptions {
            input,
            model: None,
            dimensions: None,
            encoding_format: None,
            input_type: None,
            extra: Map::new(),
        }
    }
}

/// `input` as an array of strings, or a single string read as one input.
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// One image to embed (`input` items): `{"image": "data:...", "text"?: ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageEmbeddingInput {
    /// `image`: a `data:image/{format};base64,{data}` URL.
    pub image: String,
    /// `text`: text to embed with the image, for models like CLIP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl ImageEmbeddingInput {
    /// An input from an already encoded image (a data URL).
    pub fn new(image: impl Into<String>) -> Self {
        ImageEmbeddingInput {
            image: image.into(),
            text: None,
        }
    }

    /// An input from raw image bytes: `data:{mime};base64,{bytes}`.
    pub fn from_bytes(bytes: impl AsRef<[u8]>, mime: &str) -> Self {
        Self::new(format!(
            "data:{mime};base64,{}",
            BASE64_STANDARD.encode(bytes.as_ref())
        ))
    }

    /// An input from an image file; the MIME type comes from the extension
    /// (png, jpg/jpeg, gif, webp, bmp, tif/tiff). Other extensions are an
    /// `InvalidInput` error: use [`from_bytes`](Self::from_bytes) with the type.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let mime = mime_for_extension(&extension).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: unknown image extension {extension:?}; expected png, jpg, jpeg, gif, webp, bmp, tif or tiff",
                    path.display()
                ),
            )
        })?;
        Ok(Self::from_bytes(std::fs::read(path)?, mime))
    }

    /// Sets `text`.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
}

fn mime_for_extension(extension: &str) -> Option<&'static str> {
    Some(match extension {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        _ => return None,
    })
}

/// The body of an embeddings response (`EmbeddingsResult`), text or image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsResult {
    /// `id`: the result id (empty when the service sent none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    /// `data`: one vector per input.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<EmbeddingItem>,
    /// `usage`: token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<EmbeddingsUsage>,
    /// `model`: the model that produced the vectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// One vector (`data` items): `{"embedding": [..] | "base64", "index": n}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingItem {
    /// `embedding`: the vector, as numbers or a base64 string.
    pub embedding: EmbeddingVector,
    /// `index`: the position of the input it belongs to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub index: u32,
}

/// An `embedding` value: an array of numbers, or a base64 string when
/// `encoding_format` was `base64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingVector {
    /// An array of numbers (floats, or integers for the int8/binary formats).
    Float(Vec<f32>),
    /// A base64 string of little-endian `f32` values.
    Base64(String),
}

impl EmbeddingVector {
    /// The vector as floats, decoding the base64 form.
    ///
    /// Fails with [`Error::InvalidResponse`](crate::Error::InvalidResponse)
    /// when the string is not base64 or not a whole number of `f32` values.
    pub fn to_f32(&self) -> Result<Vec<f32>, crate::Error> {
        match self {
            EmbeddingVector::Float(values) => Ok(values.clone()),
            EmbeddingVector::Base64(encoded) => {
                let bytes = BASE64_STANDARD.decode(encoded.trim()).map_err(|e| {
                    crate::Error::invalid_response(
                        format!("the embedding is not valid base64 ({e})"),
                        encoded.as_bytes(),
                    )
                })?;
                if bytes.len() % 4 != 0 {
                    return Err(crate::Error::invalid_response(
                        format!(
                            "the base64 embedding decodes to {} bytes, not a whole number of 4-byte floats",
                            bytes.len()
                        ),
                        encoded.as_bytes(),
                    ));
                }
                Ok(bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect())
            }
        }
    }

    /// How many values the vector holds, read without decoding it (a
    /// base64 string's decoded length over 4); `None` for a malformed one.
    pub fn dimensions(&self) -> Option<usize> {
        match self {
            EmbeddingVector::Float(values) => Some(values.len()),
            EmbeddingVector::Base64(encoded) => {
                let encoded = encoded.trim().as_bytes();
                let padding = encoded.iter().rev().take_while(|&&b| b == b'=').count();
                let bytes = (encoded.len() / 4 * 3).checked_sub(padding)?;
                (encoded.len() % 4 == 0 && bytes % 4 == 0).then_some(bytes / 4)
            }
        }
    }

    /// The floats, when the vector came as an array.
    pub fn as_floats(&self) -> Option<&[f32]> {
        match self {
            EmbeddingVector::Float(values) => Some(values),
            EmbeddingVector::Base64(_) => None,
        }
    }
}

/// Token counts for an embeddings call (`usage` on the wire).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingsUsage {
    /// `prompt_tokens`: tokens in the input.
    #[serde(default, deserialize_with = "null_as_default")]
    pub prompt_tokens: u64,
    /// `total_tokens`: all tokens processed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub total_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_sends_only_what_is_set() {
        let r = EmbeddingsOptions::new(["a", "b"]);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"input": ["a", "b"]})
        );

        let r = EmbeddingsOptions::new(vec!["q".to_string()])
            .with_model("text-embedding-3-small")
            .with_dimensions(256)
            .with_encoding_format(EmbeddingEncodingFormat::Base64)
            .with_input_type("query")
            .with_extra("truncate", "END");
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({
                "input": ["q"],
                "model": "text-embedding-3-small",
                "dimensions": 256,
                "encoding_format": "base64",
                "input_type": "query",
                "truncate": "END"
            })
        );
    }

    #[test]
    fn request_reads_unknown_keys_into_extra_and_a_single_string_input() {
        let body = json!({"input": "hello", "encoding_format": "uint8", "user": "u1"});
        let r: EmbeddingsOptions = serde_json::from_value(body).unwrap();
        assert_eq!(r.input, vec!["hello".to_string()]);
        assert_eq!(r.encoding_format, Some(EmbeddingEncodingFormat::Uint8));
        assert_eq!(r.extra.get("user"), Some(&json!("u1")));
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"input": ["hello"], "encoding_format": "uint8", "user": "u1"})
        );
    }

    #[test]
    fn encoding_formats_and_input_types() {
        for (f, s) in [
            (EmbeddingEncodingFormat::Float, "float"),
            (EmbeddingEncodingFormat::Base64, "base64"),
            (EmbeddingEncodingFormat::Binary, "binary"),
            (EmbeddingEncodingFormat::Int8, "int8"),
            (EmbeddingEncodingFormat::Ubinary, "ubinary"),
            (EmbeddingEncodingFormat::Uint8, "uint8"),
        ] {
            assert_eq!(f.as_str(), s);
            assert_eq!(
                serde_json::from_value::<EmbeddingEncodingFormat>(json!(s)).unwrap(),
                f
            );
        }
    }

    #[test]
    fn result_with_floats_and_gaps() {
        let r: EmbeddingsResult = serde_json::from_value(json!({
            "id": "e1",
            "object": "list",
            "data": [
                {"object": "embedding", "index": 1, "embedding": [0.5, -1, 2]},
                {"object": "embedding", "index": 0, "embedding": [1, 2, 3]}
            ],
            "usage": {"prompt_tokens": 4, "total_tokens": 4},
            "model": "m"
        }))
        .unwrap();
        assert_eq!(r.data.len(), 2);
        assert_eq!(r.data[0].index, 1);
        assert_eq!(r.data[0].embedding.to_f32().unwrap(), vec![0.5, -1.0, 2.0]);
        assert_eq!(r.data[1].embedding.as_floats(), Some(&[1.0, 2.0, 3.0][..]));
        assert_eq!(
            r.usage,
            Some(EmbeddingsUsage {
                prompt_tokens: 4,
                total_tokens: 4
            })
        );

        let bare: EmbeddingsResult =
            serde_json::from_value(json!({"data": [{"embedding": [1.0]}]})).unwrap();
        assert_eq!((bare.id.as_str(), bare.usage, bare.model), ("", None, None));
        assert_eq!(bare.data[0].index, 0);
    }

    #[test]
    fn base64_embeddings_decode_little_endian_f32() {
        let values = [1.0f32, -2.5, 0.0, 3.25e-3];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let item: EmbeddingItem = serde_json::from_value(
            json!({"index": 0, "embedding": BASE64_STANDARD.encode(&bytes)}),
        )
        .unwrap();
        assert!(matches!(item.embedding, EmbeddingVector::Base64(_)));
        assert_eq!(item.embedding.as_floats(), None);
        assert_eq!(item.embedding.to_f32().unwrap(), values.to_vec());
        // Known bytes: 1.0f32 little-endian is 00 00 80 3f.
        assert_eq!(
            EmbeddingVector::Base64("AACAPw==".into()).to_f32().unwrap(),
            vec![1.0]
        );
    }

    #[test]
    fn bad_base64_embeddings_are_invalid_response_errors() {
        let err = EmbeddingVector::Base64("not base64!".into())
            .to_f32()
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
        assert!(err.to_string().contains("not valid base64"), "{err}");

        // Three bytes: valid base64, but not a whole f32.
        let err = EmbeddingVector::Base64("AQID".into()).to_f32().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
        assert!(err.to_string().contains("3 bytes"), "{err}");
    }

    #[test]
    fn image_inputs_are_data_urls() {
        let input = ImageEmbeddingInput::from_bytes([0x89, b'P', b'N', b'G'], "image/png");
        assert_eq!(input.image, "data:image/png;base64,iVBORw==");
        let r = ImageEmbeddingsOptions::new(vec![input.with_text("a logo")])
            .with_model("cohere-embed-v3-english")
            .with_input_type("document");
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({
                "input": [{"image": "data:image/png;base64,iVBORw==", "text": "a logo"}],
                "model": "cohere-embed-v3-english",
                "input_type": "document"
            })
        );
    }

    #[test]
    fn image_inputs_from_files_guess_the_mime_type() {
        let dir = tempfile::tempdir().unwrap();
        let jpg = dir.path().join("photo.JPG");
        std::fs::write(&jpg, [1u8, 2, 3]).unwrap();
        assert_eq!(
            ImageEmbeddingInput::from_file(&jpg).unwrap().image,
            "data:image/jpeg;base64,AQID"
        );
        for (ext, mime) in [
            ("png", "image/png"),
            ("jpeg", "image/jpeg"),
            ("gif", "image/gif"),
            ("webp", "image/webp"),
            ("bmp", "image/bmp"),
            ("tiff", "image/tiff"),
        ] {
            let p = dir.path().join(format!("x.{ext}"));
            std::fs::write(&p, b"").unwrap();
            let image = ImageEmbeddingInput::from_file(&p).unwrap().image;
            assert_eq!(image, format!("data:{mime};base64,"));
        }
        let txt = dir.path().join("notes.txt");
        std::fs::write(&txt, b"x").unwrap();
        let err = ImageEmbeddingInput::from_file(&txt).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let missing = ImageEmbeddingInput::from_file(dir.path().join("missing.png")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }
}
