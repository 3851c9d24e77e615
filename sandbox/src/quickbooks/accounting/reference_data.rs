//! What a fresh sandbox company holds: tax rates and codes, items, and one
//! vendor and one employee (so that a customer's name can collide with them).
//!
//! The US company uses Intuit's US pseudo tax codes `TAX` (8.5 %) and `NON`;
//! the Australian one uses numeric codes as non-US companies do.

use std::time::SystemTime;

use serde_json::{Map, Value, json};

use super::realm::{Kind, Realm, Region};

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A fresh company `id` of `region`.
pub(crate) fn seeded(region: Region, now: SystemTime) -> Realm {
    let mut realm = Realm::empty(region);
    let (rates, codes, vendor, employee): (Vec<Value>, Vec<Value>, &str, &str) = match region {
        Region::Us => (
            vec![json!({ "Id": "1", "Name": "California State Tax", "RateValue": 8.5 })],
            vec![
                tax_code(
                    "TAX",
                    "TAX",
                    "Taxable sales",
                    Some(("1", "California State Tax")),
                ),
                tax_code("NON", "NON", "Non-taxable sales", None),
            ],
            "Bob's Burger Joint",
            "Emily Platt",
        ),
        Region::Au => (
            vec![
                json!({ "Id": "3", "Name": "GST (sales)", "RateValue": 10 }),
                json!({ "Id": "4", "Name": "GST free (sales)", "RateValue": 0 }),
            ],
            vec![
                tax_code("10", "GST", "GST 10%", Some(("3", "GST (sales)"))),
                tax_code("11", "FRE", "GST free", Some(("4", "GST free (sales)"))),
            ],
            "Sydney Supplies",
            "Liam Nguyen",
        ),
    };
    for rate in rates {
        let mut body = object(rate);
        let id = body
            .remove("Id")
            .and_then(|id| id.as_str().map(str::to_owned));
        body.insert("Active".into(), json!(true));
        body.insert("AgencyRef".into(), json!({ "value": "1" }));
        realm.insert_with_id(Kind::TaxRate, id.as_deref().unwrap_or("1"), body, now);
    }
    for code in codes {
        let mut body = object(code);
        let id = body
            .remove("Id")
            .and_then(|id| id.as_str().map(str::to_owned));
        realm.insert_with_id(Kind::TaxCode, id.as_deref().unwrap_or("1"), body, now);
    }
    let default_code = match region {
        Region::Us => "TAX",
        Region::Au => "10",
    };
    for (name, kind, price, active) in [
        ("Services", "Service", json!(100), true),
        ("Hours", "Service", json!(75), true),
        ("Parts", "NonInventory", json!(12.5), true),
        ("Old Rates", "Service", json!(50), false),
    ] {
        let mut item = json!({
            "Name": name,
            "FullyQualifiedName": name,
            "Description": format!("{name} (sandbox item)"),
            "Active": active,
            "Taxable": true,
            "UnitPrice": price,
            "Type": kind,
            "IncomeAccountRef": { "value": "1", "name": "Services" },
            "PurchaseCost": 0,
            "TrackQtyOnHand": false,
        });
        if region == Region::Au {
            item["SalesTaxCodeRef"] = json!({ "value": default_code, "name": "GST" });
        }
        realm.insert(Kind::Item, object(item), now);
    }
    realm.insert(
        Kind::Vendor,
        object(json!({ "DisplayName": vendor, "Active": true })),
        now,
    );
    realm.insert(
        Kind::Employee,
        object(json!({ "DisplayName": employee, "Active": true })),
        now,
    );
    realm
}

/// A sales tax code with at most one rate.
fn tax_code(id: &str, name: &str, description: &str, rate: Option<(&str, &str)>) -> Value {
    let details: Vec<Value> = rate
        .map(|(rate_id, rate_name)| {
            json!({
                "TaxRateRef": { "value": rate_id, "name": rate_name },
                "TaxTypeApplicable": "TaxOnAmount",
                "TaxOrder": 0,
            })
        })
        .into_iter()
        .collect();
    json!({
        "Id": id,
        "Name": name,
        "Description": description,
        "Active": true,
        "Hidden": false,
        "Taxable": rate.is_some(),
        "TaxGroup": false,
        "SalesTaxRateList": { "TaxRateDetail": details },
        "PurchaseTaxRateList": { "TaxRateDetail": [] },
    })
}
