//! Where a server's answers come from: the seam between the HTTP server and
//! what it says.
//!
//! The server ([`super::server`]) records each request and asks a [`Script`]
//! for the [`Reply`]: the oldest queued one, else the script's fallback. The
//! fallback is any [`Answers`]; today the demo endpoint
//! ([`super::demo::Demo`]). Another source of answers (replaying recorded
//! traffic, say) is one more `Answers` handed to [`Script::new`], with no
//! change to the server.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::reply::Reply;
use super::request::RecordedRequest;

/// Something that answers a recorded request with a [`Reply`].
///
/// Called on the server's task for every request no queued reply is left
/// for, after the request was recorded; it must not block for long (a delay
/// belongs in the reply: [`Reply::with_delay`]).
pub(crate) trait Answers: Send + Sync + fmt::Debug + 'static {
    /// The reply to `request`.
    fn answer(&self, request: &RecordedRequest) -> Reply;
}

/// Queued replies first (oldest first, on any route), then the fallback.
#[derive(Debug)]
pub(crate) struct Script {
    queue: Mutex<VecDeque<Reply>>,
    fallback: Box<dyn Answers>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Script {
    /// An empty queue in front of `fallback`.
    pub(crate) fn new(fallback: Box<dyn Answers>) -> Self {
        Script {
            queue: Mutex::new(VecDeque::new()),
            fallback,
        }
    }

    /// Queues `reply` for a later request.
    pub(crate) fn enqueue(&self, reply: Reply) {
        lock(&self.queue).push_back(reply);
    }

    /// How many queued replies no request has taken yet.
    pub(crate) fn pending(&self) -> usize {
        lock(&self.queue).len()
    }
}

impl Answers for Script {
    fn answer(&self, request: &RecordedRequest) -> Reply {
        let queued = lock(&self.queue).pop_front();
        queued.unwrap_or_else(|| self.fallback.answer(request))
    }
}
