//! `tool_choice`, which chat completions and the Responses API spell alike
//! except for the object naming one function: one definition of the
//! choice (modes, the named function, anything else kept as JSON), stamped
//! out for each API with its own object shape.

/// Defines a `tool_choice` enum and its serde: `$function_json` builds the
/// named-function object from a name, `$function_name` reads the name back.
/// An object is the named function only when it is exactly what
/// `$function_json` writes, so nothing of another shape is lost.
macro_rules! tool_choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident;
        function_object = $function_doc:literal;
        function_json = |$n:ident| $function_json:expr;
        function_name = |$v:ident| $function_name:expr;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub enum $name {
            /// `"auto"`: the model decides.
            Auto,
            /// `"none"`: no tool calls.
            None,
            /// `"required"`: at least one tool call.
            Required,
            #[doc = concat!("`", $function_doc, "`: the model must call this function.")]
            Function {
                /// The function's name.
                name: String,
            },
            /// Another string or object (`allowed_tools`, a hosted tool,
            /// ...), kept as it came.
            Other(::serde_json::Value),
        }

        impl $name {
            #[doc = concat!("`", $function_doc, "`.")]
            pub fn function(name: impl Into<String>) -> Self {
                $name::Function { name: name.into() }
            }

            /// The choice when it is a string (`auto`, `none`, `required`
            /// or another), `None` for an object.
            pub fn mode(&self) -> Option<&str> {
                match self {
                    $name::Auto => Some("auto"),
                    $name::None => Some("none"),
                    $name::Required => Some("required"),
                    $name::Function { .. } => None,
                    $name::Other(value) => value.as_str(),
                }
            }

            /// The choice's kind without content: the string, else the
            /// object's `type`.
            pub fn kind(&self) -> &str {
                match self {
                    $name::Function { .. } => "function",
                    $name::Other(value) if !value.is_string() => value
                        .get("type")
                        .and_then(::serde_json::Value::as_str)
                        .unwrap_or_default(),
                    _ => self.mode().unwrap_or_default(),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $name::Function { name: $n } => {
                        let $n = $n.as_str();
                        $function_json.serialize(serializer)
                    }
                    $name::Other(value) => value.serialize(serializer),
                    mode => serializer.serialize_str(mode.mode().unwrap_or_default()),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = ::serde_json::Value::deserialize(deserializer)?;
                Ok(match value.as_str() {
                    Some("auto") => $name::Auto,
                    Some("none") => $name::None,
                    Some("required") => $name::Required,
                    _ => {
                        let $v = &value;
                        let name: Option<&str> = $function_name;
                        match name {
                            Some($n) if ::serde_json::to_value($function_json).ok().as_ref() == Some(&value) => {
                                $name::function($n)
                            }
                            _ => $name::Other(value),
                        }
                    }
                })
            }
        }
    };
}
pub(crate) use tool_choice;

/// Chat completions' named function: `{"type":"function","function":{"name":..}}`
/// (a struct, so `type` is written first, as the SDKs do).
#[derive(serde::Serialize)]
pub(super) struct NestedFunction<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: FunctionName<'a>,
}

#[derive(serde::Serialize)]
struct FunctionName<'a> {
    name: &'a str,
}

impl<'a> NestedFunction<'a> {
    pub(super) fn new(name: &'a str) -> Self {
        NestedFunction {
            kind: "function",
            function: FunctionName { name },
        }
    }
}

/// The Responses API's named function: `{"type":"function","name":..}`.
#[derive(serde::Serialize)]
pub(super) struct FlatFunction<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
}

impl<'a> FlatFunction<'a> {
    pub(super) fn new(name: &'a str) -> Self {
        FlatFunction {
            kind: "function",
            name,
        }
    }
}
