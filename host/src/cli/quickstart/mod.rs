//! `ledgerlink quickstart`: ledgerlink's main job on embedded defaults, with nothing to set
//! up and no internet: [`flow`] runs it for every target (Xero by default, QuickBooks, csv).

mod book;
mod browser;
mod flow;
mod ordertrac;

use super::Env;
use super::args::QuickstartTarget;

pub async fn run(env: &Env, target: QuickstartTarget) -> anyhow::Result<()> {
    match target {
        QuickstartTarget::Csv => flow::run(env, flow::Target::Csv).await,
        QuickstartTarget::Salesorder => flow::run(env, flow::Target::Salesorder).await,
        QuickstartTarget::Ordertrac => flow::run(env, flow::Target::OrderTrac).await,
        QuickstartTarget::Xero => flow::run(env, flow::Target::Xero).await,
        QuickstartTarget::Quickbooks => flow::run(env, flow::Target::QuickBooks).await,
    }
}
