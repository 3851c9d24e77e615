//! `ledgerlink home ...`: Tracker Pro's records (the home book) — import, export, show and
//! flags. The file formats are in `docs/home-format.md`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};

use super::{Env, table};
use ledgerlink::home::flags::{self, Flag};
use ledgerlink::home::import::{Format, ImportSource};
use ledgerlink::home::model::RecordKind;
use ledgerlink::home::{export, summary};
use ledgerlink::store::home::{ChangeCounts, HomeStore};
use ledgerlink::transfer::home_book;

/// `ledgerlink home ...`
#[derive(Debug, Subcommand)]
pub enum HomeCommand {
    /// Import customers, jobs, contracts and contract invoices from JSON or CSV files
    /// (docs/home-format.md). Every file is checked first: if any has a problem, every
    /// problem is listed (file, line, field) and nothing is imported. Records are updated
    /// by Tracker Pro id; nothing is deleted.
    Import {
        /// The files (.json, .csv); several are imported together, all or nothing, so jobs
        /// may refer to customers in another file of the same import.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// The files' format, when their extension does not say.
        #[arg(long, value_enum)]
        format: Option<FileFormat>,
        /// What CSV files hold, when their first column does not say.
        #[arg(long, value_enum)]
        kind: Option<Kind>,
    },
    /// Write the whole home book in the import format (docs/home-format.md): one JSON
    /// document (to standard output or a file), or with --format csv the four CSV files
    /// customers.csv, jobs.csv, contracts.csv and contract-invoices.csv in the folder given
    /// by --out. Importing the export into an empty book gives the same book.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
        /// JSON: write to this file (replaced atomically) instead of standard output.
        /// CSV (required): the folder for the four files; it is created if missing, and
        /// files of those names in it are replaced, each atomically.
        #[arg(long, value_name = "FILE|FOLDER")]
        out: Option<PathBuf>,
    },
    /// Count the records, and those the next transfer would pick up.
    Show {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Force a record into (set) or out of (clear) the next transfer.
    Flags {
        #[command(subcommand)]
        command: FlagsCommand,
    },
}

/// `ledgerlink home flags ...`
#[derive(Debug, Subcommand)]
pub enum FlagsCommand {
    /// Set flags: both Ready-for-Invoice flags of a job or contract invoice (--ready, the
    /// default for them), or a customer's "flagged for integration" (--integration, the
    /// default for customers).
    Set(FlagArgs),
    /// Clear the same flags.
    Clear(FlagArgs),
}

/// Which record, which flag.
#[derive(Debug, clap::Args)]
pub struct FlagArgs {
    /// The kind of record.
    #[arg(value_enum)]
    pub record: FlagRecord,
    /// Its Tracker Pro id.
    pub id: String,
    /// Both Ready-for-Invoice flags (jobs, contract invoices).
    #[arg(long)]
    pub ready: bool,
    /// "Flagged for integration" (customers).
    #[arg(long)]
    pub integration: bool,
}

/// A home-book file format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    /// One JSON document.
    Json,
    /// One CSV file per kind of record.
    Csv,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// One JSON document (the import format).
    Json,
    /// One CSV file per kind of record, in the folder given by --out.
    Csv,
}

/// What a CSV file holds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Customers (first column customer_id).
    Customers,
    /// Jobs, one row per invoice line (first column job_id).
    Jobs,
    /// Service contracts (first column contract_id).
    Contracts,
    /// Contract invoices, one row per invoice line (first column contract_invoice_id).
    ContractInvoices,
}

/// Records whose flags can be set.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FlagRecord {
    /// A job.
    Job,
    /// A contract invoice.
    ContractInvoice,
    /// A customer.
    Customer,
}

/// Run a `home` command.
pub fn run(env: &Env, command: HomeCommand) -> anyhow::Result<()> {
    let store = HomeStore::from_db(env.db()?);
    match command {
        HomeCommand::Import {
            files,
            format,
            kind,
        } => import_files(&store, files, format, kind),
        HomeCommand::Export { format, out } => match format {
            ExportFormat::Json => export_json(&store, out.as_deref()),
            ExportFormat::Csv => {
                let Some(folder) = out else {
                    anyhow::bail!(
                        "a CSV export is four files; pass --out <folder> to say where to write them"
                    );
                };
                export_csv(&store, &folder)
            }
        },
        HomeCommand::Show { json } => show(&store, json),
        HomeCommand::Flags { command } => {
            let (args, on) = match command {
                FlagsCommand::Set(a) => (a, true),
                FlagsCommand::Clear(a) => (a, false),
            };
            set_flags(&store, args, on)
        }
    }
}

fn export_json(store: &HomeStore, out: Option<&Path>) -> anyhow::Result<()> {
    if let Some(path) = out.filter(|p| p.is_dir()) {
        anyhow::bail!(
            "{} is a folder; pass --out with a file name for the JSON document \
             (or --format csv to write CSV files into a folder)",
            path.display()
        );
    }
    let text = export::to_json(&store.load()?).context("could not write the export")?;
    match out {
        Some(path) => write_atomically(path, text.as_bytes()),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("could not write to standard output"),
    }
}

