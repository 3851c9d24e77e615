//! `ledgerlink quickstart`: ledgerlink's main job on embedded defaults, with nothing to set
//! up and no internet. See [`vendor`] for the accounting-system variants (Xero by default)
//! and [`csv`] for the file-only one.

mod book;
mod browser;
mod csv;
mod vendor;

use super::Env;
use super::args::QuickstartTarget;

pub async fn run(env: &Env, target: QuickstartTarget) -> anyhow::Result<()> {
    match target {
        QuickstartTarget::Csv => csv::run(env).await,
        QuickstartTarget::Xero => vendor::run(env, vendor::Target::Xero).await,
        QuickstartTarget::Quickbooks => vendor::run(env, vendor::Target::QuickBooks).await,
    }
}
