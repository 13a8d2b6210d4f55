//! End to end, the way a service sets it up: the pipeline installed
//! globally (providers and propagator), the `tracing` layer in the global
//! subscriber, a client built with default options, the handler on a
//! multi-thread runtime, `shutdown_async` at the end. Everything reaches the
//! Braintrust stand-in and the OTLP collector once, linked.
//!
//! One test in this file: it sets the global providers and subscriber.

mod support;
use support::e2e;

use azure_ai_inference_otel::telemetry::TelemetryOptions;
use azure_ai_inference_otel::testing::MockInferenceServer;
use e2e::{HANDLER, Sinks};
use tracing::Instrument;
use tracing_subscriber::prelude::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installed_globally_like_a_service() {
    let sinks = Sinks::start();
    let server = MockInferenceServer::start().await.expect("mock server");
    e2e::script(&server);
    let (guard, layer) = sinks
        .pipeline("e2e-global")
        .install_with_tracing()
        .expect("pipeline installs");
    tracing_subscriber::registry().with(layer).init();

    // Default options: the global providers, and (for `traceparent`) the
    // propagator the pipeline installed, not one set by the test.
    let client = e2e::client(&server, TelemetryOptions::new());
    tokio::spawn(async move { e2e::calls(&client).await }.instrument(tracing::info_span!(HANDLER)))
        .await
        .expect("handler task");

    guard.shutdown_async().await.expect("clean shutdown");
    e2e::assert_delivered(&sinks, &server);
}