/// The four CSV files into `folder` (created if missing). Every file is written to a
/// temporary file first; only when all four are written are they renamed over the old ones.
fn export_csv(store: &HomeStore, folder: &Path) -> anyhow::Result<()> {
    if folder.exists() && !folder.is_dir() {
        anyhow::bail!(
            "{} is not a folder; pass --out with a folder (it is created if missing) \
             for the CSV files",
            folder.display()
        );
    }
    std::fs::create_dir_all(folder).map_err(|e| {
        anyhow::anyhow!(
            "could not create the folder {}: {e}; pass --out with a folder you can write to",
            folder.display()
        )
    })?;
    let files = export::to_csv(&store.load()?).context("could not write the export")?;
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    for f in &files {
        let path = folder.join(f.name);
        match write_temporary(&path, f.text.as_bytes()) {
            Ok(tmp) => written.push((tmp, path)),
            Err(e) => {
                for (tmp, _) in &written {
                    let _ = std::fs::remove_file(tmp);
                }
                return Err(e);
            }
        }
    }
    let mut renames = written.iter();
    for (tmp, path) in renames.by_ref() {
        if let Err(e) = std::fs::rename(tmp, path) {
            let _ = std::fs::remove_file(tmp);
            for (tmp, _) in renames {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(cannot_write(path, &e));
        }
    }
    Ok(())
}

fn import_files(
    store: &HomeStore,
    files: Vec<PathBuf>,
    format: Option<FileFormat>,
    kind: Option<Kind>,
) -> anyhow::Result<()> {
    let format = format.map(|f| match f {
        FileFormat::Json => Format::Json,
        FileFormat::Csv => Format::Csv,
    });
    let kind = kind.map(|k| match k {
        Kind::Customers => RecordKind::Customer,
        Kind::Jobs => RecordKind::Job,
        Kind::Contracts => RecordKind::Contract,
        Kind::ContractInvoices => RecordKind::ContractInvoice,
    });
    let sources: Vec<ImportSource> = files
        .iter()
        .map(|path| ImportSource {
            path: path.clone(),
            format,
            kind,
        })
        .collect();
    let counts = home_book::import(store, &sources)?;
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    println!("Imported {}:", names.join(", "));
    for (what, c) in [
        ("customers", counts.customers),
        ("jobs", counts.jobs),
        ("contracts", counts.contracts),
        ("contract invoices", counts.contract_invoices),
    ] {
        println!("  {what}: {}", describe(c));
    }
    Ok(())
}

fn describe(c: ChangeCounts) -> String {
    format!(
        "{} ({} added, {} changed, {} unchanged)",
        c.total(),
        c.added,
        c.changed,
        c.unchanged
    )
}

fn show(store: &HomeStore, json: bool) -> anyhow::Result<()> {
    let s = summary::summarize(&store.load()?);
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    let mut t = table::new(&["records", "total", "for the next transfer"]);
    t.add_row(vec![
        "customers".to_owned(),
        s.customers.total.to_string(),
        format!(
            "{} flagged for integration ({} active)",
            s.customers.flagged_for_integration, s.customers.active
        ),
    ]);
    t.add_row(vec![
        "jobs".to_owned(),
        s.jobs.total.to_string(),
        format!(
            "{} closed and ready for invoice ({} open, {} closed, {} cancelled)",
            s.jobs.closed_and_ready, s.jobs.open, s.jobs.closed, s.jobs.cancelled
        ),
    ]);
    t.add_row(vec![
        "contracts".to_owned(),
        s.contracts.to_string(),
        String::new(),
    ]);
    let ci = s.contract_invoices;
    t.add_row(vec![
        "contract invoices".to_owned(),
        ci.total.to_string(),
        format!(
            "{} generated and ready for invoice ({} draft, {} generated, {} cancelled)",
            ci.ready, ci.draft, ci.generated, ci.cancelled
        ),
    ]);
    println!("{t}");
    Ok(())
}

fn set_flags(store: &HomeStore, args: FlagArgs, on: bool) -> anyhow::Result<()> {
    let kind = match args.record {
        FlagRecord::Job => RecordKind::Job,
        FlagRecord::ContractInvoice => RecordKind::ContractInvoice,
        FlagRecord::Customer => RecordKind::Customer,
    };
    let mut wanted = Vec::new();
    if args.ready {
        wanted.push(Flag::Ready);
    }
    if args.integration {
        wanted.push(Flag::Integration);
    }
    if wanted.is_empty() {
        wanted.extend(flags::default_flag(kind));
    }
    for flag in wanted {
        let note = home_book::set_flag(store, kind, &args.id, flag, on)?;
        let what = match flag {
            Flag::Ready => "both Ready-for-Invoice flags",
            Flag::Integration => "flagged for integration",
        };
        println!(
            "{} {}: {what} {}",
            kind.singular(),
            args.id,
            if on { "set" } else { "cleared" }
        );
        if let Some(note) = note {
            println!("note: {note}");
        }
    }
    Ok(())
}

/// Write `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = write_temporary(path, bytes)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        cannot_write(path, &e)
    })
}

/// Write `bytes` to a temporary file next to `path`, to be renamed to `path`; its name.
fn write_temporary(path: &Path, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    match write() {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(cannot_write(path, &e))
        }
    }
}

fn cannot_write(path: &Path, e: &std::io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        std::io::ErrorKind::PermissionDenied => "; pass --out with a place you can write to",
        std::io::ErrorKind::NotFound => "; check that its folder exists",
        _ => "",
    };
    anyhow::anyhow!("could not write {}: {e}{hint}", path.display())
}
