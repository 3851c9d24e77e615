//! Builds the first-party plugins (`plugins/*`) and the test fixtures (`tests/fixtures/*`)
//! for `wasm32-wasip2`, so `cargo build` / `cargo test` / `cargo run` need no separate step.
//!
//! A nested `cargo build` runs with its own target folder (`target/wasm-plugins`), so it
//! never waits on the outer build's lock, and with the `plugin` profile (release, LTO).
//! Plugins are embedded in the binary (`src/builtin.rs`); fixtures are found by tests
//! through `LEDGERLINK_FIXTURES_DIR`.
//!
//! Set `LEDGERLINK_PREBUILT_PLUGINS=<dir>` to use already built `<crate>.wasm` files from
//! `<dir>` instead (packaging, or machines without the wasm target).

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    if let Err(message) = run() {
        // A build script's panic is the way to fail the build; the message is what the user reads.
        eprintln!("\nerror: {message}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let workspace = manifest_dir
        .parent()
        .ok_or("host/ has no parent folder")?
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);

    for watched in [
        "wit",
        "sdk",
        "plugins",
        "tests/fixtures",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-env-changed=LEDGERLINK_PREBUILT_PLUGINS");

    // The `e2e_postgres` test binary (tests/e2e_postgres.rs) is compiled only when a test
    // cluster is named: without one it is empty (0 tests), not a binary of skipped tests.
    // Setting or clearing the variable rebuilds the host.
    println!("cargo::rerun-if-env-changed=LEDGERLINK_TEST_DATABASE_URL");
    println!("cargo::rustc-check-cfg=cfg(e2e_postgres)");
    if env::var_os("LEDGERLINK_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=e2e_postgres");
    }

    let lock = fs::read_to_string(workspace.join("Cargo.lock")).unwrap_or_default();
    let wasmtime = locked_version(&lock, "wasmtime").unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=LEDGERLINK_WASMTIME_VERSION={wasmtime}");

    let plugins = crates_in(&workspace.join("plugins"))?;
    let fixtures = crates_in(&workspace.join("tests/fixtures"))?;

    let built: PathBuf = match env::var_os("LEDGERLINK_PREBUILT_PLUGINS") {
        Some(dir) => PathBuf::from(dir),
        None => build_all(&workspace, plugins.values().chain(fixtures.values()))?,
    };

    let fixtures_dir = out_dir.join("fixtures");
    fs::create_dir_all(&fixtures_dir).map_err(|e| e.to_string())?;
    for (dir_name, package) in &fixtures {
        let from = built.join(format!("{}.wasm", package.replace('-', "_")));
        if from.is_file() {
            copy(&from, &fixtures_dir.join(format!("{dir_name}.wasm")))?;
        } else if env::var_os("LEDGERLINK_PREBUILT_PLUGINS").is_none() {
            return Err(format!(
                "fixture {package} was built but {} is missing",
                from.display()
            ));
        }
    }
    println!(
        "cargo:rustc-env=LEDGERLINK_FIXTURES_DIR={}",
        fixtures_dir.display()
    );

    let mut code = String::from("static BUILTIN_PLUGINS: &[BuiltinPlugin] = &[\n");
    for (dir_name, package) in &plugins {
        let from = built.join(format!("{}.wasm", package.replace('-', "_")));
        let to = out_dir.join(format!("{dir_name}.wasm"));
        copy(&from, &to)?;
        let _ = writeln!(
            code,
            "    BuiltinPlugin {{ name: {dir_name:?}, wasm: include_bytes!({:?}) }},",
            to.display().to_string()
        );
    }
    code.push_str("];\n");
    fs::write(out_dir.join("builtin_plugins.rs"), code).map_err(|e| e.to_string())?;
    Ok(())
}

/// `dir/<name>/Cargo.toml` package names, by folder name, sorted.
fn crates_in(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut found = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(found);
    };
    for entry in entries.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|l| {
                let l = l.trim();
                l.strip_prefix("name")
                    .map(str::trim_start)
                    .and_then(|r| r.strip_prefix('='))
                    .map(|r| r.trim().trim_matches('"').to_owned())
            })
            .ok_or_else(|| format!("{} has no package name", manifest.display()))?;
        found.insert(entry.file_name().to_string_lossy().into_owned(), name);
    }
    Ok(found)
}

fn build_all<'a>(
    workspace: &Path,
    packages: impl Iterator<Item = &'a String>,
) -> Result<PathBuf, String> {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    ensure_target_installed()?;
    let target_dir = workspace.join("target").join("wasm-plugins");
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(workspace)
        .arg("build")
        .arg("--target")
        .arg(TARGET)
        .arg("--profile")
        .arg("plugin")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir);
    for p in packages {
        cmd.arg("-p").arg(p);
    }
    // The outer build's settings are for the host, not for wasm: don't pass them down.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_BUILD_RUSTFLAGS",
        "CLIPPY_ARGS",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        cmd.env_remove(var);
    }
    for (key, _) in env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PROFILE_")
            || key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_FEATURE_")
        {
            cmd.env_remove(key.as_ref());
        }
    }
    let status = cmd
        .status()
        .map_err(|e| format!("could not run {cargo} to build the plugins: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the plugins for {TARGET} failed (see the cargo output above)"
        ));
    }
    Ok(target_dir.join(TARGET).join("plugin"))
}

fn ensure_target_installed() -> Result<(), String> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("could not run {rustc}: {e}"))?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .is_dir()
    {
        Ok(())
    } else {
        Err(format!(
            "the {TARGET} target is not installed, and ledgerlink's plugins are built for it. Run `rustup target add {TARGET}` and build again (or set LEDGERLINK_PREBUILT_PLUGINS to a folder of built plugins)."
        ))
    }
}

fn locked_version(lock: &str, package: &str) -> Option<String> {
    let needle = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == needle {
            return lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = "))
                .map(|v| v.trim_matches('"').to_owned());
        }
    }
    None
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("could not copy {} to {}: {e}", from.display(), to.display()))
}
