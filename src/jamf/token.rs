//! The bearer token's lifecycle: obtaining one (OAuth client credentials, or a local
//! account's basic auth exchanged for a token), caching and renewing it, forgetting a
//! refused one, and keeping a failed token request for the rest of its refresh.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::client::{lock, Answer, JamfClient, Route};
use super::error::JamfError;
use super::model::{OAuthToken, UserToken};
use super::platform::Api;
use crate::secret::Secret;

/// The longest a token is kept, whatever lifetime the server claims for it.
const MAX_TOKEN_CACHE: Duration = Duration::from_secs(24 * 60 * 60);
/// The lifetime assumed for an OAuth token whose answer gives none.
const DEFAULT_OAUTH_LIFETIME: Duration = Duration::from_secs(60);
/// The lifetime assumed for a user token whose answer gives no usable expiry.
const DEFAULT_USER_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// How the exporter logs in to Jamf: an API client (recommended) or a local account.
#[derive(Debug, Clone)]
pub enum Auth {
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    User {
        username: String,
        password: Secret,
    },
}

struct BearerToken {
    value: Secret,
    renew_after: Instant,
    generation: u64,
}

/// One Jamf server's login and its cached bearer token. It outlives refreshes.
pub(super) struct Tokens {
    auth: Auth,
    slot: Mutex<Option<BearerToken>>,
    /// Numbers each token, so a 401 forgets only the token it refused.
    generation: AtomicU64,
    /// The server answered 404 on `/api/oauth/token`, so `/api/v1/oauth/token` is used.
    oauth_versioned: AtomicBool,
}

/// A refresh's failed token request. Refused credentials cost one failed login per
/// refresh, not one per collector: Jamf may lock a local account after a few.
#[derive(Default)]
pub(super) struct LoginFailure(std::sync::Mutex<Option<JamfError>>);

impl Tokens {
    pub(super) fn new(auth: Auth) -> Tokens {
        Tokens {
            auth,
            slot: Mutex::new(None),
            generation: AtomicU64::new(0),
            oauth_versioned: AtomicBool::new(false),
        }
    }

    /// The current bearer token and its generation, obtaining a new one when none is
    /// cached or it is close to expiry. Renewal is serialised: parallel collectors wait
    /// for one token request, and once it has failed, `failure` answers for the rest of
    /// the refresh without asking again.
    pub(super) async fn bearer(
        &self,
        client: &JamfClient,
        failure: &LoginFailure,
        deadline: Instant,
    ) -> Result<(Secret, u64), JamfError> {
        let mut slot = self.slot.lock().await;
        if let Some(token) = slot.as_ref() {
            if Instant::now() < token.renew_after {
                return Ok((token.value.clone(), token.generation));
            }
        }
        if let Some(error) = lock(&failure.0).clone() {
            return Err(error);
        }
        let (value, lifetime) = match self.obtain(client, deadline).await {
            Ok(obtained) => obtained,
            Err(error) => {
                *lock(&failure.0) = Some(error.clone());
                return Err(error);
            }
        };
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *slot = Some(BearerToken {
            value: value.clone(),
            renew_after: renewal_time(Instant::now(), lifetime),
            generation,
        });
        Ok((value, generation))
    }

    /// Forgets the token only if it is still the one that was refused.
    pub(super) async fn forget(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if slot
            .as_ref()
            .is_some_and(|token| token.generation == generation)
        {
            *slot = None;
        }
    }

