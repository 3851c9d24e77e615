//! Placeholder: the quickbooks_connector end-to-end tests are being written.
