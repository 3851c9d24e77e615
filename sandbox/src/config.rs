//! How to start a sandbox.

/// Settings for [`crate::SandboxHandle::start`].
///
/// The sandbox always binds the loopback interface (127.0.0.1): it hands
/// out real-looking credentials and must never be reachable from another
/// machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxConfig {
    /// TCP port to listen on; `0` (the default) picks a free one, which
    /// [`crate::SandboxHandle::base_url`] then reports.
    pub port: u16,
}
