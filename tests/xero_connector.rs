//! Placeholder: the xero_connector end-to-end tests are being written.
