//! A `tracing` layer that keeps every event as a log line: its name, target,
//! level and message, for tests that count what the crate logs.

use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// One logged event.
#[derive(Debug, Clone)]
pub struct Line {
    pub name: String,
    pub target: String,
    pub level: tracing::Level,
    pub message: String,
}

/// The layer; clones share the lines.
#[derive(Debug, Clone, Default)]
pub struct LogCapture {
    lines: Arc<Mutex<Vec<Line>>>,
}

impl LogCapture {
    pub fn lines(&self) -> Vec<Line> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The lines of events named `name`.
    pub fn named(&self, name: &str) -> Vec<Line> {
        self.lines()
            .into_iter()
            .filter(|l| l.name == name)
            .collect()
    }
}

struct Message<'a>(&'a mut String);

impl Visit for Message<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            *self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for LogCapture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut message = String::new();
        event.record(&mut Message(&mut message));
        let meta = event.metadata();
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Line {
                name: meta.name().to_owned(),
                target: meta.target().to_owned(),
                level: *meta.level(),
                message,
            });
    }
}
