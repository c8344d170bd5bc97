#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Integration tests: the real exporter against the simulated Jamf Pro over real HTTP.

mod admin_views;
mod auth;
mod check;
mod config_errors;
mod fault_matrix;
mod faults;
mod golden;
mod happy_path;
mod harness;
mod hostile;
mod mdm_profiles;
mod multi_target;
mod process;
mod properties;
mod proxy;
mod renewals;
mod secrets;
mod tls;
mod web;
