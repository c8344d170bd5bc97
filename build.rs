//! Records the git revision and the compiler version for `--version` and
//! `jamf_exporter_build_info`.

use std::process::Command;

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    let revision = std::env::var("JAMF_EXPORTER_REVISION")
        .ok()
        .or_else(|| output("git", &["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = output(&rustc, &["--version"])
        .and_then(|line| line.split_whitespace().nth(1).map(|v| format!("rustc {v}")))
        .unwrap_or_else(|| "rustc unknown".to_owned());
    println!("cargo:rustc-env=JAMF_EXPORTER_REVISION={revision}");
    println!("cargo:rustc-env=JAMF_EXPORTER_RUSTC={rustc_version}");
    println!("cargo:rerun-if-env-changed=JAMF_EXPORTER_REVISION");
    if let Some(git_dir) = output("git", &["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
        println!("cargo:rerun-if-changed={git_dir}/refs/heads");
    }
}
