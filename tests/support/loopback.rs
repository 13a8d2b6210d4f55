//! The one loopback-server skeleton: an axum `Router` served on
//! `127.0.0.1:0` from a thread of its own with its own Tokio runtime, so it
//! keeps answering whatever the test does with its own thread or runtime (a
//! blocking `shutdown()` on a `current_thread` runtime included). Dropping
//! it stops the server and joins the thread.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use axum::Router;

/// A running loopback server; stopped when dropped.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Serves `app` on a single-threaded runtime.
    pub fn start(name: &str, app: Router) -> Self {
        Self::start_with(name, app, None)
    }

    /// Serves `app` on a runtime with `workers` worker threads (for servers
    /// that block a handler while others must still answer).
    pub fn start_multi_thread(name: &str, app: Router, workers: usize) -> Self {
        Self::start_with(name, app, Some(workers))
    }

    fn start_with(name: &str, app: Router, workers: Option<usize>) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut builder = match workers {
                    Some(n) => {
                        let mut b = tokio::runtime::Builder::new_multi_thread();
                        b.worker_threads(n);
                        b
                    }
                    None => tokio::runtime::Builder::new_current_thread(),
                };
                let runtime = builder.enable_all().build().expect("server runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind loopback");
                    ready_tx
                        .send(listener.local_addr().expect("local addr"))
                        .expect("report address");
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await
                        .expect("serve");
                });
            })
            .expect("server thread");
        let addr = ready_rx.recv().expect("server address");
        LoopbackServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://127.0.0.1:<port>` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A loopback port nothing listens on (bound, then released): connecting to
/// it is refused.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local addr").port()
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
