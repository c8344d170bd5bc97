//! A webhook receiver that records every notification Alertmanager posts to it.
//!
//! Each receiver of the Alertmanager configuration posts to its own path, `/<receiver>`, so the
//! test can tell which route an alert took.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One alert of one notification.
#[derive(Debug, Clone)]
pub struct Notified {
    /// The path it was posted to.
    pub path: String,
    /// The `receiver` of the notification.
    pub receiver: String,
    /// `firing` or `resolved`.
    pub status: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub received: Instant,
}

/// The part of Alertmanager's webhook payload (version 4) the test reads.
#[derive(Deserialize)]
struct Payload {
    receiver: String,
    alerts: Vec<PayloadAlert>,
}

#[derive(Deserialize)]
struct PayloadAlert {
    status: String,
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Default)]
struct Record {
    alerts: Vec<Notified>,
    errors: Vec<String>,
}

pub struct Webhook {
    pub addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    task: JoinHandle<()>,
}

impl Webhook {
    pub async fn start() -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("webhook binds 127.0.0.1:0");
        let addr = listener.local_addr().expect("webhook address");
        let record = Arc::new(Mutex::new(Record::default()));
        let task = tokio::spawn(serve(listener, record.clone()));
        Webhook { addr, record, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Every alert of every notification so far, in arrival order.
    pub fn alerts(&self) -> Vec<Notified> {
        self.record.lock().unwrap().alerts.clone()
    }

    /// Requests that were not a decodable notification.
    pub fn errors(&self) -> Vec<String> {
        self.record.lock().unwrap().errors.clone()
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, record: Arc<Mutex<Record>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let record = record.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, record.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    request: Request<Incoming>,
    record: Arc<Mutex<Record>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            record
                .lock()
                .unwrap()
                .errors
                .push(format!("{method} {path}: body not read: {error}"));
            return Ok(answer(StatusCode::BAD_REQUEST));
        }
    };
    let mut record = record.lock().unwrap();
    if method != Method::POST {
        record.errors.push(format!("unexpected {method} {path}"));
        return Ok(answer(StatusCode::METHOD_NOT_ALLOWED));
    }
    match serde_json::from_slice::<Payload>(&body) {
        Ok(payload) => {
            let received = Instant::now();
            for alert in payload.alerts {
                record.alerts.push(Notified {
                    path: path.clone(),
                    receiver: payload.receiver.clone(),
                    status: alert.status,
                    labels: alert.labels,
                    annotations: alert.annotations,
                    received,
                });
            }
            Ok(answer(StatusCode::OK))
        }
        Err(error) => {
            record.errors.push(format!(
                "POST {path}: not an Alertmanager notification: {error}: {}",
                String::from_utf8_lossy(&body)
            ));
            Ok(answer(StatusCode::BAD_REQUEST))
        }
    }
}

fn answer(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
