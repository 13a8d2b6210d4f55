//! The v1 API's model list (`GET {v1}/models`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The models (on Azure, the deployments) a v1 endpoint offers: the body of
/// `GET {v1}/models`, `{"object": "list", "data": [...]}`, as the OpenAI API
/// and the Azure v1 API (`specification/ai/data-plane/OpenAI.v1`) define it.
///
/// ```
/// use azure_ai_inference_otel::models::ModelList;
///
/// let list: ModelList = serde_json::from_str(
///     r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}]}"#,
/// )?;
/// assert_eq!(list.ids().collect::<Vec<_>>(), ["gpt-4o-mini"]);
/// assert_eq!(list.data[0].owned_by.as_deref(), Some("system"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelList {
    /// `object`: always `"list"` (taken as that when absent).
    #[serde(default = "list_object")]
    pub object: String,
    /// `data`: the models, in the service's order.
    pub data: Vec<Model>,
}

impl ModelList {
    /// The models' ids (on Azure, the deployment names to send as `model`).
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.data.iter().map(|m| m.id.as_str())
    }
}

/// One model of a [`ModelList`].
///
/// Read leniently: `created` and `owned_by` are optional (not every
/// OpenAI-compatible service sends them), and fields this type does not name
/// (Azure adds some, such as `capabilities` or `lifecycle_status`) are kept
/// in [`extra`](Self::extra) rather than dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// `id`: the model identifier, the value to send as a request's `model`.
    pub id: String,
    /// `object`: always `"model"` (taken as that when absent).
    #[serde(default = "model_object")]
    pub object: String,
    /// `created`: when the model was created, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    /// `owned_by`: the organization that owns the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
    /// Every other field of the item, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn list_object() -> String {
    "list".to_owned()
}

fn model_object() -> String {
    "model".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_openai_shape_and_writes_it_back() {
        let wire = json!({
            "object": "list",
            "data": [
                {"id": "gpt-4o-mini", "object": "model", "created": 1_721_172_741, "owned_by": "system"},
                {"id": "text-embedding-3-small", "object": "model", "created": 1_705_948_997, "owned_by": "system"}
            ]
        });
        let list: ModelList = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(
            list.ids().collect::<Vec<_>>(),
            ["gpt-4o-mini", "text-embedding-3-small"]
        );
        assert_eq!(list.data[0].created, Some(1_721_172_741));
        assert!(list.data[0].extra.is_empty());
        assert_eq!(serde_json::to_value(&list).unwrap(), wire);
    }

    #[test]
    fn missing_optional_fields_and_unknown_ones_are_tolerated_and_kept() {
        let list: ModelList = serde_json::from_value(json!({
            "data": [{"id": "m", "created": null, "capabilities": {"chat_completion": true}}]
        }))
        .unwrap();
        assert_eq!(list.object, "list");
        let model = &list.data[0];
        assert_eq!(model.object, "model");
        assert_eq!((model.created, model.owned_by.as_deref()), (None, None));
        assert_eq!(
            model.extra["capabilities"],
            json!({"chat_completion": true})
        );
    }

    #[test]
    fn a_body_without_data_or_an_item_without_id_is_refused() {
        assert!(serde_json::from_value::<ModelList>(json!({"object": "list"})).is_err());
        assert!(
            serde_json::from_value::<ModelList>(json!({"data": [{"object": "model"}]})).is_err()
        );
    }
}
