//! `GET /preferences`: the company's `Preferences` entity (Finance.xsd), the parts the
//! sandbox models: `CurrencyPrefs` (`MultiCurrencyEnabled`, `HomeCurrency`) and
//! `SalesFormsPrefs.CustomTxnNumbers` (on: clients give sales forms their own `DocNumber`,
//! unique per transaction type). `POST /preferences` is refused: the sandbox has no writable
//! preference (a test turns multicurrency on with a reset option, see `control`).

use serde_json::{Value, json};

use super::realm::Realm;

/// The `Preferences` entity of `realm`, as served.
pub(crate) fn served(realm: &Realm) -> Value {
    let home = realm.home_currency();
    json!({
        "Id": "1",
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": false,
        "SalesFormsPrefs": { "CustomTxnNumbers": true },
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": realm.multi_currency,
            "HomeCurrency": { "value": home.code },
        },
    })
}
