//! Progress for the person at the terminal: an indicatif bar when standard error is a
//! terminal, otherwise a plain line at each tenth of the way (logs and CI stay readable).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use ledgerlink::sync::progress::Progress;

/// Draws progress on standard error.
pub struct Terminal {
    state: Mutex<State>,
    tty: bool,
}

#[derive(Default)]
struct State {
    bar: Option<ProgressBar>,
    what: String,
    total: u64,
    done: u64,
    reported_tenth: u64,
}

impl Terminal {
    /// Bars on a terminal, plain lines otherwise.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Only this type locks it, and nothing in it panics while locked.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Progress for Terminal {
    fn begin(&self, what: &str, total: u64) {
        let mut s = self.state();
        *s = State {
            what: what.to_owned(),
            total,
            ..State::default()
        };
        if total == 0 {
            return;
        }
        if self.tty {
            let bar = ProgressBar::new(total);
            // The template is a constant known to parse; fall back to the default style if not.
            let style = ProgressStyle::with_template(
                "{msg:28} [{bar:40.cyan/blue}] {pos}/{len} ({per_sec}, {eta} left)",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what.to_owned());
            s.bar = Some(bar);
        } else {
            eprintln!("{what}: 0/{total}");
        }
    }

    fn advance(&self, n: u64) {
        let mut s = self.state();
        s.done = (s.done + n).min(s.total);
        if let Some(bar) = &s.bar {
            bar.set_position(s.done);
        } else if let Some(tenth) = (s.done * 10).checked_div(s.total)
            && tenth > s.reported_tenth
            && s.done < s.total
        {
            s.reported_tenth = tenth;
            eprintln!("{}: {}/{}", s.what, s.done, s.total);
        }
    }

    fn finish(&self) {
        let mut s = self.state();
        if let Some(bar) = s.bar.take() {
            bar.finish();
        } else if s.total > 0 {
            eprintln!("{}: {}/{} done", s.what, s.done, s.total);
        }
    }

    fn note(&self, text: &str) {
        let s = self.state();
        match &s.bar {
            Some(bar) => bar.println(format!("Note: {text}")),
            None => eprintln!("Note: {text}"),
        }
    }
}
