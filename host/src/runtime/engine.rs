//! The one wasmtime [`Engine`] shared by every plugin, and the epoch ticker behind deadlines.

use std::time::Duration;

use wasmtime::{Config, Engine, EngineWeak};

/// How often the epoch advances. A deadline is rounded up to whole ticks, so a runaway
/// call is stopped at most one tick late.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Build the shared engine: component model, epoch interruption (deadlines trap).
pub fn build() -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    Engine::new(&config)
}

/// Start the thread that advances `engine`'s epoch every [`EPOCH_TICK`]. It ends by itself
/// once the engine is dropped.
pub fn start_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak: EngineWeak = engine.weak();
    std::thread::Builder::new()
        .name("ledgerlink-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(|_| ())
}

/// The number of ticks that covers `deadline`.
pub fn ticks_for(deadline: Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos().max(1);
    let ticks = deadline.as_nanos().div_ceil(tick);
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_whole_ticks() {
        assert_eq!(ticks_for(Duration::from_secs(30)), 3000);
        assert_eq!(ticks_for(Duration::from_millis(15)), 2);
        assert_eq!(ticks_for(Duration::ZERO), 1);
    }
}
