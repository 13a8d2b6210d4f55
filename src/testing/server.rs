//! [`MockInferenceServer`]: the loopback HTTP server and what it records.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::answers::{Answers, Script};
use super::demo::Demo;
use super::record::Recorder;
use super::replay::Replayer;

mod cassettes;
use super::reply::{Reply, cut_response};
use super::request::RecordedRequest;

/// Largest request body the server reads.
const MAX_REQUEST_BODY: usize = 64 * 1024 * 1024;

/// After a stop, how long the server task waits for connections to wind
/// down before it is dropped regardless.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// How long dropping a [`MockInferenceServer::start_background`] server
/// waits for its thread before leaving it to finish on its own.
const THREAD_JOIN_TIMEOUT: Duration = Duration::from_secs(2);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// State shared by the handle and the server tasks.
#[derive(Debug)]
struct Shared {
    script: Script,
    mode: Mode,
    requests: Mutex<Vec<RecordedRequest>>,
    /// How many requests were recorded (for [`MockInferenceServer::wait_for_requests`]).
    recorded: watch::Sender<usize>,
    /// Turns true once, when the handle is dropped.
    stop: watch::Sender<bool>,
    stopped: AtomicBool,
    /// The listening socket; taken (closed) by [`Shared::stop`].
    listener: Mutex<Option<TcpListener>>,
}

/// What a server does besides answering from its script.
#[derive(Debug, Default)]
struct Mode {
    /// Recording: requests no queued reply takes go upstream.
    recorder: Option<Arc<Recorder>>,
    /// Replaying: the script's fallback, kept for its mismatches.
    replayer: Option<Arc<Replayer>>,
}

impl Shared {
    fn new(script: Script, mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            script,
            mode,
            requests: Mutex::new(Vec::new()),
            recorded: watch::Sender::new(0),
            stop: watch::Sender::new(false),
            stopped: AtomicBool::new(false),
            listener: Mutex::new(None),
        })
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Stops the server: the port is closed before this returns, every
    /// connection fails at its next read or write, and pending waits end.
    fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.stop.send_replace(true);
        let listener = lock(&self.listener).take();
        drop(listener);
    }

    fn record(&self, request: RecordedRequest) {
        let count = {
            let mut requests = lock(&self.requests);
            requests.push(request);
            requests.len()
        };
        self.recorded.send_replace(count);
    }
}

/// An in-process HTTP server on `127.0.0.1` that speaks the Azure AI model
/// inference wire format.
///
/// It serves `POST …/chat/completions` (plain and streamed),
/// `POST …/embeddings`, `POST …/images/embeddings`, `POST …/responses`,
/// `GET …/info` and `GET …/v1/models` (the v1 model list, for
/// [`ModelsClient`](crate::client::ModelsClient)), matched on the path
/// suffix so that any base works: the
/// v1 API's `/openai/v1` ([`v1_endpoint`](Self::v1_endpoint)), Azure
/// OpenAI's `/openai/deployments/<name>`, or none; the query
/// (`api-version`) is recorded but not checked. Below a v1 base a stream
/// carries its usage chunk only when the request asked for it with
/// `stream_options: {"include_usage": true}`, as the service does.
///
/// * **Scripted**: [`enqueue`](Self::enqueue) [`Reply`]s; each request, on any
///   route, takes the oldest one.
/// * **Demo mode**: with nothing queued, it answers like a tiny model. Chat
///   answers a friendly, deterministic text that says it is the demo
///   endpoint and quotes the start of the last user message (streamed when
///   the request has `"stream": true`, cut to `max_tokens` words with
///   `finish_reason: "length"`); when the request has `tools` and the last
///   message is the user's, it calls the first tool with `{}`. Embeddings are
///   deterministic unit vectors (8 dimensions unless `dimensions` says
///   otherwise; base64 little-endian `f32` for `encoding_format: "base64"`).
///   `/info` describes `demo-model`; `/v1/models` lists it. Token counts are whitespace-separated
///   words. The answered `model` is the request's, else `"demo-model"`.
///   Unknown routes get a 404, a wrong method a 405 and a body that is not a
///   JSON object a 400, all in the service's `{"error": {...}}` shape.
/// * **Recorded**: every request is recorded before it is answered; read
///   them with [`requests`](Self::requests) or await them with
///   [`wait_for_requests`](Self::wait_for_requests).
///
/// The server is listening as soon as `start` returns. Dropping the value
/// stops it: the port is closed at once (a later request fails to connect),
/// idle connections are closed, and answers still in progress (delays,
/// streams) are cut off. Dropping never blocks for long.
///
/// ```
/// use azure_ai_inference_otel::testing::{MockInferenceServer, Reply};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = MockInferenceServer::start().await?;
/// server.enqueue(Reply::error(429, "RateLimitExceeded", "slow down").with_header("retry-after", "1"));
/// server.enqueue(Reply::chat_completion("Hi there!"));
///
/// let client = reqwest::Client::builder().no_proxy().build()?;
/// let url = format!("{}/chat/completions?api-version=2024-05-01-preview", server.endpoint());
/// let body = serde_json::json!({"messages": [{"role": "user", "content": "Hello"}]});
/// let first = client.post(&url).header("api-key", "test-key").json(&body).send().await?;
/// assert_eq!(first.status(), 429);
/// let second: serde_json::Value = client.post(&url).json(&body).send().await?.json().await?;
/// assert_eq!(second["choices"][0]["message"]["content"], "Hi there!");
///
/// let requests = server.requests();
/// assert_eq!(requests.len(), 2);
/// assert_eq!(requests[0].header("api-key"), Some("test-key"));
/// assert_eq!(requests[0].query_param("api-version").as_deref(), Some("2024-05-01-preview"));
/// # Ok(())
/// # }
/// ```
pub struct MockInferenceServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<BackgroundThread>,
}

