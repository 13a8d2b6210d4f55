//! A strict reader for the recorded message and choice bodies, into the
//! same borrowed structs serde fills, because serde's derived visitors
//! (field matching, `Option` and `Cow` layers) were the largest cost left
//! in a recorded chat row: with this reader the row of two messages and
//! one tool call went from 21.6k to 18.9k instructions (callgrind,
//! `benches/hot_paths.rs`).
//!
//! It reads only what it is sure serde reads the same way, and answers
//! `None` for anything else (escapes in strings, unknown or duplicate keys,
//! numbers that are not plain integers, invalid JSON): the caller then asks
//! serde. Tool-call arguments are only delimited here; [`super::arguments_text`]
//! parses them before use.

use std::borrow::Cow;

use super::{ChoiceBody, Obj, WireFunction, WireMessage, WireToolCall};

/// Nesting kept well under `serde_json`'s recursion limit (128).
const MAX_DEPTH: usize = 64;

struct Scan<'a> {
    text: &'a str,
    at: usize,
}

/// A recorded wire message (`{"role","content",...}`), or `None`.
pub(super) fn wire_message(text: &str) -> Option<WireMessage<'_>> {
    let mut scan = Scan { text, at: 0 };
    let message = scan.message()?;
    scan.end().then_some(message)
}

/// A choice event body (`{"index","finish_reason","message"}`), or `None`.
pub(super) fn choice(text: &str) -> Option<ChoiceBody<'_>> {
    let mut scan = Scan { text, at: 0 };
    let mut body = ChoiceBody {
        index: None,
        finish_reason: None,
        message: None,
    };
    let mut seen = 0u8;
    scan.object(&mut |scan, key| {
        let bit = match key {
            "index" => {
                body.index = if scan.null() { None } else { Some(scan.int()?) };
                1
            }
            "finish_reason" => {
                body.finish_reason = scan.opt_str()?;
                2
            }
            "message" => {
                body.message = if scan.null() {
                    None
                } else {
                    Some(Obj(scan.message()?))
                };
                4
            }
            // Serde ignores other keys, after checking their values: ask it.
            _ => return None,
        };
        once(&mut seen, bit)
    })?;
    scan.end().then_some(body)
}

/// Serde refuses a field given twice.
fn once(seen: &mut u8, bit: u8) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes().get(self.at) {
            self.at += 1;
        }
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    /// Only whitespace is left.
    fn end(&mut self) -> bool {
        self.peek().is_none()
    }

    fn null(&mut self) -> bool {
        let found = self.peek() == Some(b'n') && self.bytes()[self.at..].starts_with(b"null");
        if found {
            self.at += 4;
        }
        found
    }

    /// A string without escapes or control characters.
    fn str(&mut self) -> Option<&'a str> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        let bytes = self.bytes();
        loop {
            match *bytes.get(self.at)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        let text = self.text.get(start..self.at)?;
        self.at += 1;
        Some(text)
    }

    /// `Option<Cow<str>>` as serde reads it: `null` is `None`.
    fn opt_str(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null() {
            return Some(None);
        }
        self.str().map(|s| Some(Cow::Borrowed(s)))
    }

    /// A plain integer that fits an `i64`.
    fn int(&mut self) -> Option<i64> {
        self.peek()?;
        let start = self.at;
        let bytes = self.bytes();
        if bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        let digits = self.at;
        while bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let n = self.at - digits;
        let leading_zero = n > 1 && bytes[digits] == b'0';
        if n == 0 || n > 18 || leading_zero {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = bytes.get(self.at) {
            return None;
        }
        self.text.get(start..self.at)?.parse().ok()
    }

    /// `{ "key": value, ... }`, each value read by `field`.
    fn object(&mut self, field: &mut dyn FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        if !self.eat(b'{') {
            return None;
        }
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.str()?;
            if !self.eat(b':') {
                return None;
            }
            field(self, key)?;
            if self.eat(b'}') {
                return Some(());
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn message(&mut self) -> Option<WireMessage<'a>> {
        let mut message = WireMessage {
            role: None,
            name: None,
            content: None,
            reasoning_content: None,
            tool_calls: None,
        };
        let mut seen = 0u8;
        self.object(&mut |scan, key| {
            let bit = match key {
                "role" => {
                    message.role = scan.opt_str()?;
                    1
                }
                "name" => {
                    message.name = scan.opt_str()?;
                    2
                }
                "content" => {
                    message.content = scan.opt_str()?;
                    4
                }
                "reasoning_content" => {
                    message.reasoning_content = scan.opt_str()?;
                    8
                }
                "tool_calls" => {
                    message.tool_calls = if scan.null() {
                        None
                    } else {
                        Some(scan.tool_calls()?)
                    };
                    16
                }
                _ => return None,
            };
            once(&mut seen, bit)
        })?;
        Some(message)
    }

    fn tool_calls(&mut self) -> Option<Vec<Obj<WireToolCall<'a>>>> {
        if !self.eat(b'[') {
            return None;
        }
        let mut calls = Vec::new();
        if self.eat(b']') {
            return Some(calls);
        }
        loop {
            calls.push(Obj(self.tool_call()?));
            if self.eat(b']') {
                return Some(calls);
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn tool_call(&mut self) -> Option<WireToolCall<'a>> {
        let mut call = WireToolCall {
            id: None,
            kind: None,
            function: None,
        };
        let mut seen = 0u8;
        self.object(&mut |scan, key| {
            let bit = match key {
                "id" => {
                    call.id = scan.opt_str()?;
                    1
                }
                "type" => {
                    call.kind = scan.opt_str()?;
                    2
                }
                "function" => {
                    call.function = if scan.null() {
                        None
                    } else {
                        Some(Obj(scan.function()?))
                    };
                    4
                }
                _ => return None,
            };
            once(&mut seen, bit)
        })?;
        Some(call)
    }

    fn function(&mut self) -> Option<WireFunction<'a>> {
        let mut function = WireFunction {
            name: None,
            arguments: None,
        };
        let mut seen = 0u8;
        self.object(&mut |scan, key| {
            let bit = match key {
                "name" => {
                    function.name = scan.opt_str()?;
                    1
                }
                // Present even when `null` (see `WireFunction::arguments`).
                "arguments" => {
                    function.arguments = Some(scan.raw()?);
                    2
                }
                _ => return None,
            };
            once(&mut seen, bit)
        })?;
        Some(function)
    }

    /// The text of one JSON value, delimited but not checked.
    fn raw(&mut self) -> Option<&'a str> {
        self.peek()?;
        let start = self.at;
        self.skip(0)?;
        self.text.get(start..self.at)
    }

    fn skip(&mut self, depth: usize) -> Option<()> {
        let bytes = self.bytes();
        match self.peek()? {
            open @ (b'{' | b'[') if depth < MAX_DEPTH => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.at += 1;
                if self.eat(close) {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    if open == b'{' && self.eat(b':') {
                        self.skip(depth + 1)?;
                    }
                    if self.eat(close) {
                        return Some(());
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => {
                self.at += 1;
                loop {
                    match *bytes.get(self.at)? {
                        b'"' => break,
                        b'\\' => self.at += 2,
                        _ => self.at += 1,
                    }
                }
                self.at += 1;
                Some(())
            }
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                while let Some(b'-' | b'+' | b'.' | b'0'..=b'9' | b'a'..=b'z' | b'E') =
                    bytes.get(self.at)
                {
                    self.at += 1;
                }
                Some(())
            }
            _ => None,
        }
    }
}
