//! `ledgerlink reviews`: the customer-matching review items and the admin's decisions.

use anyhow::bail;
use ledgerlink::store::directory::Decision;
use ledgerlink::transfer::reviews::{self, Choice};

use super::args::ReviewsCommand;
use super::{Env, table};

pub fn run(env: &Env, command: ReviewsCommand) -> anyhow::Result<()> {
    let state = env.sync_state()?;
    match command {
        ReviewsCommand::List { connection, json } => {
            let reviews = reviews::list(&state, connection.as_deref())?;
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
            let choice = match (link, create, skip) {
                (Some(id), false, false) => Choice::Link(Some(id)),
                (None, true, false) => Choice::Create,
                (None, false, true) => Choice::Skip,
                _ => bail!("choose one of --link [<id>], --create, --skip"),
            };
            let (review, decision) = reviews::resolve(&state, &connection, &key, choice)?;
            println!(
                "Decided for {:?} ({key}): {}. The next `ledgerlink push-invoices` applies it.",
                review.home_name,
                reviews::describe(&decision)
            );
        }
    }
    Ok(())
}