struct BackgroundThread {
    handle: JoinHandle<()>,
    /// Signalled when the thread is about to end. (In a `Mutex` only to keep
    /// the server `Sync`.)
    finished: Mutex<mpsc::Receiver<()>>,
}

impl fmt::Debug for MockInferenceServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockInferenceServer")
            .field("addr", &self.addr)
            .field("background", &self.thread.is_some())
            .field("pending_replies", &self.pending_replies())
            .field("recorded_requests", &lock(&self.shared.requests).len())
            .finish()
    }
}

impl MockInferenceServer {
    /// Binds `127.0.0.1:0` and serves on the current tokio runtime (the
    /// server runs in a `tokio::spawn`ed task). Fails when called outside a
    /// tokio runtime; use [`start_background`](Self::start_background) there.
    pub async fn start() -> io::Result<Self> {
        Self::start_with(Script::new(Box::new(Demo)), Mode::default()).await
    }

    /// [`start`](Self::start) answering from `script`.
    async fn start_with(script: Script, mode: Mode) -> io::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            io::Error::other(
                "MockInferenceServer::start must run inside a tokio runtime; use MockInferenceServer::start_background from synchronous code",
            )
        })?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(script, mode);
        *lock(&shared.listener) = Some(listener);
        runtime.spawn(serve(Arc::clone(&shared), addr));
        Ok(Self {
            addr,
            shared,
            thread: None,
        })
    }

    /// Binds `127.0.0.1:0` and serves from a thread of its own with its own
    /// tokio runtime, for synchronous code and the `azinfer` CLI. Works
    /// inside or outside a tokio runtime. Dropping the value stops the
    /// thread and waits up to about two seconds for it to end (it normally
    /// ends at once), then leaves it to finish on its own.
    pub fn start_background() -> io::Result<Self> {
        Self::start_background_with(Script::new(Box::new(Demo)), Mode::default())
    }

    /// [`start_background`](Self::start_background) answering from `script`.
    fn start_background_with(script: Script, mode: Mode) -> io::Result<Self> {
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let shared = Shared::new(script, mode);
        let (ready_tx, ready_rx) = mpsc::channel::<io::Result<()>>();
        let (finished_tx, finished_rx) = mpsc::channel::<()>();
        let thread_shared = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name(format!("mock-inference-{}", addr.port()))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let registered = {
                    let _entered = runtime.enter();
                    TcpListener::from_std(std_listener)
                };
                match registered {
                    Ok(listener) => *lock(&thread_shared.listener) = Some(listener),
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                }
                let _ = ready_tx.send(Ok(()));
                runtime.block_on(serve(Arc::clone(&thread_shared), addr));
                runtime.shutdown_timeout(Duration::from_millis(100));
                let _ = finished_tx.send(());
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = handle.join();
                return Err(e);
            }
            Err(_) => {
                let _ = handle.join();
                return Err(io::Error::other(
                    "the mock inference server thread ended before it started serving",
                ));
            }
        }
        Ok(Self {
            addr,
            shared,
            thread: Some(BackgroundThread {
                handle,
                finished: Mutex::new(finished_rx),
            }),
        })
    }

    /// The base URL to give a client: `http://127.0.0.1:PORT` (no trailing
    /// slash). Append a path such as `/openai/deployments/gpt-4o` for an
    /// Azure OpenAI style base; routes match on the path suffix.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The v1 API base on this server, `http://127.0.0.1:PORT/openai/v1`:
    /// what the examples and a real Foundry resource use (a model, the
    /// deployment name, is then required on every request).
    pub fn v1_endpoint(&self) -> String {
        format!("http://{}/openai/v1", self.addr)
    }

    /// The address the server listens on (`127.0.0.1:PORT`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues `reply` for a later request: each request, on any route, takes
    /// the oldest queued reply; with none left the server answers in demo
    /// mode.
    pub fn enqueue(&self, reply: Reply) {
        self.shared.script.enqueue(reply);
    }

    /// How many queued replies no request has taken yet.
    pub fn pending_replies(&self) -> usize {
        self.shared.script.pending()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Waits until at least `n` requests have been received (they are
    /// recorded before they are answered, so this also means "the server is
    /// now handling request `n`"), then returns them all. It waits forever
    /// if they never come: wrap it in `tokio::time::timeout`.
    pub async fn wait_for_requests(&self, n: usize) -> Vec<RecordedRequest> {
        let mut recorded = self.shared.recorded.subscribe();
        // The sender lives in `self.shared`, so this only ends by the count.
        let _ = recorded.wait_for(|count| *count >= n).await;
        self.requests()
    }
}

impl MockInferenceServer {
    fn stop_and_join(&mut self) {
        self.shared.stop();
        if let Some(thread) = self.thread.take() {
            // The thread ends within SHUTDOWN_GRACE plus the runtime's
            // shutdown timeout; if it has not, let it finish detached rather
            // than block here.
            let finished = thread
                .finished
                .into_inner()
                .unwrap_or_else(PoisonError::into_inner);
            if finished.recv_timeout(THREAD_JOIN_TIMEOUT).is_ok() {
                let _ = thread.handle.join();
            }
        }
    }
}

impl Drop for MockInferenceServer {
    fn drop(&mut self) {
        self.stop_and_join();
        if let Some(recorder) = &self.shared.mode.recorder {
            // `finish` reports errors; here there is no one to tell.
            let _ = recorder.write();
        }
    }
}

/// Runs the server until it is stopped, then gives connections
/// [`SHUTDOWN_GRACE`] to close.
async fn serve(shared: Arc<Shared>, addr: SocketAddr) {
    let router = Router::new()
        .fallback(handle_request)
        .with_state(Arc::clone(&shared));
    let listener = StopListener {
        shared: Arc::clone(&shared),
        addr,
    };
    let mut stop_signal = shared.stop.subscribe();
    let mut stop_grace = shared.stop.subscribe();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = stop_signal.wait_for(|stopped| *stopped).await;
    });
    tokio::select! {
        _ = server.into_future() => {}
        () = async move {
            let _ = stop_grace.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {}
    }
}

