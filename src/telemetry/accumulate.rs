//! Turns a stream of chat deltas into the response a span records.

use std::collections::HashMap;

use super::record::{ChoiceRecord, ResponseRecord, ToolCallRecord, UsageRecord};

/// The most choices one answer keeps (`StreamAccumulator`); deltas for
/// further choice indices are counted, not kept.
pub const MAX_STREAM_CHOICES: usize = 128;

/// The most tool calls one choice keeps; deltas for further calls are
/// counted, not kept.
pub const MAX_STREAM_TOOL_CALLS: usize = 128;

/// Accumulates streamed chat deltas per choice index.
///
/// Content and reasoning (`reasoning_content`) are appended, tool calls are matched by their `index` (else by
/// `id`, else the last one continues) with arguments appended and `id` /
/// `name` taken when they appear. `finish_reason` and `usage` come from
/// whichever chunk carries them; `id` and `model` from the first chunk that
/// has them.
///
/// Text (content, reasoning, tool names and arguments) is kept only when the
/// accumulator was made with `keep_content`; otherwise it holds ids, finish
/// reasons and counts only, so an unrecorded stream costs no memory for its text.
///
/// Bounded whatever the service sends: at most [`MAX_STREAM_CHOICES`]
/// choices and [`MAX_STREAM_TOOL_CALLS`] tool calls per choice are kept;
/// deltas beyond them are counted ([`dropped`](Self::dropped)) and the span
/// flags the answer as cut. Choices and tool calls are found by index
/// through a map (the last one used is tried first), so a single event of a
/// million `{"index": N}` items costs a million lookups, not 10^11
/// comparisons.
#[derive(Debug, Default)]
pub struct StreamAccumulator {
    keep_content: bool,
    id: Option<String>,
    model: Option<String>,
    usage: Option<UsageRecord>,
    choices: Vec<ChoiceState>,
    /// Choice index -> position in `choices`.
    choice_at: HashMap<u32, usize>,
    /// Position of the choice the last delta went to.
    last_choice: usize,
    dropped: Dropped,
}

/// Deltas the accumulator did not keep because an answer went past
/// [`MAX_STREAM_CHOICES`] or a choice past [`MAX_STREAM_TOOL_CALLS`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// Deltas for choices beyond the first [`MAX_STREAM_CHOICES`] indices seen.
    pub choice_deltas: u64,
    /// Tool-call deltas for calls beyond the first [`MAX_STREAM_TOOL_CALLS`] of a choice.
    pub tool_call_deltas: u64,
}

impl Dropped {
    /// Whether anything was dropped.
    pub fn any(&self) -> bool {
        self.choice_deltas > 0 || self.tool_call_deltas > 0
    }
}

/// One streamed tool-call delta (`choices[].delta.tool_calls[]`), borrowed
/// from the chunk: every field is optional on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolCallDelta<'a> {
    /// The call's `index` within the choice.
    pub call_index: Option<u32>,
    /// The call's `id` (usually on its first delta only).
    pub id: Option<&'a str>,
    /// The call's `type`.
    pub kind: Option<&'a str>,
    /// The function name (usually on its first delta only).
    pub name: Option<&'a str>,
    /// A piece of the arguments text.
    pub arguments: Option<&'a str>,
}

#[derive(Debug)]
struct ChoiceState {
    index: u32,
    finish_reason: Option<String>,
    content: Option<String>,
    reasoning: Option<String>,
    tool_calls: Vec<ToolCallState>,
    /// Tool-call `index` -> position in `tool_calls`.
    call_at: HashMap<u32, usize>,
}

#[derive(Debug, Default)]
struct ToolCallState {
    index: Option<u32>,
    id: String,
    kind: String,
    name: String,
    arguments: String,
}

impl StreamAccumulator {
    /// A new accumulator; `keep_content` when content recording is on.
    pub fn new(keep_content: bool) -> Self {
        StreamAccumulator {
            keep_content,
            ..Default::default()
        }
    }

    /// Records the chunk's `id` and `model`; the first ones seen win.
    #[inline]
    pub fn observe_ids(&mut self, id: Option<&str>, model: Option<&str>) {
        if self.id.is_none() {
            self.id = id.filter(|s| !s.is_empty()).map(str::to_owned);
        }
        if self.model.is_none() {
            self.model = model.filter(|s| !s.is_empty()).map(str::to_owned);
        }
    }

    /// Records usage from the chunk that carries it.
    pub fn observe_usage(&mut self, usage: UsageRecord) {
        self.usage = Some(usage);
    }

