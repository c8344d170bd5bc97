//! Records the git revision and the compiler version for `--version` and
//! `jamf_exporter_build_info`, and lists the runbooks of `docs/runbooks/` for
//! `src/runbooks.rs` to build in.

use std::path::Path;
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

/// Writes `runbooks.rs` into `OUT_DIR`: one `(name, include_str!(path))` per
/// `docs/runbooks/*.md`, sorted by name, so a new runbook needs no code change.
fn list_runbooks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/runbooks");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|read| {
            read.filter_map(Result::ok)
                .filter_map(|entry| {
                    let path = entry.path();
                    let name = path.file_stem()?.to_str()?.to_owned();
                    (path.extension()? == "md").then(|| (name, path.display().to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    let mut code = String::from("pub const RUNBOOKS: &[(&str, &str)] = &[\n");
    for (name, path) in &entries {
        println!("cargo:rerun-if-changed={path}");
        code.push_str(&format!("    ({name:?}, include_str!({path:?})),\n"));
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_owned());
    if let Err(error) = std::fs::write(Path::new(&out).join("runbooks.rs"), code) {
        println!("cargo:warning=cannot write the runbook list: {error}");
    }
}

fn main() {
    list_runbooks();
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