async fn handle_request(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if shared.is_stopped() {
        return cut_response();
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_REQUEST_BODY).await;
    let body_error = body.as_ref().err().map(ToString::to_string);
    let recorded = RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.unwrap_or_default(),
    };
    shared.record(recorded.clone());

    let reply = match body_error {
        Some(e) => Reply::error(
            400,
            "BadRequest",
            format!("could not read the request body (limit {MAX_REQUEST_BODY} bytes): {e}"),
        ),
        None => match &shared.mode.recorder {
            Some(recorder) if shared.script.pending() == 0 => {
                return recorder.forward(&recorded).await;
            }
            _ => shared.script.answer(&recorded),
        },
    };
    reply
        .into_response(&recorded, shared.stop.subscribe())
        .await
}

/// The listening socket, closed from outside by [`Shared::stop`].
struct StopListener {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

impl axum::serve::Listener for StopListener {
    type Io = StopIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (StopIo, SocketAddr) {
        loop {
            // Pending forever once the socket is gone: the graceful shutdown
            // signal then ends the accept loop.
            let accepted = poll_fn(|cx| match lock(&self.shared.listener).as_ref() {
                Some(listener) => listener.poll_accept(cx),
                None => Poll::Pending,
            })
            .await;
            match accepted {
                Ok((stream, peer)) => {
                    if self.shared.is_stopped() {
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let io = StopIo {
                        inner: stream,
                        shared: Arc::clone(&self.shared),
                    };
                    return (io, peer);
                }
                Err(e) if is_connection_error(&e) => {}
                // E.g. out of file descriptors: back off a little.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// A connection that fails every read and write once the server stopped,
/// so no answer leaves after the handle was dropped.
struct StopIo {
    inner: TcpStream,
    shared: Arc<Shared>,
}

impl StopIo {
    fn check(&self) -> io::Result<()> {
        if self.shared.is_stopped() {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the mock server stopped",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for StopIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for StopIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check()?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