    /// The state of choice `index`, or `None` (the delta counted as
    /// dropped) when the answer already holds [`MAX_STREAM_CHOICES`].
    #[inline]
    fn choice(&mut self, index: u32) -> Option<&mut ChoiceState> {
        // Usually one choice, or deltas for the same one in a row.
        if self
            .choices
            .get(self.last_choice)
            .is_some_and(|c| c.index == index)
        {
            return Some(&mut self.choices[self.last_choice]);
        }
        self.find_or_add_choice(index)
    }

    fn find_or_add_choice(&mut self, index: u32) -> Option<&mut ChoiceState> {
        let pos = match self.choice_at.get(&index) {
            Some(&pos) => pos,
            None if self.choices.len() >= MAX_STREAM_CHOICES => {
                self.dropped.choice_deltas += 1;
                return None;
            }
            None => {
                self.choices.push(ChoiceState {
                    index,
                    finish_reason: None,
                    content: None,
                    reasoning: None,
                    tool_calls: Vec::new(),
                    call_at: HashMap::new(),
                });
                let pos = self.choices.len() - 1;
                self.choice_at.insert(index, pos);
                pos
            }
        };
        self.last_choice = pos;
        Some(&mut self.choices[pos])
    }

    /// Deltas not kept because the answer went past the bounds.
    pub fn dropped(&self) -> Dropped {
        self.dropped
    }

    /// Records a choice delta: appended text and, when present, the finish reason.
    pub fn observe_delta(
        &mut self,
        choice_index: u32,
        content: Option<&str>,
        finish_reason: Option<&str>,
    ) {
        let keep = self.keep_content;
        let Some(choice) = self.choice(choice_index) else {
            return;
        };
        if let (true, Some(text)) = (keep, content) {
            choice
                .content
                .get_or_insert_with(String::new)
                .push_str(text);
        }
        if let Some(reason) = finish_reason {
            choice.finish_reason = Some(reason.to_owned());
        }
    }

    /// Records a piece of a choice's reasoning (`delta.reasoning_content`),
    /// appended like content and kept only with `keep_content`.
    pub fn observe_reasoning(&mut self, choice_index: u32, reasoning: &str) {
        let keep = self.keep_content;
        let Some(choice) = self.choice(choice_index) else {
            return;
        };
        if keep {
            choice
                .reasoning
                .get_or_insert_with(String::new)
                .push_str(reasoning);
        }
    }

    /// Records a tool-call delta of a choice.
    pub fn observe_tool_call(&mut self, choice_index: u32, delta: ToolCallDelta<'_>) {
        let ToolCallDelta {
            call_index,
            id,
            kind,
            name,
            arguments,
        } = delta;
        let keep = self.keep_content;
        let Some(choice) = self.choice(choice_index) else {
            return;
        };
        let last = choice.tool_calls.len().checked_sub(1);
        let existing = match (call_index, id) {
            // The call being streamed, usually.
            (Some(i), _) if last.is_some_and(|l| choice.tool_calls[l].index == Some(i)) => last,
            (Some(i), _) => choice.call_at.get(&i).copied(),
            // At most MAX_STREAM_TOOL_CALLS to scan.
            (None, Some(id)) => choice.tool_calls.iter().position(|c| c.id == id),
            (None, None) => last,
        };
        let pos = match existing {
            Some(pos) => pos,
            None if choice.tool_calls.len() >= MAX_STREAM_TOOL_CALLS => {
                self.dropped.tool_call_deltas += 1;
                return;
            }
            None => {
                choice.tool_calls.push(ToolCallState {
                    index: call_index,
                    kind: "function".to_owned(),
                    ..Default::default()
                });
                let pos = choice.tool_calls.len() - 1;
                if let Some(i) = call_index {
                    choice.call_at.insert(i, pos);
                }
                pos
            }
        };
        let call = &mut choice.tool_calls[pos];
        if let Some(id) = id.filter(|s| !s.is_empty()) {
            id.clone_into(&mut call.id);
        }
        if let Some(kind) = kind.filter(|s| !s.is_empty()) {
            kind.clone_into(&mut call.kind);
        }
        if keep {
            if let Some(name) = name.filter(|s| !s.is_empty()) {
                name.clone_into(&mut call.name);
            }
            if let Some(args) = arguments {
                call.arguments.push_str(args);
            }
        }
    }

    /// Whether at least one choice was seen and every choice has a finish reason.
    pub fn all_finished(&self) -> bool {
        !self.choices.is_empty() && self.choices.iter().all(|c| c.finish_reason.is_some())
    }

    /// How many choices have no finish reason (at least 1 when none was seen).
    pub fn unfinished(&self) -> usize {
        if self.choices.is_empty() {
            1
        } else {
            self.choices
                .iter()
                .filter(|c| c.finish_reason.is_none())
                .count()
        }
    }

