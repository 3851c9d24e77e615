//! Logging into the host's log, tagged there with the plugin and connection.
//!
//! Never log a secret: the host keeps credentials away from plugins, but a plugin can still
//! see customer data. Log ids and counts, not whole records.

pub use crate::bindings::ledgerlink::connector::log::Level;

fn write(level: Level, message: &str) {
    crate::imports::log_write(level, message);
}

/// Log at debug level.
pub fn debug(message: impl AsRef<str>) {
    write(Level::Debug, message.as_ref());
}

/// Log at info level.
pub fn info(message: impl AsRef<str>) {
    write(Level::Info, message.as_ref());
}

/// Log at warn level.
pub fn warn(message: impl AsRef<str>) {
    write(Level::Warn, message.as_ref());
}

/// Log at error level.
pub fn error(message: impl AsRef<str>) {
    write(Level::Error, message.as_ref());
}
