//! The `ledgerlink` command: a thin shell over the `ledgerlink` library.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
