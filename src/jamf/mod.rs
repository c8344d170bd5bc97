//! Everything that talks to Jamf Pro (directly or through the Jamf Platform API gateway): the HTTP client, the wire types, date parsing and
//! error classification. No other module does Jamf I/O, and serde types stay here.

mod body;
pub mod client;
pub mod dates;
pub mod error;
pub mod http;
pub mod model;
pub mod paging;
pub mod platform;
mod retry;
pub mod token;

pub use client::{ClientCounters, ClientSettings, JamfClient, Refresh, Route};
pub use error::{JamfError, Reason};
pub use http::{ClientBuildError, ProxySettings, SharedHttp};
pub use platform::{Api, Context, RateGates};
pub use token::Auth;
