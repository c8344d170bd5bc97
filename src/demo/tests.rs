//! The simulator over real HTTP, driven by a plain reqwest client.

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use super::*;

fn client() -> Client {
    Client::builder().no_proxy().build().unwrap()
}

/// The crate's reqwest has no `json` feature; parse the bytes instead.
async fn json_body(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

fn config(dataset: Dataset) -> SimulatorConfig {
    SimulatorConfig {
        dataset,
        ..SimulatorConfig::demo()
    }
}

async fn start(config: SimulatorConfig) -> Simulator {
    Simulator::start(config).await.unwrap()
}

/// The OAuth token request with the demo credentials.
async fn oauth_response(client: &Client, sim: &Simulator) -> reqwest::Response {
    client
        .post(format!("{}/api/oauth/token", sim.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "demo-secret"),
        ])
        .send()
        .await
        .unwrap()
}

/// The OAuth token answer for the demo credentials, which must be a 200.
async fn oauth_answer(client: &Client, sim: &Simulator) -> Value {
    let response = oauth_response(client, sim).await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

/// A bearer token for the demo credentials.
async fn oauth(client: &Client, sim: &Simulator) -> String {
    let body = oauth_answer(client, sim).await;
    body["access_token"].as_str().unwrap().to_string()
}

async fn get(client: &Client, sim: &Simulator, path: &str, token: &str) -> (StatusCode, Value) {
    let response = client
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn ids(page: &Value) -> Vec<&str> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

fn location_with_id(id: &str) -> Value {
    json!({ "id": id, "name": format!("Location {id}"), "totalPurchasedLicenses": 1 })
}

fn assert_invalid_token(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["httpStatus"], 401);
    assert_eq!(body["errors"][0]["code"], "INVALID_TOKEN");
}

#[tokio::test]
async fn oauth_token_is_issued_and_reads_data() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let body = oauth_answer(&client, &sim).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "api-role:1");
    assert_eq!(body["expires_in"], 1799);
    let token = body["access_token"].as_str().unwrap();
    let (status, version) = get(&client, &sim, "/api/v1/jamf-pro-version", token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version, json!({"version": "11.23.2-t1767621885710"}));
    assert_eq!(sim.tokens_issued(), 1);
}