    async fn obtain(
        &self,
        client: &JamfClient,
        deadline: Instant,
    ) -> Result<(Secret, Duration), JamfError> {
        match &self.auth {
            Auth::ClientCredentials {
                client_id,
                client_secret,
            } => {
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", client_secret.expose()),
                ];
                let mut versioned = self.oauth_versioned.load(Ordering::SeqCst);
                loop {
                    let route = Route::fixed(client.api.oauth_path(versioned));
                    let answer = client
                        .post(&route, deadline, |request| request.form(&form))
                        .await?;
                    let pro = matches!(client.api, Api::Pro);
                    if answer.status == StatusCode::NOT_FOUND && !versioned && pro {
                        // Servers without the unversioned path have the /v1 one.
                        versioned = true;
                        self.oauth_versioned.store(true, Ordering::SeqCst);
                        continue;
                    }
                    let token: OAuthToken = token_answer(&route, answer)?;
                    let lifetime = oauth_lifetime(token.expires_in, route.template)?;
                    return Ok((Secret::new(token.access_token), lifetime));
                }
            }
            Auth::User { username, password } => {
                let route = Route::fixed("/api/v1/auth/token");
                let answer = client
                    .post(&route, deadline, |request| {
                        request.basic_auth(username, Some(password.expose()))
                    })
                    .await?;
                let token: UserToken = token_answer(&route, answer)?;
                let lifetime = user_token_lifetime(token.expires.as_ref(), chrono::Utc::now());
                Ok((Secret::new(token.token), lifetime))
            }
        }
    }
}

/// When a token obtained at `now` with `lifetime` should be renewed: well before it
/// expires (lifetimes as short as 60 s are seen in the wild), and never later than
/// `MAX_TOKEN_CACHE` whatever lifetime the server claims.
fn renewal_time(now: Instant, lifetime: Duration) -> Instant {
    let margin = Duration::from_secs(300).min(lifetime / 3);
    let kept = lifetime.saturating_sub(margin).min(MAX_TOKEN_CACHE);
    now.checked_add(kept).unwrap_or(now)
}

/// The lifetime an OAuth answer's `expires_in` gives. A missing, zero or negative value
/// is taken as the shortest lifetime seen in practice; one that is no duration at all
/// (1e20 seconds) makes the answer unusable.
fn oauth_lifetime(expires_in: Option<f64>, endpoint: &str) -> Result<Duration, JamfError> {
    match expires_in {
        Some(seconds) if seconds > 0.0 => {
            Duration::try_from_secs_f64(seconds).map_err(|_| JamfError::Decode {
                endpoint: endpoint.to_owned(),
                detail: "expires_in is not a usable number of seconds".to_owned(),
            })
        }
        _ => Ok(DEFAULT_OAUTH_LIFETIME),
    }
}

/// The lifetime a user token's `expires` gives, measured from `now`; unknown or past
/// expiries fall back to a short default.
fn user_token_lifetime(
    expires: Option<&serde_json::Value>,
    now: chrono::DateTime<chrono::Utc>,
) -> Duration {
    expires
        .and_then(expiry_from_json)
        .and_then(|expires| (expires - now).to_std().ok())
        .filter(|lifetime| !lifetime.is_zero())
        .unwrap_or(DEFAULT_USER_TOKEN_LIFETIME)
}

/// Interprets a token endpoint's answer. 400 and 401 mean the credentials were refused;
/// the body is never quoted, since it may echo what was sent.
fn token_answer<T: DeserializeOwned>(route: &Route, answer: Answer) -> Result<T, JamfError> {
    let status = answer.status.as_u16();
    match status {
        200..=299 => serde_json::from_slice(&answer.body).map_err(|_| JamfError::Decode {
            endpoint: route.template.to_owned(),
            detail: "the token response is not the expected JSON".to_owned(),
        }),
        400 | 401 => Err(JamfError::Auth {
            endpoint: route.template.to_owned(),
            detail: format!("HTTP {status}: Jamf refused the credentials"),
        }),
        _ => Err(JamfError::from_status(route.template, status)),
    }
}

fn expiry_from_json(value: &serde_json::Value) -> Option<chrono::DateTime<chrono::Utc>> {
    match value {
        serde_json::Value::String(text) => super::dates::parse(text),
        serde_json::Value::Number(number) => number.as_i64().and_then(super::dates::from_epoch),
        _ => None,
    }
}
