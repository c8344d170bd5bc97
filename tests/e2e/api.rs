//! The few calls of the Prometheus and Alertmanager HTTP APIs the test makes.

use serde_json::Value;

pub struct Prometheus {
    base: String,
    http: reqwest::Client,
}

impl Prometheus {
    pub fn new(http: reqwest::Client, port: u16) -> Prometheus {
        Prometheus {
            base: format!("http://127.0.0.1:{port}"),
            http,
        }
    }

    /// The `data` of a successful answer, or the error Prometheus gave.
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, String> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .send()
            .await
            .map_err(|error| format!("GET {path}: {error}"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| format!("GET {path}: {status}, body not read: {error}"))?;
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|error| format!("GET {path}: {status}, body not JSON: {error}"))?;
        if body["status"] != "success" {
            return Err(format!(
                "{status} {}: {}",
                body["errorType"].as_str().unwrap_or("?"),
                body["error"].as_str().unwrap_or("?")
            ));
        }
        Ok(body["data"].clone())
    }

    /// An instant query at the current time: the number of series (or 1 for a scalar or
    /// string result).
    pub async fn query_count(&self, expr: &str) -> Result<usize, String> {
        let data = self.get("/api/v1/query", &[("query", expr)]).await?;
        match data["resultType"].as_str() {
            Some("vector") | Some("matrix") => {
                Ok(data["result"].as_array().map(Vec::len).unwrap_or(0))
            }
            Some("scalar") | Some("string") => Ok(1),
            other => Err(format!("unexpected resultType {other:?}")),
        }
    }

    /// Every rule of every group, as `/api/v1/rules` shows it.
    pub async fn rules(&self) -> Result<Vec<Value>, String> {
        let data = self.get("/api/v1/rules", &[]).await?;
        Ok(data["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|group| group["rules"].as_array().cloned().unwrap_or_default())
            .collect())
    }

    /// The scrape URLs of the active targets of `job`.
    pub async fn active_targets(&self, job: &str) -> Result<Vec<String>, String> {
        let data = self.get("/api/v1/targets", &[("state", "active")]).await?;
        Ok(data["activeTargets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|target| target["labels"]["job"] == job)
            .filter_map(|target| target["scrapeUrl"].as_str().map(str::to_owned))
            .collect())
    }

    /// The URLs of the Alertmanagers Prometheus sends to.
    pub async fn alertmanagers(&self) -> Result<Vec<String>, String> {
        let data = self.get("/api/v1/alertmanagers", &[]).await?;
        Ok(data["activeAlertmanagers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|am| am["url"].as_str().map(str::to_owned))
            .collect())
    }

    /// Re-reads the configuration and the rule files (needs `--web.enable-lifecycle`).
    pub async fn reload(&self) -> Result<(), String> {
        let response = self
            .http
            .post(format!("{}/-/reload", self.base))
            .send()
            .await
            .map_err(|error| format!("POST /-/reload: {error}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(format!("POST /-/reload: {status}: {body}"))
        }
    }

    /// Pending and firing alerts.
    pub async fn alerts(&self) -> Result<Vec<Value>, String> {
        let data = self.get("/api/v1/alerts", &[]).await?;
        Ok(data["alerts"].as_array().cloned().unwrap_or_default())
    }

    /// The values of `label` on the series that `selector` matches.
    pub async fn label_values(&self, label: &str, selector: &str) -> Result<Vec<String>, String> {
        let data = self
            .get(
                &format!("/api/v1/label/{label}/values"),
                &[("match[]", selector)],
            )
            .await?;
        Ok(data
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect())
    }
}

/// Alertmanager's view of its alerts (`GET /api/v2/alerts`), with their inhibition state.
pub async fn alertmanager_alerts(http: &reqwest::Client, port: u16) -> Result<Vec<Value>, String> {
    let url = format!("http://127.0.0.1:{port}/api/v2/alerts");
    let response = http
        .get(&url)
        .send()
        .await
        .map_err(|error| format!("GET {url}: {error}"))?;
    let bytes = response
        .bytes()
        .await
        .map_err(|error| format!("GET {url}: body not read: {error}"))?;
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|error| format!("GET {url}: body not JSON: {error}"))?;
    body.as_array()
        .cloned()
        .ok_or_else(|| format!("GET {url}: not a list: {body}"))
}

/// `name{key="value",…}` of a label object, for messages.
pub fn series(labels: &Value) -> String {
    let Some(map) = labels.as_object() else {
        return labels.to_string();
    };
    let name = map
        .get("alertname")
        .or_else(|| map.get("__name__"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let rest = map
        .iter()
        .filter(|(key, _)| *key != "alertname" && *key != "__name__")
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    format!("{name}{{{rest}}}")
}