#[tokio::test]
async fn oauth_form_values_are_url_decoded() {
    let mut config = SimulatorConfig::demo();
    config.credentials.client_secret = "s3cr&t +%/=é".to_string();
    let sim = start(config).await;
    let response = client()
        .post(format!("{}/api/v1/oauth/token", sim.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "s3cr&t +%/=é"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn oauth_wrong_secret_gets_400_invalid_client() {
    let sim = start(SimulatorConfig::demo()).await;
    let response = client()
        .post(format!("{}/api/oauth/token", sim.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "demo-client"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = json_body(response).await;
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(sim.tokens_issued(), 0);
}

#[tokio::test]
async fn oauth_unversioned_path_can_be_missing_while_versioned_works() {
    let sim = start(SimulatorConfig {
        oauth_unversioned_missing: true,
        ..SimulatorConfig::demo()
    })
    .await;
    let client = client();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "demo-client"),
        ("client_secret", "demo-secret"),
    ];
    let unversioned = client
        .post(format!("{}/api/oauth/token", sim.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(unversioned.status(), StatusCode::NOT_FOUND);
    let versioned = client
        .post(format!("{}/api/v1/oauth/token", sim.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(versioned.status(), StatusCode::OK);
}

#[tokio::test]
async fn user_token_flow_issues_keeps_alive_and_invalidates() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let before = Utc::now();
    let response = client
        .post(format!("{}/api/v1/auth/token", sim.base_url()))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = json_body(response).await;
    let first = body["token"].as_str().unwrap().to_string();
    let expires_text = body["expires"].as_str().unwrap();
    // RFC 3339 UTC with milliseconds, e.g. 2026-05-11T14:52:09.117Z.
    assert_eq!(expires_text.len(), 24, "{expires_text}");
    assert!(expires_text.ends_with('Z'));
    let expires = DateTime::parse_from_rfc3339(expires_text).unwrap();
    let lifetime = expires.with_timezone(&Utc) - before;
    assert!(lifetime > TimeDelta::seconds(1790) && lifetime < TimeDelta::seconds(1810));

    let (status, _) = get(&client, &sim, "/api/v1/notifications", &first).await;
    assert_eq!(status, StatusCode::OK);

    let response = client
        .post(format!("{}/api/v1/auth/keep-alive", sim.base_url()))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = json_body(response).await;
    let second = body["token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let (status, body) = get(&client, &sim, "/api/v1/notifications", &first).await;
    assert_invalid_token(status, &body);
    let (status, _) = get(&client, &sim, "/api/v1/notifications", &second).await;
    assert_eq!(status, StatusCode::OK);

    let response = client
        .post(format!("{}/api/v1/auth/invalidate-token", sim.base_url()))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = get(&client, &sim, "/api/v1/notifications", &second).await;
    assert_invalid_token(status, &body);
    assert_eq!(sim.tokens_issued(), 2);
}

#[tokio::test]
async fn user_token_with_wrong_or_missing_basic_auth_gets_401() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let url = format!("{}/api/v1/auth/token", sim.base_url());
    let wrong = client
        .post(&url)
        .basic_auth("demo", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        json_body(wrong).await,
        json!({"httpStatus": 401, "errors": []})
    );
    let missing = client.post(&url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let garbage = client
        .post(&url)
        .header("Authorization", "Basic !!!not-base64")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sim.tokens_issued(), 0);
}

#[tokio::test]
async fn missing_or_unknown_token_gets_401() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let response = client
        .get(format!(
            "{}/api/v1/volume-purchasing-locations",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = json_body(response).await;
    assert_invalid_token(status, &body);
    let (status, body) = get(&client, &sim, "/api/v1/device-enrollments", "made-up").await;
    assert_invalid_token(status, &body);
}

#[tokio::test]
async fn expired_token_gets_401() {
    let sim = start(SimulatorConfig {
        token_lifetime: Duration::from_secs(1),
        ..SimulatorConfig::demo()
    })
    .await;
    let client = client();
    let body = oauth_answer(&client, &sim).await;
    assert_eq!(body["expires_in"], 0);
    let token = body["access_token"].as_str().unwrap();
    let (status, _) = get(&client, &sim, "/api/v1/notifications", token).await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, body) = get(&client, &sim, "/api/v1/notifications", token).await;
    assert_invalid_token(status, &body);
}

#[tokio::test]
async fn revoked_token_gets_401() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.revoke_tokens();
    let (status, body) = get(&client, &sim, "/api/v1/notifications", &token).await;
    assert_invalid_token(status, &body);
    let fresh = oauth(&client, &sim).await;
    let (status, _) = get(&client, &sim, "/api/v1/notifications", &fresh).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unauthenticated_endpoints_need_no_token() {
    let mut dataset = Dataset::demo(Utc::now());
    dataset.healthcheck = (
        503,
        r#"[{"healthCode":4,"httpCode":503,"description":"Initializing"}]"#.to_string(),
    );
    let sim = start(config(dataset)).await;
    let client = client();
    let health = client
        .get(format!("{}/healthCheck.html", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        health.text().await.unwrap(),
        r#"[{"healthCode":4,"httpCode":503,"description":"Initializing"}]"#
    );
    let ca = client
        .get(format!(
            "{}/api/v1/pki/certificate-authority/active",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ca.status(), StatusCode::OK);
    assert!(json_body(ca).await["notAfter"].is_i64());
    assert_eq!(
        sim.requests()
            .iter()
            .map(|r| r.auth.as_str())
            .collect::<Vec<_>>(),
        ["none", "none"]
    );
}

#[tokio::test]
async fn missing_builtin_ca_gets_404() {
    let sim = start(config(Dataset::empty())).await;
    let response = client()
        .get(format!(
            "{}/api/v1/pki/certificate-authority/active",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn locations_page_with_a_clamp_of_two_sorted_by_numeric_id() {
    let mut dataset = Dataset::empty();
    dataset.vpp_locations = ["10", "2", "1", "3", "20"]
        .into_iter()
        .map(location_with_id)
        .collect();
    let sim = start(SimulatorConfig {
        max_page_size: 2,
        ..config(dataset)
    })
    .await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let mut seen = Vec::new();
    for page in 0..4 {
        let (status, body) = get(
            &client,
            &sim,
            &format!(
                "/api/v1/volume-purchasing-locations?page={page}&page-size=2000&sort=id%3Aasc"
            ),
            &token,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["totalCount"], 5);
        seen.push(ids(&body).join(","));
    }
    assert_eq!(seen, ["1,2", "3,10", "20", ""]);
    let (_, descending) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations?sort=id:desc",
        &token,
    )
    .await;
    assert_eq!(ids(&descending), ["20", "10"]);
}

#[tokio::test]
async fn default_page_size_is_100() {
    let sim = start(config(Dataset::synthetic(150, 0, Utc::now()))).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let (_, first) = get(&client, &sim, "/api/v1/volume-purchasing-locations", &token).await;
    assert_eq!(first["totalCount"], 150);
    assert_eq!(first["results"].as_array().unwrap().len(), 100);
    let (_, second) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations?page=1",
        &token,
    )
    .await;
    assert_eq!(second["results"].as_array().unwrap().len(), 50);
    assert_eq!(ids(&second)[0], "101");
}

#[tokio::test]
async fn bad_paging_parameters_get_400() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    for query in ["page=-1", "page-size=0", "page=x", "sort=id:sideways"] {
        let (status, body) = get(
            &client,
            &sim,
            &format!("/api/v1/device-enrollments?{query}"),
            &token,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["httpStatus"], 400);
    }
}

#[tokio::test]
async fn content_and_enrollments_page_with_a_clamp_of_two() {
    let sim = start(SimulatorConfig {
        max_page_size: 2,
        ..SimulatorConfig::demo()
    })
    .await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let mut names = Vec::new();
    for page in 0..3 {
        let (status, body) = get(
            &client,
            &sim,
            &format!("/api/v1/volume-purchasing-locations/1/content?page={page}&page-size=2000"),
            &token,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["totalCount"], 5);
        for item in body["results"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(names.len(), 5);
    assert!(names.contains(&"Code Builder for Mac".to_string()));

    let (_, sorted) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations/1/content?sort=name:asc",
        &token,
    )
    .await;
    assert_eq!(sorted["results"][0]["name"], "Atlas of the Oceans");

    let (_, ade) = get(
        &client,
        &sim,
        "/api/v1/device-enrollments?page-size=1",
        &token,
    )
    .await;
    assert_eq!(ade["totalCount"], 2);
    assert_eq!(ids(&ade), ["1"]);
}

#[tokio::test]
async fn location_views_and_unknown_location() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let (_, list) = get(&client, &sim, "/api/v1/volume-purchasing-locations", &token).await;
    assert!(list["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|location| location.get("content").is_none()));
    let (status, one) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations/1",
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["id"], "1");
    assert_eq!(one["content"].as_array().unwrap().len(), 5);
    let (_, no_content) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations/6",
        &token,
    )
    .await;
    assert_eq!(no_content["content"], json!([]));
    for path in [
        "/api/v1/volume-purchasing-locations/99",
        "/api/v1/volume-purchasing-locations/99/content",
    ] {
        let (status, body) = get(&client, &sim, path, &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["httpStatus"], 404);
        assert_eq!(body["errors"][0]["id"], "99");
    }
    let (status, empty) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations/6/content",
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty, json!({"totalCount": 0, "results": []}));
}

#[tokio::test]
async fn enrollment_syncs_latest_single_and_all() {
    let mut dataset = Dataset::demo(Utc::now());
    dataset.ade_latest_sync.remove("2");
    let sim = start(config(dataset)).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let (status, latest) = get(
        &client,
        &sim,
        "/api/v1/device-enrollments/1/syncs/latest",
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(latest["syncState"], "SUCCESSFUL");
    for path in [
        "/api/v1/device-enrollments/2/syncs/latest",
        "/api/v1/device-enrollments/7/syncs/latest",
        "/api/v1/device-enrollments/7",
    ] {
        let (status, _) = get(&client, &sim, path, &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, all) = get(&client, &sim, "/api/v1/device-enrollments/syncs", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 1);
    let (_, one) = get(&client, &sim, "/api/v1/device-enrollments/2", &token).await;
    assert_eq!(one["name"], "LUSD Staff Macs (ABM)");
}

#[tokio::test]
async fn notifications_are_a_bare_array() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let (status, body) = get(&client, &sim, "/api/v1/notifications", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn vpp_script_switches_after_two_listings() {
    let sim = start(SimulatorConfig {
        max_page_size: 5,
        ..SimulatorConfig::demo()
    })
    .await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let district_office = |page: &Value| {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|location| location["id"] == "9")
            .cloned()
            .unwrap()
    };
    for listing in 0..3 {
        let (_, first) = get(
            &client,
            &sim,
            "/api/v1/volume-purchasing-locations?page=0&page-size=2000",
            &token,
        )
        .await;
        assert_eq!(ids(&first).len(), 5);
        // Later pages of a listing must not advance the script.
        let (_, second) = get(
            &client,
            &sim,
            "/api/v1/volume-purchasing-locations?page=1&page-size=2000",
            &token,
        )
        .await;
        let location = district_office(&second);
        if listing < 2 {
            assert_eq!(
                location["totalPurchasedLicenses"], 1200,
                "listing {listing}"
            );
            assert_eq!(location["locationName"], "District Office");
        } else {
            assert_eq!(location["totalPurchasedLicenses"], 0);
            assert_eq!(location["totalUsedLicenses"], 0);
            assert_eq!(location["locationName"], "Lakeview High School");
            assert_eq!(location["name"], "District Office");
        }
    }
    assert_eq!(sim.vpp_list_answers(), 3);
    let (_, single) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations/9",
        &token,
    )
    .await;
    assert_eq!(single["totalPurchasedLicenses"], 0);
}

#[tokio::test]
async fn update_dataset_changes_later_answers() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.update_dataset(|dataset| {
        dataset.version = "11.30.1-t1781234567890".to_string();
        dataset.notifications.clear();
    });
    let (_, version) = get(&client, &sim, "/api/v1/jamf-pro-version", &token).await;
    assert_eq!(version["version"], "11.30.1-t1781234567890");
    let (_, notifications) = get(&client, &sim, "/api/v1/notifications", &token).await;
    assert_eq!(notifications, json!([]));
}

#[tokio::test]
async fn odd_planted_values_are_served_verbatim() {
    let mut dataset = Dataset::empty();
    let odd = json!({
        "id": "1",
        "name": "Quote \" and\nnewline, Peña",
        "totalPurchasedLicenses": null,
        "totalUsedLicenses": "12",
        "tokenExpiration": 5,
    });
    dataset.vpp_locations = vec![odd.clone(), json!({"id": null}), json!("not an object")];
    let sim = start(config(dataset)).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let (status, body) = get(&client, &sim, "/api/v1/volume-purchasing-locations", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["totalCount"], 3);
    assert_eq!(body["results"][0], odd);
}

#[tokio::test]
async fn unknown_path_gets_404_and_wrong_method_gets_405() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    for path in ["/api/v1/computers", "/", "/api/v1//notifications"] {
        let (status, body) = get(&client, &sim, path, &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["httpStatus"], 404);
        assert_eq!(body["errors"][0]["code"], "NOT_FOUND");
    }
    let response = client
        .delete(format!("{}/api/v1/notifications", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET");
    let (status, _) = get(&client, &sim, "/api/oauth/token", &token).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn requests_are_recorded_without_secrets() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations?page=0&page-size=2000",
        &token,
    )
    .await;
    client
        .post(format!("{}/api/v1/auth/token", sim.base_url()))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    let requests = sim.requests();
    assert_eq!(
        requests,
        [
            RecordedRequest {
                method: "POST".to_string(),
                path: "/api/oauth/token".to_string(),
                query: String::new(),
                status: 200,
                auth: "none".to_string(),
            },
            RecordedRequest {
                method: "GET".to_string(),
                path: "/api/v1/volume-purchasing-locations".to_string(),
                query: "page=0&page-size=2000".to_string(),
                status: 200,
                auth: "bearer".to_string(),
            },
            RecordedRequest {
                method: "POST".to_string(),
                path: "/api/v1/auth/token".to_string(),
                query: String::new(),
                status: 200,
                auth: "basic".to_string(),
            },
        ]
    );
    assert_eq!(sim.request_count("/api/v1/volume-purchasing-locations"), 1);
    assert_eq!(sim.request_count("/api/v1/volume"), 0);
    let recorded = format!("{requests:?}");
    assert!(!recorded.contains("demo-secret") && !recorded.contains(&token));
    assert!(!format!("{:?}", SimulatorConfig::demo()).contains("demo-secret"));
}

#[tokio::test]
async fn status_fault_applies_n_times_then_expires() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule {
        path: "/api/v1/notifications".to_string(),
        fault: Fault::Status {
            status: 503,
            body: "<html>maintenance</html>".to_string(),
            content_type: "text/html".to_string(),
            retry_after: Some("7".to_string()),
        },
        times: Some(2),
    });
    let url = format!("{}/api/v1/notifications", sim.base_url());
    for _ in 0..2 {
        let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "7");
        assert_eq!(response.headers()["content-type"], "text/html");
        assert_eq!(response.text().await.unwrap(), "<html>maintenance</html>");
    }
    let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(sim.request_count("/api/v1/notifications"), 3);
    let statuses: Vec<u16> = sim.requests().iter().skip(1).map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[tokio::test]
async fn faults_match_prefixes_in_insertion_order_and_can_be_cleared() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule::always(
        "/api/v1/volume-purchasing-locations/*",
        Fault::status(500),
    ));
    sim.inject(FaultRule::always(
        "/api/v1/volume-purchasing-locations*",
        Fault::status(502),
    ));
    let (status, _) = get(
        &client,
        &sim,
        "/api/v1/volume-purchasing-locations/1/content",
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, body) = get(&client, &sim, "/api/v1/volume-purchasing-locations", &token).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body["httpStatus"], 502);
    let (status, _) = get(&client, &sim, "/api/v1/notifications", &token).await;
    assert_eq!(status, StatusCode::OK);
    sim.clear_faults();
    let (status, _) = get(&client, &sim, "/api/v1/volume-purchasing-locations", &token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn faults_apply_to_token_endpoints_too() {
    let sim = start(SimulatorConfig::demo()).await;
    sim.inject(FaultRule::times("/api/oauth/token", Fault::status(503), 1));
    let client = client();
    let response = client
        .post(format!("{}/api/oauth/token", sim.base_url()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    oauth(&client, &sim).await;
    assert_eq!(sim.tokens_issued(), 1);
}

#[tokio::test]
async fn body_fault_returns_200_with_raw_body() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule::always(
        "/api/v1/jamf-pro-version",
        Fault::Body(r#"{"version": 11"#.to_string()),
    ));
    let (status, body) = get(&client, &sim, "/api/v1/jamf-pro-version", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, Value::String(r#"{"version": 11"#.to_string()));
}

#[tokio::test]
async fn delay_fault_answers_normally_after_the_delay() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule::times(
        "/api/v1/notifications",
        Fault::Delay(Duration::from_millis(300)),
        1,
    ));
    let started = Instant::now();
    let (status, _) = get(&client, &sim, "/api/v1/notifications", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn delay_fault_still_records_a_request_the_client_abandons() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule::always(
        "/api/v1/notifications",
        Fault::Delay(Duration::from_secs(30)),
    ));
    let result = client
        .get(format!("{}/api/v1/notifications", sim.base_url()))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(result.is_err_and(|error| error.is_timeout()));
    assert_eq!(sim.request_count("/api/v1/notifications"), 1);
    assert_eq!(sim.requests()[1].status, 0);
}

#[tokio::test]
async fn trickle_fault_sends_the_body_slowly() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule::always(
        "/api/v1/notifications",
        Fault::Trickle {
            total_bytes: 50,
            chunk: 10,
            every: Duration::from_millis(100),
        },
    ));
    let started = Instant::now();
    let response = client
        .get(format!("{}/api/v1/notifications", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(body.len(), 50);
    assert!(serde_json::from_slice::<Value>(&body).unwrap().is_array());
}

#[tokio::test]
async fn huge_fault_streams_a_body_of_the_given_size() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let size = 20 * 1024 * 1024 + 3;
    sim.inject(FaultRule::always(
        "/api/v1/notifications",
        Fault::Huge { bytes: size },
    ));
    let mut response = client
        .get(format!("{}/api/v1/notifications", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Streamed: no length announced up front.
    assert!(response.content_length().is_none());
    let mut received = 0;
    let mut last = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len();
        last = chunk.last().copied().unwrap_or(last);
    }
    assert_eq!(received, size);
    assert_eq!(last, b']');
}

#[tokio::test]
async fn cut_short_fault_announces_more_than_it_sends() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule::always(
        "/api/v1/notifications",
        Fault::CutShort {
            declared_bytes: 1000,
            sent_bytes: 10,
        },
    ));
    let mut response = client
        .get(format!("{}/api/v1/notifications", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(1000));
    let mut received = Vec::new();
    let error = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => panic!("the body ended cleanly after {} bytes", received.len()),
            Err(error) => break error,
        }
    };
    assert!(error.is_decode(), "{error:?}");
    assert_eq!(received, b"[ 0,0,0,0,");
}

#[tokio::test]
async fn tls_identity_that_rustls_cannot_use_is_invalid_input() {
    let identity = TlsIdentity {
        cert_pem: "not a certificate".to_owned(),
        key_pem: "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n".to_owned(),
    };
    assert!(!format!("{identity:?}").contains("c2VjcmV0"));
    let error = Simulator::start(SimulatorConfig {
        tls: Some(identity),
        ..SimulatorConfig::demo()
    })
    .await
    .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn tls_simulator_serves_https() {
    let key = rcgen::KeyPair::generate().unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let sim = start(SimulatorConfig {
        tls: Some(TlsIdentity {
            cert_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        }),
        ..SimulatorConfig::demo()
    })
    .await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let trusting = Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(certificate.pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let response = trusting
        .get(format!("{}/healthCheck.html", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // A client without the certificate is refused during the handshake.
    let error = client()
        .get(format!("{}/healthCheck.html", sim.base_url()))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert_eq!(sim.request_count("/healthCheck.html"), 1);
}

#[tokio::test]
async fn issued_token_values_are_recorded() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let first = oauth(&client, &sim).await;
    let second = oauth(&client, &sim).await;
    assert_eq!(sim.issued_tokens(), vec![first, second]);
    assert_eq!(sim.tokens_issued(), 2);
}

#[tokio::test]
async fn reset_fault_closes_the_connection_without_answering() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    sim.inject(FaultRule::times("/api/v1/notifications", Fault::Reset, 1));
    let result = client
        .get(format!("{}/api/v1/notifications", sim.base_url()))
        .bearer_auth(&token)
        .send()
        .await;
    assert!(result.is_err());
    let (status, _) = get(&client, &sim, "/api/v1/notifications", &token).await;
    assert_eq!(status, StatusCode::OK);
    let statuses: Vec<u16> = sim.requests().iter().skip(1).map(|r| r.status).collect();
    assert_eq!(statuses, [0, 200]);
}

#[tokio::test]
async fn latency_is_added_to_every_answer() {
    let sim = start(SimulatorConfig {
        latency: Duration::from_millis(150),
        ..SimulatorConfig::demo()
    })
    .await;
    let started = Instant::now();
    let response = client()
        .get(format!("{}/healthCheck.html", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_connections_are_served() {
    let sim = start(config(Dataset::synthetic(3000, 2, Utc::now()))).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..200 {
        let client = client.clone();
        let url = format!(
            "{}/api/v1/volume-purchasing-locations?page={}&page-size=20",
            sim.base_url(),
            index % 150
        );
        let token = token.clone();
        tasks.spawn(async move {
            let response = client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let body: Value = json_body(response).await;
            body["results"].as_array().unwrap().len()
        });
    }
    let mut total = 0;
    while let Some(result) = tasks.join_next().await {
        total += result.unwrap();
    }
    assert_eq!(total, 200 * 20);
}

#[tokio::test]
async fn garbage_on_the_wire_does_not_stop_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = start(SimulatorConfig::demo()).await;
    for garbage in [
        &b"\x00\x01\x02 not http\r\n\r\n"[..],
        b"GET /%%%?\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"POST /api/oauth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\n\xff\xfe=\xff&",
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Basic \xff\xff\r\n\r\n",
    ] {
        let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
        stream.write_all(garbage).await.unwrap();
        let mut buffer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut buffer)).await;
    }
    let response = client()
        .get(format!("{}/healthCheck.html", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let sim = start(SimulatorConfig::demo()).await;
    let addr = sim.addr();
    assert_eq!(sim.base_url(), format!("http://127.0.0.1:{}", addr.port()));
    sim.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let sim = start(SimulatorConfig::demo()).await;
    let addr = sim.addr();
    // An open keep-alive connection must not outlive the simulator.
    let client = client();
    client
        .get(format!("{}/healthCheck.html", sim.base_url()))
        .send()
        .await
        .unwrap();
    drop(sim);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    assert!(client
        .get(format!("http://{addr}/healthCheck.html"))
        .send()
        .await
        .is_err());
}

fn days_until(now: DateTime<Utc>, text: &str) -> f64 {
    let at = DateTime::parse_from_rfc3339(text).unwrap();
    (at.with_timezone(&Utc) - now).num_seconds() as f64 / 86_400.0
}

#[test]
fn demo_dataset_shows_every_kind_of_trouble() {
    let now = Utc::now();
    let demo = Dataset::demo(now);
    let by_id = |id: &str| {
        demo.vpp_locations
            .iter()
            .find(|location| location["id"] == id)
            .unwrap()
    };
    let expiry = |id: &str| days_until(now, by_id(id)["tokenExpiration"].as_str().unwrap());
    let licences = |id: &str| {
        (
            by_id(id)["totalPurchasedLicenses"].as_u64().unwrap(),
            by_id(id)["totalUsedLicenses"].as_u64().unwrap(),
        )
    };

    // Healthy.
    assert!((199.0..201.0).contains(&expiry("1")));
    assert_eq!(licences("1"), (4850, 3912));
    let synced = days_until(now, by_id("1")["lastSyncTime"].as_str().unwrap());
    assert!((-0.05..0.0).contains(&synced));
    // Expiring soon, imminent, expired, missing.
    assert!((19.0..21.0).contains(&expiry("2")));
    assert!((4.0..6.0).contains(&expiry("3")));
    assert!((-3.5..-2.5).contains(&expiry("4")));
    assert_eq!(by_id("5")["tokenExpiration"], "");
    // Licences: never any, exhausted, mismatch.
    assert_eq!(licences("6"), (0, 0));
    let (purchased, used) = licences("7");
    assert!(purchased > 0 && purchased == used);
    assert_eq!(by_id("8")["clientContextMismatch"], true);
    let mismatched = demo
        .vpp_locations
        .iter()
        .filter(|location| location["clientContextMismatch"] == true)
        .count();
    assert_eq!(mismatched, 1);
    // Escaping material.
    assert!(demo
        .vpp_locations
        .iter()
        .any(|location| location["name"] == "Escuela Peña Blanca"));
    assert!(demo
        .vpp_locations
        .iter()
        .any(|location| location["name"] == "St. Mary's Annex"));
    // Sync recent everywhere but at the expired token.
    for location in &demo.vpp_locations {
        let age = -days_until(now, location["lastSyncTime"].as_str().unwrap());
        let id = location["id"].as_str().unwrap();
        // 4 expired long ago; 10 was renewed without a sync since.
        assert!(
            age >= 0.0 && (age < 1.0 || id == "4" || id == "10"),
            "location {id}"
        );
        assert!(location["siteId"].is_string() && location["siteName"].is_string());
    }
    assert!(demo
        .vpp_locations
        .iter()
        .any(|location| location["siteId"] == "-1" && location["siteName"] == "None"));

    // The worst case: licences first, then 0 and another location's Apple name.
    let (purchased, _) = licences("9");
    assert!(purchased > 0);
    assert_eq!(demo.vpp_script.len(), 1);
    let step = &demo.vpp_script[0];
    assert_eq!(
        (step.after_list_requests, step.location_id.as_str()),
        (2, "9")
    );
    assert_eq!(step.patch["totalPurchasedLicenses"], 0);
    assert_eq!(step.patch["totalUsedLicenses"], 0);
    let new_name = step.patch["locationName"].as_str().unwrap();
    assert_ne!(new_name, by_id("9")["locationName"]);
    assert!(demo
        .vpp_locations
        .iter()
        .any(|location| location["locationName"] == new_name));

    // Content: several locations, 3–6 items, all kinds, one over-assigned.
    assert!(demo.vpp_content.len() >= 3);
    let mut kinds = std::collections::BTreeSet::new();
    let mut over_assigned = 0;
    for (id, items) in &demo.vpp_content {
        assert!((3..=6).contains(&items.len()), "location {id}");
        assert!(demo.vpp_locations.iter().any(|l| l["id"] == id.as_str()));
        for item in items {
            kinds.insert(item["contentType"].as_str().unwrap().to_string());
            assert!(item["adamId"].is_string());
            if item["licenseCountInUse"].as_u64() > item["licenseCountTotal"].as_u64() {
                over_assigned += 1;
            }
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["BOOK", "IOS_APP", "MAC_APP"]
    );
    assert_eq!(over_assigned, 1);

    // ADE: one healthy, one soon and failing, in both timestamp forms.
    assert_eq!(demo.ade_instances.len(), 2);
    let ade_days = |index: usize| {
        let date = demo.ade_instances[index]["tokenExpirationDate"]
            .as_str()
            .unwrap();
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        (date - now.date_naive()).num_days()
    };
    assert!((149..=151).contains(&ade_days(0)));
    assert!((24..=26).contains(&ade_days(1)));
    assert_eq!(demo.ade_latest_sync["1"]["syncState"], "SUCCESSFUL");
    assert!(demo.ade_latest_sync["1"]["timestamp"]
        .as_str()
        .unwrap()
        .ends_with("+0000"));
    assert_eq!(demo.ade_latest_sync["2"]["syncState"], "CONNECTION_ERROR");
    let zoneless = demo.ade_latest_sync["2"]["timestamp"].as_str().unwrap();
    assert!(chrono::NaiveDateTime::parse_from_str(zoneless, "%Y-%m-%dT%H:%M:%S%.3f").is_ok());

    // Notifications.
    let notifications: Vec<(&str, &str)> = demo
        .notifications
        .iter()
        .map(|n| (n["type"].as_str().unwrap(), n["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        notifications,
        [
            ("PUSH_CERT_WILL_EXPIRE", "0"),
            ("VPP_ACCOUNT_WILL_EXPIRE", "2"),
            ("VPP_ACCOUNT_WILL_EXPIRE", "3"),
            ("VPP_ACCOUNT_EXPIRED", "4"),
            ("DEP_INSTANCE_WILL_EXPIRE", "2"),
            ("DEVICE_ENROLLMENT_PROGRAM_T_C_NOT_SIGNED", "1"),
        ]
    );

    // CA about four years out, in epoch seconds; version; health.
    let not_after = demo.builtin_ca.as_ref().unwrap()["notAfter"]
        .as_i64()
        .unwrap();
    let years = (not_after - now.timestamp()) as f64 / (365.0 * 86_400.0);
    assert!((3.9..4.1).contains(&years));
    assert_eq!(demo.version, "11.23.2-t1767621885710");
    assert_eq!(demo.healthcheck, (200, "[]".to_string()));
}

#[test]
fn demo_dataset_is_a_function_of_now() {
    let now = Utc::now();
    assert_eq!(Dataset::demo(now), Dataset::demo(now));
    let later = Dataset::demo(now + TimeDelta::days(400));
    assert_ne!(Dataset::demo(now), later);
}

#[test]
fn synthetic_dataset_has_the_requested_size() {
    let now = Utc::now();
    let synthetic = Dataset::synthetic(2500, 4, now);
    assert_eq!(synthetic.vpp_locations.len(), 2500);
    assert_eq!(synthetic.vpp_content.len(), 2500);
    assert!(synthetic.vpp_content.values().all(|items| items.len() == 4));
    assert_eq!(synthetic.vpp_locations[2499]["id"], "2500");
    assert_eq!(Dataset::synthetic(2500, 4, now), synthetic);
    assert!(Dataset::empty().vpp_locations.is_empty());
}

#[tokio::test]
async fn raw_token_lifetimes_are_sent_verbatim() {
    let sim = start(SimulatorConfig {
        raw_expires_in: Some("1e20".to_owned()),
        raw_user_token_expires: Some("\"99999-01-01T00:00:00Z\"".to_owned()),
        ..SimulatorConfig::demo()
    })
    .await;
    let client = client();
    let text = oauth_response(&client, &sim).await.text().await.unwrap();
    assert!(text.ends_with(r#""expires_in":1e20}"#), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(body["access_token"].is_string());
    let user = client
        .post(format!("{}/api/v1/auth/token", sim.base_url()))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    let text = user.text().await.unwrap();
    assert!(
        text.contains(r#""expires":"99999-01-01T00:00:00Z""#),
        "{text}"
    );
}

#[tokio::test]
async fn renewal_endpoints_serve_the_demo_and_404_when_not_configured() {
    let sim = start(SimulatorConfig::demo()).await;
    let http = client();
    let token = oauth(&http, &sim).await;
    let (status, identities) = get(&http, &sim, "/api/v1/supervision-identities", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(identities["totalCount"], 2);
    let (status, csa) = get(&http, &sim, "/api/v1/csa/token", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csa["refreshExpiration"].is_i64());
    let (status, sso) = get(&http, &sim, "/api/v2/sso/cert", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sso["keystoreDetails"]["expiration"].is_string());
    let (status, providers) = get(&http, &sim, "/api/v1/cloud-idp", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&providers), ["1001", "1002"]);
    let (status, ldap) = get(&http, &sim, "/api/v2/cloud-ldaps/1001", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ldap["server"]["keystore"]["expirationDate"].is_string());
    let (status, _) = get(&http, &sim, "/api/v2/cloud-ldaps/1002", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Every renewal endpoint needs a token.
    let (status, body) = get(&http, &sim, "/api/v2/sso/cert", "not-a-token").await;
    assert_invalid_token(status, &body);

    sim.update_dataset(|dataset| *dataset = Dataset::empty());
    for path in ["/api/v1/csa/token", "/api/v2/sso/cert"] {
        let (status, body) = get(&http, &sim, path, &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(body["httpStatus"], 404, "{path}");
    }
    let (status, identities) = get(&http, &sim, "/api/v1/supervision-identities", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(identities["totalCount"], 0);
}

#[test]
fn demo_renewals_are_due_as_documented() {
    let now = Utc::now();
    let demo = Dataset::demo(now);
    let date = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    };
    let days = |at: DateTime<Utc>| (at - now).num_seconds() as f64 / 86_400.0;
    let identity = demo.supervision_identities[0]["expirationDate"]
        .as_str()
        .unwrap();
    assert!((24.0..=25.0).contains(&days(date(identity))));
    let sso = demo.sso_cert.as_ref().unwrap()["keystoreDetails"]["expiration"]
        .as_str()
        .unwrap();
    let sso = chrono::NaiveDateTime::parse_from_str(sso, "%Y-%m-%dT%H:%M:%S%.3f")
        .unwrap()
        .and_utc();
    assert!((10.0..11.0).contains(&days(sso)));
    let csa = demo.csa_token.as_ref().unwrap()["refreshExpiration"]
        .as_i64()
        .unwrap();
    assert!(days(DateTime::from_timestamp(csa, 0).unwrap()) > 30.0);
    assert_eq!(demo.cloud_ldaps.len(), 1);
}

#[tokio::test]
async fn device_lists_are_filtered_sorted_by_profile_expiry_and_paged() {
    let sim = start(SimulatorConfig::demo()).await;
    let client = client();
    let token = oauth(&client, &sim).await;
    let path = "/api/v4/computers-inventory?section=GENERAL&page=0&page-size=2\
                &sort=general.mdmCertificateExpiration:asc&filter=general.remoteManagement.managed==true";
    let (status, body) = get(&client, &sim, path, &token).await;
    assert_eq!(status, StatusCode::OK);
    // Eight computers, one unmanaged; the expired one first, a missing date last.
    assert_eq!(body["totalCount"], 7);
    let names: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["general"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["LIB-MAC-01", "OFFICE-MAC-1"]);
    let last = path.replace("page=0", "page=3");
    let (_, body) = get(&client, &sim, &last, &token).await;
    assert_eq!(body["results"][0]["general"]["name"], "OFFICE-MAC-2");
    assert_eq!(sim.request_count("/api/v4/computers-inventory"), 2);

    let unknown = "/api/v2/mobile-devices/detail?sort=general.noSuchField:asc";
    let (status, body) = get(&client, &sim, unknown, &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["code"], "INVALID_FIELD");
}
