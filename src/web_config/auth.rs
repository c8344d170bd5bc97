//! `basic_auth_users`: HTTP basic auth against bcrypt hashes.
//!
//! bcrypt is slow on purpose (tens of milliseconds at cost 10), and Prometheus sends the
//! same credentials on every scrape, so successful checks are remembered, keyed by an
//! HMAC of user and password under a key made at load time: the cache never holds a
//! password, and its keys are useless outside this process.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use http::HeaderValue;
use ring::hmac;

use super::WebConfig;

/// The answer to send with a 401.
pub const WWW_AUTHENTICATE: HeaderValue = HeaderValue::from_static("Basic realm=\"jamf_exporter\"");

/// Remembered successes are dropped all at once past this size; real deployments have a
/// handful of users, so this only bounds memory.
const MAX_CACHED: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthDecision {
    Allowed,
    /// Answer 401 with `WWW-Authenticate: Basic realm="jamf_exporter"` ([`WWW_AUTHENTICATE`]).
    Denied,
}

pub(super) struct BasicAuth {
    users: BTreeMap<String, String>,
    /// Checked when the user is unknown, so an unknown user costs one bcrypt run just
    /// like a known one: response time does not tell which users exist. It is a real
    /// user's hash, so its cost matches what the real users cost.
    dummy_hash: String,
    cache_key: hmac::Key,
    verified: Mutex<HashSet<[u8; 32]>>,
    /// One bcrypt at a time on the async path, as the toolkit does with a mutex.
    bcrypt_gate: tokio::sync::Semaphore,
}

impl BasicAuth {
    /// `None` when no users are configured (auth off).
    pub(super) fn new(users: BTreeMap<String, String>) -> Result<Option<BasicAuth>, String> {
        for (user, hash) in &users {
            // Never echo the hash: it is a secret too.
            let parts: bcrypt::HashParts = hash
                .parse()
                .map_err(|_| format!("{user}: the password is not a valid bcrypt hash"))?;
            if !(4..=31).contains(&parts.get_cost()) {
                return Err(format!(
                    "{user}: the bcrypt cost {} is outside 4 to 31",
                    parts.get_cost()
                ));
            }
        }
        let Some(dummy_hash) = users.values().next().cloned() else {
            return Ok(None);
        };
        let rng = ring::rand::SystemRandom::new();
        let cache_key = hmac::Key::generate(hmac::HMAC_SHA256, &rng)
            .map_err(|_| "cannot get random bytes for the credential cache".to_string())?;
        Ok(Some(BasicAuth {
            users,
            dummy_hash,
            cache_key,
            verified: Mutex::new(HashSet::new()),
            bcrypt_gate: tokio::sync::Semaphore::new(1),
        }))
    }

    pub(super) fn user_names(&self) -> Vec<&str> {
        self.users.keys().map(String::as_str).collect()
    }

    pub(super) fn authorize(&self, header: Option<&HeaderValue>) -> AuthDecision {
        let Some(credentials) = Credentials::parse(header) else {
            return AuthDecision::Denied;
        };
        match self.check_cache(&credentials) {
            Some(decision) => decision,
            None => self.verify(&credentials),
        }
    }

    fn cache_entry(&self, credentials: &Credentials) -> [u8; 32] {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        let mut context = hmac::Context::with_key(&self.cache_key);
        context.update(&(credentials.user.len() as u64).to_be_bytes());
        context.update(&credentials.user);
        context.update(&credentials.password);
        let mut entry = [0u8; 32];
        entry.copy_from_slice(context.sign().as_ref());
        entry
    }

    fn check_cache(&self, credentials: &Credentials) -> Option<AuthDecision> {
        let entry = self.cache_entry(credentials);
        let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        verified.contains(&entry).then_some(AuthDecision::Allowed)
    }

    fn verify(&self, credentials: &Credentials) -> AuthDecision {
        let known_hash = std::str::from_utf8(&credentials.user)
            .ok()
            .and_then(|user| self.users.get(user));
        let hash = known_hash.unwrap_or(&self.dummy_hash);
        let matches = bcrypt::verify(&credentials.password, hash).unwrap_or(false);
        if !(matches && known_hash.is_some()) {
            return AuthDecision::Denied;
        }
        let entry = self.cache_entry(credentials);
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= MAX_CACHED {
            verified.clear();
        }
        verified.insert(entry);
        AuthDecision::Allowed
    }

    #[cfg(test)]
    pub(super) fn n_cached(&self) -> usize {
        self.verified.lock().map(|v| v.len()).unwrap_or(0)
    }
}

pub(super) async fn authorize_async(
    config: Arc<WebConfig>,
    header: Option<HeaderValue>,
) -> AuthDecision {
    let Some(basic_auth) = &config.basic_auth else {
        return AuthDecision::Allowed;
    };
    let Some(credentials) = Credentials::parse(header.as_ref()) else {
        return AuthDecision::Denied;
    };
    if let Some(decision) = basic_auth.check_cache(&credentials) {
        return decision;
    }
    let Ok(_permit) = basic_auth.bcrypt_gate.acquire().await else {
        return AuthDecision::Denied;
    };
    let config_for_bcrypt = config.clone();
    let verified = tokio::task::spawn_blocking(move || {
        config_for_bcrypt
            .basic_auth
            .as_ref()
            .map_or(AuthDecision::Denied, |b| b.verify(&credentials))
    })
    .await;
    verified.unwrap_or(AuthDecision::Denied)
}

/// User and password from an `Authorization: Basic` header, as bytes: like Go's
/// `BasicAuth`, nothing requires them to be UTF-8.
struct Credentials {
    user: Vec<u8>,
    password: zeroize::Zeroizing<Vec<u8>>,
}

impl Credentials {
    fn parse(header: Option<&HeaderValue>) -> Option<Credentials> {
        let value = header?.as_bytes();
        let scheme = value.get(..6)?;
        if !scheme.eq_ignore_ascii_case(b"basic ") {
            return None;
        }
        let decoded = zeroize::Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(&value[6..])
                .ok()?,
        );
        let colon = decoded.iter().position(|&b| b == b':')?;
        Some(Credentials {
            user: decoded[..colon].to_vec(),
            password: zeroize::Zeroizing::new(decoded[colon + 1..].to_vec()),
        })
    }
}
