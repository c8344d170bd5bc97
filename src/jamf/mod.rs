//! Everything that talks to Jamf Pro: the HTTP client, the wire types, date parsing and
//! error classification. No other module does Jamf I/O, and serde types stay here.

pub mod client;
pub mod dates;
pub mod error;
pub mod model;

pub use client::{
    Auth, ClientBuildError, ClientSettings, JamfClient, ProxySettings, Refresh, Route, SharedHttp,
};
pub use error::{JamfError, Reason};
