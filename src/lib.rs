//! jamf_exporter: a Prometheus exporter for Jamf Pro.
#![forbid(unsafe_code)]

pub mod demo;
pub mod web_config;
