//! `ledgerlink reviews`: the customer-matching review items and the admin's decisions.

use anyhow::bail;
use ledgerlink::store::directory::Decision;
use ledgerlink::store::sync_state::SyncState;

use super::args::ReviewsCommand;
use super::{Env, table};

pub fn run(env: &Env, command: ReviewsCommand) -> anyhow::Result<()> {
    let state = SyncState::open(&env.data.database())?;
    match command {
        ReviewsCommand::List { connection, json } => {
            let reviews = state.reviews(connection.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&reviews)?);
                return Ok(());
            }
            let mut t = table::new(&[
                "CONNECTION",
                "TRACKER PRO",
                "NAME",
                "CANDIDATES",
                "WHY",
                "DECISION",
            ]);
            for r in &reviews {
                t.add_row(vec![
                    r.connection.clone(),
                    r.home_key.clone(),
                    table::printable(&r.home_name),
                    r.candidates
                        .iter()
                        .map(|c| format!("{} {}", c.remote_id, table::printable(&c.name)))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    table::printable(&r.reason),
                    match &r.decision {
                        None => "open".to_owned(),
                        Some(Decision::Link(id)) => format!("link {id}"),
                        Some(Decision::Create) => "create".to_owned(),
                        Some(Decision::Skip) => "skip".to_owned(),
                    },
                ]);
            }
            println!("{t}");
            let open = reviews.iter().filter(|r| r.decision.is_none()).count();
            println!(
                "{open} open review item(s). Decide with `ledgerlink reviews resolve --connection <name> <key> --link [<id>] | --create | --skip`; the next push applies it."
            );
        }
        ReviewsCommand::Resolve {
            connection,
            key,
            link,
            create,
            skip,
        } => {
            let Some(review) = state
                .reviews(Some(&connection))?
                .into_iter()
                .find(|r| r.home_key == key)
            else {
                bail!(
                    "there is no review item for customer {key:?} on connection {connection:?}; `ledgerlink reviews list` shows them"
                );
            };
            let decision = match (link, create, skip) {
                (Some(id), false, false) => {
                    let id = if id.is_empty() {
                        match review.candidates.as_slice() {
                            [one] => one.remote_id.clone(),
                            many => bail!(
                                "customer {key:?} has {} candidates ({}); name one: --link <id>",
                                many.len(),
                                many.iter()
                                    .map(|c| c.remote_id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        }
                    } else {
                        id
                    };
                    if let Some(other) = state.linked_home_key(&connection, "customers", &id)? {
                        bail!(
                            "target customer {id} is already linked to Tracker Pro customer {other}; one target customer serves one Tracker Pro customer — choose --create or --skip"
                        );
                    }
                    Decision::Link(id)
                }
                (None, true, false) => Decision::Create,
                (None, false, true) => Decision::Skip,
                _ => bail!("choose one of --link [<id>], --create, --skip"),
            };
            state.decide_review(&connection, &key, &decision)?;
            println!(
                "Decided for {:?} ({key}): {}. The next `ledgerlink push-invoices` applies it.",
                review.home_name,
                match &decision {
                    Decision::Link(id) => format!("link to {id}"),
                    Decision::Create => "create a new customer".to_owned(),
                    Decision::Skip => "leave it out".to_owned(),
                }
            );
        }
    }
    Ok(())
}