    /// The response so far, borrowing the accumulated text.
    pub fn response(&self) -> ResponseRecord<'_> {
        ResponseRecord {
            id: self.id.as_deref(),
            model: self.model.as_deref(),
            usage: self.usage,
            choices: self
                .choices
                .iter()
                .map(|c| ChoiceRecord {
                    index: c.index,
                    finish_reason: c.finish_reason.as_deref(),
                    content: c.content.as_deref(),
                    reasoning: c.reasoning.as_deref(),
                    tool_calls: c
                        .tool_calls
                        .iter()
                        .map(|t| ToolCallRecord {
                            id: &t.id,
                            kind: &t.kind,
                            name: &t.name,
                            arguments: &t.arguments,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulates_two_choices_and_tool_calls() {
        let mut acc = StreamAccumulator::new(true);
        acc.observe_ids(Some("chatcmpl-1"), Some("m"));
        acc.observe_ids(Some("other"), None);
        acc.observe_delta(1, Some("Wor"), None);
        acc.observe_delta(0, Some("Hel"), None);
        acc.observe_reasoning(0, "say ");
        acc.observe_reasoning(0, "hello");
        acc.observe_delta(0, Some("lo"), Some("stop"));
        acc.observe_tool_call(
            1,
            ToolCallDelta {
                call_index: Some(0),
                id: Some("call_1"),
                kind: Some("function"),
                name: Some("f"),
                arguments: Some("{\"a\""),
            },
        );
        acc.observe_tool_call(
            1,
            ToolCallDelta {
                call_index: Some(0),
                arguments: Some(":1}"),
                ..Default::default()
            },
        );
        assert!(!acc.all_finished());
        assert_eq!(acc.unfinished(), 1);
        acc.observe_delta(1, None, Some("tool_calls"));
        acc.observe_usage(UsageRecord::new(Some(3), Some(4)));
        assert!(acc.all_finished());
        let r = acc.response();
        assert_eq!(r.id, Some("chatcmpl-1"));
        let c0 = r.choices.iter().find(|c| c.index == 0).unwrap();
        assert_eq!(c0.content, Some("Hello"));
        assert_eq!(c0.reasoning, Some("say hello"));
        let c1 = r.choices.iter().find(|c| c.index == 1).unwrap();
        assert_eq!(c1.content, Some("Wor"));
        assert_eq!(c1.tool_calls[0].arguments, "{\"a\":1}");
        assert_eq!(c1.tool_calls[0].id, "call_1");
    }

    #[test]
    fn keeps_no_text_when_not_recording() {
        let mut acc = StreamAccumulator::new(false);
        acc.observe_delta(0, Some("secret"), None);
        acc.observe_reasoning(0, "secret thoughts");
        acc.observe_tool_call(
            0,
            ToolCallDelta {
                id: Some("call_9"),
                name: Some("secret_fn"),
                arguments: Some("{secret}"),
                ..Default::default()
            },
        );
        let r = acc.response();
        assert_eq!(r.choices[0].content, None);
        assert_eq!(r.choices[0].reasoning, None);
        assert_eq!(r.choices[0].tool_calls[0].id, "call_9");
        assert_eq!(r.choices[0].tool_calls[0].name, "");
        assert_eq!(r.choices[0].tool_calls[0].arguments, "");
        assert!(!format!("{acc:?}").contains("secret"));
    }

    #[test]
    fn choices_and_tool_calls_are_bounded_and_the_rest_counted() {
        let mut acc = StreamAccumulator::new(true);
        for index in 0..1_000_000u32 {
            acc.observe_delta(index, Some("x"), Some("stop"));
        }
        for call in 0..100_000u32 {
            acc.observe_tool_call(
                0,
                ToolCallDelta {
                    call_index: Some(call),
                    arguments: Some("{}"),
                    ..Default::default()
                },
            );
        }
        // Known indices are still found once the table is full.
        acc.observe_delta(5, Some("y"), None);
        let r = acc.response();
        assert_eq!(r.choices.len(), MAX_STREAM_CHOICES);
        assert_eq!(r.choices[0].tool_calls.len(), MAX_STREAM_TOOL_CALLS);
        assert_eq!(r.choices[5].content, Some("xy"));
        assert_eq!(
            acc.dropped(),
            Dropped {
                choice_deltas: 1_000_000 - MAX_STREAM_CHOICES as u64,
                tool_call_deltas: 100_000 - MAX_STREAM_TOOL_CALLS as u64,
            }
        );
        assert!(acc.all_finished());
    }

    #[test]
    fn nothing_seen_counts_one_unfinished() {
        let acc = StreamAccumulator::new(true);
        assert!(!acc.all_finished());
        assert_eq!(acc.unfinished(), 1);
    }
}
