//! The `ledgerlink` command: a thin shell over the `ledgerlink` library.

mod cli;

use std::process::ExitCode;

/// mimalloc, not the system allocator: transfers allocate and free millions of small
/// strings, which glibc's malloc handles several times slower (docs/performance.md, round 8).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    restore_sigpipe();
    ledgerlink::allocator::tune();
    cli::main()
}

/// Rust ignores SIGPIPE, so printing to a closed pipe (`ledgerlink runs show 1 | head`)
/// panics. A command-line tool should simply stop, as `cat` does: restore the default.
#[cfg(unix)]
#[allow(unsafe_code)]
fn restore_sigpipe() {
    // SAFETY: called first thing in `main`, before any other thread exists; `signal` with
    // `SIG_DFL` only resets the disposition of SIGPIPE and touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
