//! `ledgerlink quickstart`: ledgerlink's main job on embedded defaults, with nothing to set
//! up and no internet: [`flow`] runs it for every target (Xero by default, QuickBooks, csv).

mod book;
mod browser;
mod flow;
mod ordertrac;

use super::Env;
use super::args::QuickstartTarget;

pub async fn run(
    env: &Env,
    target: QuickstartTarget,
    serve: Option<std::net::SocketAddr>,
) -> anyhow::Result<()> {
    let target = match target {
        QuickstartTarget::Csv => flow::Target::Csv,
        QuickstartTarget::Salesorder => flow::Target::Salesorder,
        QuickstartTarget::Ordertrac => flow::Target::OrderTrac,
        QuickstartTarget::Xero => flow::Target::Xero,
        QuickstartTarget::Quickbooks => flow::Target::QuickBooks,
    };
    flow::run(env, target, serve).await
}
