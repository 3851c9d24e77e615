//! Xero's Accounting API emulation: contacts, invoices, payments and
//! reference data, with rate limits, faults, idempotency and tenants. Every
//! response body is checked against `xero_accounting.yaml` by the client in
//! `xero_support`.
#![allow(clippy::unwrap_used)]

use crate::xero_support;

use std::time::{Duration, Instant};

use ledgerlink_sandbox::{Fault, Profile, XERO_TENANT_NZ_ID, XERO_TENANT_US_ID};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use xero_support::{Api, fidelity, num};

const DUPLICATE_ACME: &str = "The contact name Acme Ltd is already assigned to another contact. \
     The contact name must be unique across all active contacts.";

fn is_ms_date(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    text.strip_prefix("/Date(")
        .and_then(|rest| rest.strip_suffix("+0000)/"))
        .is_some_and(|millis| !millis.is_empty() && millis.bytes().all(|b| b.is_ascii_digit()))
}

fn names(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|record| record["Name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn contacts_are_created_updated_read_and_stored() {
    let api = Api::start().await;
    let created = api
        .put(
            "Contacts",
            &json!({"Contacts": [
                {"Name": "Acme Ltd", "EmailAddress": "ap@acme.test", "TaxNumber": "12-345-678",
                 "AccountNumber": "ACME01", "Phones": [{"PhoneType": "MOBILE", "PhoneNumber": "021 555"}]},
                {"Name": "Bolt & Co", "FirstName": "Bea", "LastName": "Bolt"},
            ]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let acme = &created.body["Contacts"][0];
    assert_eq!(acme["ContactStatus"], "ACTIVE");
    assert!(
        is_ms_date(&acme["UpdatedDateUTC"]),
        "{}",
        acme["UpdatedDateUTC"]
    );
    let id = acme["ContactID"].as_str().unwrap().to_owned();

    let updated = api
        .post(
            "Contacts",
            &json!({"Contacts": [{"ContactID": id, "EmailAddress": "billing@acme.test"}]}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let one = api.get(&format!("Contacts/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    let contact = &one.body["Contacts"][0];
    assert_eq!(contact["EmailAddress"], "billing@acme.test");
    assert_eq!(
        contact["Name"], "Acme Ltd",
        "an update keeps fields it does not send"
    );
    assert_eq!(contact["TaxNumber"], "12-345-678");
    assert_eq!(contact["Phones"][0]["PhoneNumber"], "021 555");

    // POST /Contacts/{id} archives; an update without a ContactID creates.
    let archived = api
        .post(
            &format!("Contacts/{id}"),
            &json!({"ContactStatus": "ARCHIVED"}),
        )
        .await;
    assert_eq!(archived.body["Contacts"][0]["ContactStatus"], "ARCHIVED");
    let stored = api.contacts().await;
    assert_eq!(names(&stored), ["Acme Ltd", "Bolt & Co"]);
    assert_eq!(stored[0]["ContactStatus"], "ARCHIVED");
    assert_eq!(stored[0]["EmailAddress"], "billing@acme.test");

    let missing = api.get(&format!("Contacts/{}", uuid_like(7))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.text,
        "The resource you're looking for cannot be found"
    );
    let unknown_update = api
        .post(&format!("Contacts/{}", uuid_like(7)), &json!({"Name": "X"}))
        .await;
    assert_eq!(unknown_update.status, StatusCode::NOT_FOUND);
}

fn uuid_like(n: u8) -> String {
    format!("00000000-0000-4000-8000-0000000000{n:02}")
}

#[tokio::test]
async fn contact_lists_filter_search_and_page() {
    let api = Api::start().await;
    let batch: Vec<Value> = (1..=150)
        .map(|n| {
            json!({"Name": format!("Customer {n:03}"), "EmailAddress": format!("c{n}@example.test"),
                   "TaxNumber": format!("TN-{n}"), "AccountNumber": format!("ACC{n:03}")})
        })
        .collect();
    let created = api.put("Contacts", &json!({ "Contacts": batch })).await;
    assert_eq!(created.status, StatusCode::OK);
    let ids: Vec<String> = created.body["Contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ContactID"].as_str().unwrap().to_owned())
        .collect();
    api.post(
        "Contacts",
        &json!({"ContactID": ids[9], "ContactStatus": "ARCHIVED"}),
    )
    .await;

    let list = |query: String| {
        let api = &api;
        async move {
            let answer = api.get(&format!("Contacts?{query}")).await;
            assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text);
            answer.body
        }
    };
    let all = list(String::new()).await;
    assert_eq!(
        all["Contacts"].as_array().unwrap().len(),
        149,
        "archived left out"
    );
    assert!(all.get("pagination").is_none());
    let with_archived = list("includeArchived=true".into()).await;
    assert_eq!(with_archived["Contacts"].as_array().unwrap().len(), 150);

    let by = |clause: &str| format!("where={}", urlencode(clause));
    let one = list(by(r#"Name=="Customer 007""#)).await;
    assert_eq!(names(one["Contacts"].as_array().unwrap()), ["Customer 007"]);
    let one = list(by(r#"EmailAddress=="c42@example.test""#)).await;
    assert_eq!(names(one["Contacts"].as_array().unwrap()), ["Customer 042"]);
    let one = list(by(r#"TaxNumber=="TN-99" && ContactStatus=="ACTIVE""#)).await;
    assert_eq!(names(one["Contacts"].as_array().unwrap()), ["Customer 099"]);
    let none = list(by(r#"Name=="Customer 010" AND ContactStatus=="ACTIVE""#)).await;
    assert_eq!(none["Contacts"].as_array().unwrap().len(), 0, "archived");
    let archived = list(format!(
        "{}&includeArchived=true",
        by(r#"ContactStatus=="ARCHIVED""#)
    ))
    .await;
    assert_eq!(
        names(archived["Contacts"].as_array().unwrap()),
        ["Customer 010"]
    );

    let search = list("searchTerm=CUSTOMER%2012".into()).await;
    assert_eq!(
        names(search["Contacts"].as_array().unwrap()),
        [
            "Customer 120",
            "Customer 121",
            "Customer 122",
            "Customer 123",
            "Customer 124",
            "Customer 125",
            "Customer 126",
            "Customer 127",
            "Customer 128",
            "Customer 129"
        ]
    );
    let by_account = list("searchTerm=acc150".into()).await;
    assert_eq!(
        names(by_account["Contacts"].as_array().unwrap()),
        ["Customer 150"]
    );
    let by_email = list("searchTerm=C77%40EXAMPLE".into()).await;
    assert_eq!(
        names(by_email["Contacts"].as_array().unwrap()),
        ["Customer 077"]
    );

    let picked = list(format!("IDs={},{}", ids[0], ids[149])).await;
    assert_eq!(
        names(picked["Contacts"].as_array().unwrap()),
        ["Customer 001", "Customer 150"]
    );

    let page2 = list("page=2".into()).await;
    assert_eq!(
        page2["pagination"],
        json!({"page": 2, "pageSize": 100, "pageCount": 2, "itemCount": 149})
    );
    let page2 = page2["Contacts"].as_array().unwrap();
    assert_eq!(page2.len(), 49);
    assert_eq!(page2[0]["Name"], "Customer 102");
    let small = list("page=8&pageSize=20".into()).await;
    // 149 active contacts (010 is archived): page 8 of 20 holds the last 9.
    assert_eq!(
        small["pagination"],
        json!({"page": 8, "pageSize": 20, "pageCount": 8, "itemCount": 149})
    );
    assert_eq!(
        names(small["Contacts"].as_array().unwrap()),
        [
            "Customer 142",
            "Customer 143",
            "Customer 144",
            "Customer 145",
            "Customer 146",
            "Customer 147",
            "Customer 148",
            "Customer 149",
            "Customer 150"
        ]
    );
    let big = list("page=1&pageSize=5000".into()).await;
    assert_eq!(big["pagination"]["pageSize"], 1000);
    assert_eq!(big["Contacts"].as_array().unwrap().len(), 149);

    let bad = api.get(&format!("Contacts?{}", by("Name=Customer"))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["Type"], "QueryParseException");
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn contact_names_are_unique_among_active_contacts() {
    let api = Api::start().await;
    let acme = api.create_contact(json!({"Name": "Acme Ltd"})).await;
    let duplicate = api
        .put("Contacts", &json!({"Contacts": [{"Name": "Acme Ltd"}]}))
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert_eq!(duplicate.body["ErrorNumber"], 10);
    assert_eq!(duplicate.body["Type"], "ValidationException");
    assert_eq!(duplicate.body["Message"], "A validation exception occurred");
    assert_eq!(duplicate.messages(), [DUPLICATE_ACME]);
    assert_eq!(duplicate.body["Elements"][0]["Name"], "Acme Ltd");
    let case = api.put("Contacts", &json!({"Name": "ACME LTD"})).await;
    assert_eq!(
        case.status,
        StatusCode::BAD_REQUEST,
        "names compare without case"
    );

    let empty = api
        .put(
            "Contacts",
            &json!({"Contacts": [{"EmailAddress": "x@y.test"}]}),
        )
        .await;
    assert_eq!(empty.messages(), ["A contact name must be specified."]);
    let long = api.put("Contacts", &json!({"Name": "n".repeat(256)})).await;
    assert_eq!(
        long.messages(),
        ["The contact name must not be more than 255 characters long."]
    );
    assert_eq!(
        api.put("Contacts", &json!({"Name": "n".repeat(255)}))
            .await
            .status,
        StatusCode::OK
    );

    // Archived contacts free their name; unarchiving then clashes.
    let id = acme["ContactID"].as_str().unwrap();
    api.post(
        "Contacts",
        &json!({"ContactID": id, "ContactStatus": "ARCHIVED"}),
    )
    .await;
    api.create_contact(json!({"Name": "Acme Ltd"})).await;
    let back = api
        .post(
            "Contacts",
            &json!({"ContactID": id, "ContactStatus": "ACTIVE"}),
        )
        .await;
    assert_eq!(back.messages(), [DUPLICATE_ACME]);
    let stored = api.contacts().await;
    assert_eq!(stored.len(), 3);
    assert_eq!(stored.iter().filter(|c| c["Name"] == "Acme Ltd").count(), 2);
}

#[tokio::test]
async fn summarize_errors_decides_between_all_or_nothing_and_per_element() {
    let api = Api::start().await;
    api.create_contact(json!({"Name": "Acme Ltd"})).await;
    let batch = json!({"Contacts": [{"Name": "Fresh One"}, {"Name": "Acme Ltd"}]});
    let refused = api.put("Contacts", &batch).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["Elements"].as_array().unwrap().len(), 1);
    assert_eq!(
        api.contacts().await.len(),
        1,
        "nothing of a refused batch is saved"
    );

    let mixed = api.put("Contacts?summarizeErrors=false", &batch).await;
    assert_eq!(mixed.status, StatusCode::OK);
    let elements = mixed.body["Contacts"].as_array().unwrap();
    assert_eq!(elements[0]["StatusAttributeString"], "OK");
    assert_eq!(elements[0]["HasValidationErrors"], false);
    assert_eq!(elements[1]["StatusAttributeString"], "ERROR");
    assert_eq!(elements[1]["HasValidationErrors"], true);
    assert_eq!(
        elements[1]["ValidationErrors"],
        json!([{ "Message": DUPLICATE_ACME }])
    );
    assert_eq!(names(&api.contacts().await), ["Acme Ltd", "Fresh One"]);

    let invoices = json!({"Invoices": [
        {"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "LineItems": [{"Description": "ok", "Quantity": 1, "UnitAmount": 10, "AccountCode": "200"}]},
        {"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "LineItems": [{"Description": "bad", "Quantity": 1, "UnitAmount": 10, "AccountCode": "999"}]},
    ]});
    let refused = api.put("Invoices", &invoices).await;
    assert_eq!(
        refused.messages(),
        ["Account code '999' is not a valid code for this document."]
    );
    assert!(api.invoices().await.is_empty());
    let mixed = api.put("Invoices?summarizeErrors=false", &invoices).await;
    assert_eq!(mixed.status, StatusCode::OK);
    assert_eq!(mixed.body["Invoices"][0]["StatusAttributeString"], "OK");
    assert_eq!(mixed.body["Invoices"][1]["HasErrors"], true);
    assert_eq!(api.invoices().await.len(), 1);

    let broken = api
        .call(
            Method::PUT,
            "Contacts",
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.body["Type"], "PostDataInvalidException");
}

fn line(description: &str, quantity: &str, unit: &str, extra: Value) -> Value {
    let mut line = json!({
        "Description": description,
        "Quantity": serde_json::from_str::<Value>(quantity).unwrap(),
        "UnitAmount": serde_json::from_str::<Value>(unit).unwrap(),
        "AccountCode": "200",
        "TaxType": "OUTPUT2",
    });
    line.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    line
}

#[tokio::test]
async fn invoice_amounts_follow_xeros_rounding_for_every_line_amount_type() {
    let api = Api::start().await;
    let lines = json!([
        line("Widgets", "3", "19.99", json!({"DiscountRate": 10})),
        line("Tiny A", "1", "0.10", json!({})),
        line("Tiny B", "1", "0.10", json!({})),
    ]);
    let invoice = |types: &str| {
        json!({"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "LineAmountTypes": types,
               "Date": "2024-05-01", "DueDate": "2024-05-31", "LineItems": lines})
    };

    let exclusive = api.create_invoice("", invoice("Exclusive")).await;
    let amounts = |invoice: &Value, index: usize| {
        let line = &invoice["LineItems"][index];
        (num(&line["LineAmount"]), num(&line["TaxAmount"]))
    };
    // 3 × 19.99 × 0.9 = 53.973 → 53.97; × 15 % = 8.0955 → 8.10.
    assert_eq!(amounts(&exclusive, 0), ("53.97".into(), "8.1".into()));
    // 0.10 × 15 % = 0.015 → 0.02 per line: 0.04, where the sum's 0.03 would round to 0.03.
    assert_eq!(amounts(&exclusive, 1), ("0.1".into(), "0.02".into()));
    assert_eq!(num(&exclusive["SubTotal"]), "54.17");
    assert_eq!(num(&exclusive["TotalTax"]), "8.14");
    assert_eq!(num(&exclusive["Total"]), "62.31");
    assert_eq!(num(&exclusive["AmountDue"]), "62.31");
    assert_eq!(num(&exclusive["AmountPaid"]), "0");
    assert_eq!(exclusive["LineItems"][0]["DiscountRate"], json!(10));
    assert_eq!(exclusive["Date"], "/Date(1714521600000+0000)/");
    assert_eq!(exclusive["DueDate"], "/Date(1717113600000+0000)/");
    assert_eq!(exclusive["CurrencyCode"], "NZD");

    let inclusive = api.create_invoice("", invoice("Inclusive")).await;
    // 53.97 − 53.97 / 1.15 = 7.0395... → 7.04; 0.10 − 0.10 / 1.15 = 0.013 → 0.01.
    assert_eq!(amounts(&inclusive, 0), ("53.97".into(), "7.04".into()));
    assert_eq!(amounts(&inclusive, 1), ("0.1".into(), "0.01".into()));
    assert_eq!(num(&inclusive["TotalTax"]), "7.06");
    assert_eq!(num(&inclusive["SubTotal"]), "47.11");
    assert_eq!(num(&inclusive["Total"]), "54.17");

    let no_tax = api.create_invoice("", invoice("NoTax")).await;
    assert_eq!(amounts(&no_tax, 0), ("53.97".into(), "0".into()));
    assert_eq!(no_tax["LineItems"][0]["TaxType"], "NONE");
    assert_eq!(num(&no_tax["TotalTax"]), "0");
    assert_eq!(num(&no_tax["Total"]), "54.17");

    // The stored records carry the same amounts; the contact was created once by name.
    let stored = api.invoices().await;
    let totals: Vec<String> = stored
        .iter()
        .map(|invoice| num(&invoice["Total"]))
        .collect();
    assert_eq!(totals, ["62.31", "54.17", "54.17"]);
    let contacts = api.contacts().await;
    assert_eq!(names(&contacts), ["Acme Ltd"]);
    assert_eq!(contacts[0]["IsCustomer"], true);
    assert!(
        stored
            .iter()
            .all(|invoice| invoice["Contact"]["ContactID"] == contacts[0]["ContactID"])
    );

    // Account defaults, items and bad codes.
    let defaulted = api
        .create_invoice("", json!({"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"},
            "LineItems": [{"Description": "d", "Quantity": 2, "UnitAmount": 10, "AccountCode": "200"},
                          {"ItemCode": "DEV", "Quantity": 2}]}))
        .await;
    assert_eq!(defaulted["LineItems"][0]["TaxType"], "OUTPUT2");
    assert_eq!(
        defaulted["LineItems"][1]["Description"],
        "Development work, per hour"
    );
    assert_eq!(num(&defaulted["LineItems"][1]["LineAmount"]), "300");
    assert_eq!(num(&defaulted["Total"]), "368");
    let bad = api
        .put(
            "Invoices",
            &json!({"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "LineItems": [
                {"Description": "a", "UnitAmount": 1, "AccountCode": "999"},
                {"Description": "b", "UnitAmount": 1, "AccountCode": "200", "TaxType": "INPUT2"},
                {"Description": "c", "UnitAmount": 1, "ItemCode": "NOPE"},
            ]}]}),
        )
        .await;
    assert_eq!(
        bad.messages(),
        [
            "Account code '999' is not a valid code for this document.",
            "The TaxType code 'INPUT2' does not exist or cannot be used for this type of transaction.",
            "Item code 'NOPE' is not valid.",
        ]
    );
    let no_contact = api
        .put(
            "Invoices",
            &json!({"Type": "ACCREC", "Contact": {"ContactID": uuid_like(3)}, "LineItems": []}),
        )
        .await;
    assert_eq!(
        no_contact.messages(),
        [format!(
            "The contact with ContactID '{}' could not be found.",
            uuid_like(3)
        )]
    );
}

#[tokio::test]
async fn unitdp_four_keeps_four_decimal_unit_amounts() {
    let api = Api::start().await;
    let invoice = json!({"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"},
        "LineItems": [line("Bolts", "3", "1.23456", json!({}))]});
    let four = api.create_invoice("?unitdp=4", invoice.clone()).await;
    assert_eq!(num(&four["LineItems"][0]["UnitAmount"]), "1.2346");
    // 3 × 1.2346 = 3.7038 → 3.70.
    assert_eq!(num(&four["LineItems"][0]["LineAmount"]), "3.7");
    let id = four["InvoiceID"].as_str().unwrap();
    let plain = api.get(&format!("Invoices/{id}")).await;
    assert_eq!(
        num(&plain.body["Invoices"][0]["LineItems"][0]["UnitAmount"]),
        "1.23"
    );
    let again = api.get(&format!("Invoices/{id}?unitdp=4")).await;
    assert_eq!(
        num(&again.body["Invoices"][0]["LineItems"][0]["UnitAmount"]),
        "1.2346"
    );

    let two = api.create_invoice("", invoice).await;
    assert_eq!(num(&two["LineItems"][0]["UnitAmount"]), "1.23");
    assert_eq!(num(&two["LineItems"][0]["LineAmount"]), "3.69");
}

#[tokio::test]
async fn invoice_numbers_are_unique_and_auto_numbered() {
    let api = Api::start().await;
    let invoice = |number: Option<&str>| {
        let mut invoice = json!({"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"},
            "LineItems": [line("x", "1", "10", json!({}))]});
        if let Some(number) = number {
            invoice["InvoiceNumber"] = json!(number);
        }
        invoice
    };
    assert_eq!(
        api.create_invoice("", invoice(None)).await["InvoiceNumber"],
        "INV-0001"
    );
    assert_eq!(
        api.create_invoice("", invoice(Some("INV-0002"))).await["InvoiceNumber"],
        "INV-0002"
    );
    assert_eq!(
        api.create_invoice("", invoice(None)).await["InvoiceNumber"],
        "INV-0003"
    );
    let clash = api
        .put(
            "Invoices",
            &json!({"Invoices": [invoice(Some("INV-0001"))]}),
        )
        .await;
    assert_eq!(clash.messages(), ["Invoice # must be unique."]);
    // POST with an existing number updates that invoice instead.
    let mut update = invoice(Some("INV-0001"));
    update["Reference"] = json!("PO-7");
    let posted = api.post("Invoices", &update).await;
    assert_eq!(posted.status, StatusCode::OK);
    let stored = api.invoices().await;
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0]["Reference"], "PO-7");

    let by_number = api.get("Invoices?InvoiceNumbers=INV-0001,INV-0003").await;
    let numbers: Vec<&str> = by_number.body["Invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InvoiceNumber"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["INV-0001", "INV-0003"]);
}

async fn set_status(api: &Api, id: &str, status: &str) -> xero_support::Answer {
    api.post(
        &format!("Invoices/{id}"),
        &json!({"Invoices": [{"Status": status}]}),
    )
    .await
}

#[tokio::test]
async fn invoice_status_rules_and_paid_invoices_are_locked() {
    let api = Api::start().await;
    let new = |status: &str| {
        json!({"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "Status": status,
               "LineItems": [line("x", "2", "50", json!({}))]})
    };
    let first = api.create_invoice("", new("DRAFT")).await;
    let id = first["InvoiceID"].as_str().unwrap().to_owned();
    assert_eq!(
        set_status(&api, &id, "SUBMITTED").await.body["Invoices"][0]["Status"],
        "SUBMITTED"
    );
    assert_eq!(
        set_status(&api, &id, "AUTHORISED").await.body["Invoices"][0]["Status"],
        "AUTHORISED"
    );
    let delete = set_status(&api, &id, "DELETED").await;
    assert_eq!(
        delete.messages(),
        ["An AUTHORISED invoice cannot be deleted; void it (Status VOIDED) instead."]
    );
    let paid_by_hand = set_status(&api, &id, "PAID").await;
    assert_eq!(paid_by_hand.status, StatusCode::BAD_REQUEST);

    // A part payment, then the rest: PAID.
    let pay = |amount: &str| {
        json!({"Payments": [{"Invoice": {"InvoiceID": id}, "Account": {"Code": "090"},
        "Amount": serde_json::from_str::<Value>(amount).unwrap(), "Date": "2024-06-01"}]})
    };
    let too_much = api.put("Payments", &pay("115.01")).await;
    assert_eq!(
        too_much.messages(),
        ["Payment amount exceeds the amount outstanding on this document."]
    );
    let part = api.put("Payments", &pay("15")).await;
    assert_eq!(part.status, StatusCode::OK, "{}", part.text);
    assert_eq!(part.body["Payments"][0]["Invoice"]["Status"], "AUTHORISED");
    let edit = api
        .post(
            &format!("Invoices/{id}"),
            &json!({"Reference": "late edit"}),
        )
        .await;
    assert_eq!(
        edit.messages(),
        ["This document cannot be edited as it has a payment or credit note allocated to it."]
    );
    let rest = api.put("Payments", &pay("100")).await;
    assert_eq!(rest.body["Payments"][0]["Invoice"]["Status"], "PAID");
    let paid = api.get(&format!("Invoices/{id}")).await.body["Invoices"][0].clone();
    assert_eq!(paid["Status"], "PAID");
    assert_eq!(num(&paid["AmountPaid"]), "115");
    assert_eq!(num(&paid["AmountDue"]), "0");
    assert_eq!(paid["FullyPaidOnDate"], "/Date(1717200000000+0000)/");
    assert_eq!(paid["Payments"].as_array().unwrap().len(), 2);
    for status in ["VOIDED", "DELETED", "AUTHORISED"] {
        let refused = set_status(&api, &id, status).await;
        assert_eq!(
            refused.messages(),
            ["This document cannot be edited as it has a payment or credit note allocated to it."]
        );
    }

    let draft = api.create_invoice("", new("DRAFT")).await;
    let draft_id = draft["InvoiceID"].as_str().unwrap().to_owned();
    assert_eq!(
        set_status(&api, &draft_id, "VOIDED").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        set_status(&api, &draft_id, "DELETED").await.body["Invoices"][0]["Status"],
        "DELETED"
    );
    assert_eq!(
        set_status(&api, &draft_id, "DRAFT").await.messages(),
        ["Invoice not of valid status for modification"]
    );
    let authorised = api.create_invoice("", new("AUTHORISED")).await;
    let authorised_id = authorised["InvoiceID"].as_str().unwrap().to_owned();
    assert_eq!(
        set_status(&api, &authorised_id, "VOIDED").await.body["Invoices"][0]["Status"],
        "VOIDED"
    );
    assert_eq!(
        set_status(&api, &authorised_id, "AUTHORISED")
            .await
            .messages(),
        ["Invoice not of valid status for modification"]
    );
    let unpayable = api
        .put(
            "Payments",
            &json!({"Invoice": {"InvoiceID": draft_id}, "Account": {"Code": "090"}, "Amount": 1}),
        )
        .await;
    assert_eq!(
        unpayable.messages(),
        ["Payment can only be made against an AUTHORISED invoice."]
    );
    let new_paid = api.put("Invoices", &new("PAID")).await;
    assert_eq!(new_paid.status, StatusCode::BAD_REQUEST);

    let stored = api.invoices().await;
    let statuses: Vec<&str> = stored
        .iter()
        .map(|i| i["Status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["PAID", "DELETED", "VOIDED"]);
    let listed = api.get("Invoices?Statuses=DELETED,VOIDED").await;
    assert_eq!(listed.body["Invoices"].as_array().unwrap().len(), 2);
    let contact_id = stored[0]["Contact"]["ContactID"].as_str().unwrap();
    let by_contact = api
        .get(&format!("Invoices?ContactIDs={contact_id}&IDs={id}"))
        .await;
    assert_eq!(by_contact.body["Invoices"].as_array().unwrap().len(), 1);
    let where_paid = api
        .get(&format!(
            "Invoices?where={}",
            urlencode(r#"Status=="PAID" && Type=="ACCREC""#)
        ))
        .await;
    assert_eq!(where_paid.body["Invoices"][0]["InvoiceID"], id.as_str());
    let payments = api.dump(XERO_TENANT_NZ_ID, "payments").await;
    assert_eq!(payments.len(), 2);
    let listed_payments = api.get("Payments").await;
    assert_eq!(
        listed_payments.body["Payments"].as_array().unwrap().len(),
        2
    );
    assert_eq!(
        api.get(&format!("Invoices/{}", uuid_like(1))).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response() {
    let api = Api::start().await;
    let body = json!({"Contacts": [{"Name": "Once Only"}]});
    let keyed = |key: &str, body: &Value| {
        let key = key.to_owned();
        let body = body.clone();
        let api = &api;
        async move {
            api.call(
                Method::PUT,
                "Contacts",
                Some(&body),
                &[("Idempotency-Key", &key)],
            )
            .await
        }
    };
    let first = keyed("key-1", &body).await;
    let second = keyed("key-1", &body).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, first.status);
    assert_eq!(
        second.text, first.text,
        "the replay is the first body, byte for byte"
    );
    assert_eq!(api.contacts().await.len(), 1);

    let other = keyed("key-1", &json!({"Contacts": [{"Name": "Something Else"}]})).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        other.body["Message"],
        "Idempotency-Key 'key-1' was already used for a different request; send a new key for a new request"
    );
    let too_long = keyed(&"k".repeat(129), &body).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        keyed(&"k".repeat(128), &json!({"Name": "Long Key"}))
            .await
            .status,
        StatusCode::OK
    );

    // Keys are per tenant.
    let us = api
        .call(
            Method::PUT,
            "Contacts",
            Some(&body),
            &[
                ("Idempotency-Key", "key-1"),
                ("xero-tenant-id", XERO_TENANT_US_ID),
            ],
        )
        .await;
    assert_eq!(us.status, StatusCode::OK);
    assert_ne!(us.text, first.text);
    assert_eq!(api.dump(XERO_TENANT_US_ID, "contacts").await.len(), 1);
    assert_eq!(api.contacts().await.len(), 2);

    // A refused request is not kept: fixed, it may reuse its key.
    api.create_contact(json!({"Name": "Taken"})).await;
    let refused = keyed("key-2", &json!({"Name": "Taken"})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        keyed("key-2", &json!({"Name": "Not Taken"})).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn if_modified_since_returns_only_later_changes() {
    let api = Api::start().await;
    let old = api.create_contact(json!({"Name": "Old"})).await;
    api.create_invoice(
        "",
        json!({"Type": "ACCREC", "Contact": {"Name": "Old"}, "LineItems": []}),
    )
    .await;
    api.sandbox.advance_clock(Duration::from_secs(120));
    let since = chrono::DateTime::<chrono::Utc>::from(api.sandbox.now());
    api.sandbox.advance_clock(Duration::from_secs(120));
    api.create_contact(json!({"Name": "New"})).await;
    let invoice = api
        .create_invoice(
            "",
            json!({"Type": "ACCREC", "Contact": {"Name": "New"}, "LineItems": []}),
        )
        .await;

    for form in [
        since.format("%Y-%m-%dT%H:%M:%S").to_string(),
        since.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    ] {
        let header = [("If-Modified-Since", form.as_str())];
        let contacts = api.call(Method::GET, "Contacts", None, &header).await;
        assert_eq!(
            names(contacts.body["Contacts"].as_array().unwrap()),
            ["New"],
            "{form}"
        );
        let invoices = api.call(Method::GET, "Invoices", None, &header).await;
        let invoices = invoices.body["Invoices"].as_array().unwrap();
        assert_eq!(invoices.len(), 1);
        assert_eq!(invoices[0]["InvoiceID"], invoice["InvoiceID"]);
    }
    // An update counts as a change.
    api.sandbox.advance_clock(Duration::from_secs(60));
    api.post(
        "Contacts",
        &json!({"ContactID": old["ContactID"], "EmailAddress": "old@x.test"}),
    )
    .await;
    let since = since.format("%Y-%m-%dT%H:%M:%S").to_string();
    let changed = api
        .call(
            Method::GET,
            "Contacts",
            None,
            &[("If-Modified-Since", &since)],
        )
        .await;
    assert_eq!(
        names(changed.body["Contacts"].as_array().unwrap()),
        ["Old", "New"]
    );
    let bad = api
        .call(
            Method::GET,
            "Contacts",
            None,
            &[("If-Modified-Since", "yesterday")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn sixty_calls_a_minute_then_429_with_xeros_headers() {
    let api = Api::start().await;
    // At scale 10 a minute lasts 6 s: long enough for 60 calls on a busy machine.
    api.sandbox.set_time_scale(10);
    let started = Instant::now();
    let first = api.get("Accounts").await;
    assert_eq!(first.header("x-minlimit-remaining"), "59");
    assert_eq!(first.header("x-daylimit-remaining"), "4999");
    assert_eq!(first.header("x-appminlimit-remaining"), "9999");
    for n in 2..=60 {
        let answer = api.get("TaxRates").await;
        assert_eq!(answer.status, StatusCode::OK, "call {n}");
        assert_eq!(answer.header("x-minlimit-remaining"), (60 - n).to_string());
    }
    let refused = api.get("Items").await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "too slow to test the window"
    );
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("x-rate-limit-problem"), "minute");
    assert_eq!(refused.header("x-minlimit-remaining"), "0");
    assert_eq!(refused.header("x-daylimit-remaining"), "4940");
    let retry_after: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=6).contains(&retry_after), "{retry_after}");

    // The other tenant has its own minute.
    let us = api
        .call(
            Method::GET,
            "Items",
            None,
            &[("xero-tenant-id", XERO_TENANT_US_ID)],
        )
        .await;
    assert_eq!(us.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = api.get("Items").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.header("x-minlimit-remaining"), "59");
}

#[tokio::test]
async fn five_calls_at_once_then_429_concurrent() {
    let api = std::sync::Arc::new(Api::start().await);
    api.sandbox
        .queue_faults(Profile::Xero, [Fault::Slow { millis: 1500 }; 5]);
    let slow: Vec<_> = (0..5)
        .map(|_| {
            let api = std::sync::Arc::clone(&api);
            tokio::spawn(async move { api.get("Contacts").await.status })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = api.get("Contacts").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("x-rate-limit-problem"), "concurrent");
    assert!(refused.headers.contains_key("retry-after"));
    for call in slow {
        assert_eq!(call.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(api.get("Contacts").await.status, StatusCode::OK);
}

#[tokio::test]
async fn injected_faults_behave_as_documented() {
    let api = Api::start().await;
    let contact = |name: &str| json!({"Contacts": [{"Name": name}]});

    api.sandbox
        .queue_faults(Profile::Xero, [Fault::ServerError]);
    let unavailable = api.put("Contacts", &contact("Never")).await;
    assert_eq!(unavailable.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(api.contacts().await.is_empty(), "a 503 applies nothing");

    api.sandbox
        .queue_faults(Profile::Xero, [Fault::TooManyRequests]);
    let limited = api.put("Contacts", &contact("Never")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header("x-rate-limit-problem"), "minute");
    assert_eq!(limited.header("retry-after"), "1");
    assert!(api.contacts().await.is_empty());

    api.sandbox
        .queue_faults(Profile::Xero, [Fault::Slow { millis: 300 }]);
    let started = Instant::now();
    let slow = api.put("Contacts", &contact("Slow")).await;
    assert_eq!(slow.status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Cut after the write: the client sees a broken body, the contact exists,
    // and a retry with the same Idempotency-Key replays instead of duplicating.
    api.sandbox
        .queue_faults(Profile::Xero, [Fault::CutAfterWrite]);
    let body = contact("Cut");
    let cut = api
        .call(
            Method::PUT,
            "Contacts",
            Some(&body),
            &[("Idempotency-Key", "cut-1")],
        )
        .await;
    assert!(cut.cut, "the body should break off: {}", cut.text);
    assert_eq!(names(&api.contacts().await), ["Slow", "Cut"]);
    let retry = api
        .call(
            Method::PUT,
            "Contacts",
            Some(&body),
            &[("Idempotency-Key", "cut-1")],
        )
        .await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body["Contacts"][0]["Name"], "Cut");
    assert_eq!(api.contacts().await.len(), 2);

    // A read that draws a cut is served normally.
    api.sandbox
        .queue_faults(Profile::Xero, [Fault::CutAfterWrite]);
    assert_eq!(api.get("Contacts").await.status, StatusCode::OK);
    assert_eq!(api.sandbox.faults_injected(Profile::Xero), 4);

    let log = api.sandbox.log();
    let outcomes: Vec<&str> = log
        .iter()
        .filter(|entry| entry.path.ends_with("/Contacts") && entry.method == "PUT")
        .map(|entry| entry.outcome.as_str())
        .collect();
    assert_eq!(
        outcomes,
        [
            "fault_server_error",
            "fault_too_many_requests",
            "ok",
            "cut_after_write",
            "replayed"
        ]
    );
    let log_text = serde_json::to_string(&log).unwrap();
    assert!(
        !log_text.contains(&api.token),
        "no token value reaches the log"
    );
}

#[tokio::test]
async fn every_call_needs_a_token_and_a_covered_tenant() {
    let api = Api::start().await;
    let no_token = api
        .call(Method::GET, "Contacts", None, &[("authorization", "")])
        .await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    assert!(no_token.headers.contains_key("www-authenticate"));
    let bad_token = api
        .call(
            Method::GET,
            "Invoices",
            None,
            &[("authorization", "Bearer nope")],
        )
        .await;
    assert_eq!(bad_token.status, StatusCode::UNAUTHORIZED);
    let no_tenant = api
        .call(
            Method::PUT,
            "Contacts",
            Some(&json!({"Name": "X"})),
            &[("xero-tenant-id", "")],
        )
        .await;
    assert_eq!(no_tenant.status, StatusCode::FORBIDDEN);
    assert_eq!(no_tenant.body["Detail"], "AuthenticationUnsuccessful");
    let foreign = api
        .call(
            Method::GET,
            "Accounts",
            None,
            &[("xero-tenant-id", "00000000-0000-0000-0000-000000000001")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(foreign.body["Detail"], "AuthorizationUnsuccessful");
    assert!(api.contacts().await.is_empty());

    // Data is kept per tenant.
    api.create_contact(json!({"Name": "Kiwi Ltd"})).await;
    let us = api
        .call(
            Method::GET,
            "Contacts",
            None,
            &[("xero-tenant-id", XERO_TENANT_US_ID)],
        )
        .await;
    assert_eq!(us.body["Contacts"], json!([]));
    let us_put = api
        .call(
            Method::PUT,
            "Contacts",
            Some(&json!({"Name": "Kiwi Ltd"})),
            &[("xero-tenant-id", XERO_TENANT_US_ID)],
        )
        .await;
    assert_eq!(
        us_put.status,
        StatusCode::OK,
        "the same name is free in another tenant"
    );

    let reset = api
        .call(
            Method::POST,
            &format!("/_sandbox/xero/{XERO_TENANT_NZ_ID}/reset"),
            None,
            &[],
        )
        .await;
    assert_eq!(
        reset.body,
        json!({"tenant": XERO_TENANT_NZ_ID, "reset": true})
    );
    assert!(api.contacts().await.is_empty());
    assert_eq!(api.dump(XERO_TENANT_US_ID, "contacts").await.len(), 1);
    let unknown = api
        .call(Method::GET, "/_sandbox/xero/nope/contacts", None, &[])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reference_data_is_seeded_per_tenant() {
    let api = Api::start().await;
    let us = [("xero-tenant-id", XERO_TENANT_US_ID)];
    let rates = api.get("TaxRates").await.body["TaxRates"].clone();
    let nz_types: Vec<&str> = rates
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["TaxType"].as_str().unwrap())
        .collect();
    assert_eq!(
        nz_types,
        [
            "OUTPUT2",
            "INPUT2",
            "NONE",
            "EXEMPTOUTPUT",
            "ZERORATEDOUTPUT"
        ]
    );
    assert_eq!(num(&rates[0]["EffectiveRate"]), "15");
    let us_rates = api.call(Method::GET, "TaxRates", None, &us).await.body["TaxRates"].clone();
    let us_types: Vec<&str> = us_rates
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["TaxType"].as_str().unwrap())
        .collect();
    assert_eq!(us_types, ["TAX", "NONE"]);
    assert_eq!(num(&us_rates[0]["EffectiveRate"]), "8.25");

    let accounts = api.get("Accounts").await.body["Accounts"].clone();
    let revenue: Vec<(&str, &str)> = accounts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["Type"] == "REVENUE")
        .map(|a| (a["Code"].as_str().unwrap(), a["Name"].as_str().unwrap()))
        .collect();
    assert_eq!(revenue, [("200", "Sales"), ("260", "Other Revenue")]);
    let items = api.call(Method::GET, "Items", None, &us).await.body["Items"].clone();
    assert_eq!(items[0]["Code"], "DEV");
    assert_eq!(num(&items[0]["SalesDetails"]["UnitPrice"]), "150");

    // A US invoice uses the US sales tax (6.25 % + 2 %): 100 → 8.25.
    let invoice = api
        .call(Method::PUT, "Invoices", Some(&json!({"Type": "ACCREC", "Contact": {"Name": "Yank Inc"},
            "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 100, "AccountCode": "200"}]})), &us)
        .await;
    assert_eq!(
        invoice.body["Invoices"][0]["LineItems"][0]["TaxType"],
        "TAX"
    );
    assert_eq!(num(&invoice.body["Invoices"][0]["TotalTax"]), "8.25");
    assert_eq!(invoice.body["Invoices"][0]["CurrencyCode"], "USD");
}

#[test]
fn the_fidelity_check_rejects_invented_fields_and_wrong_types() {
    let good = json!({"Contacts": [{"ContactID": "00000000-0000-0000-0000-000000000000", "Name": "A",
        "ContactStatus": "ACTIVE", "UpdatedDateUTC": "/Date(0+0000)/", "Balances": {"AccountsReceivable": {"Outstanding": 1.5}}}]});
    assert!(fidelity::problems("Contacts", &good).is_empty());
    let invented = json!({"Contacts": [{"Name": "A", "Nickname": "a"}]});
    assert!(!fidelity::problems("Contacts", &invented).is_empty());
    let wrong_type = json!({"Invoices": [{"Total": "62.31"}]});
    assert!(!fidelity::problems("Invoices", &wrong_type).is_empty());
    let wrong_enum = json!({"Invoices": [{"Status": "OPEN"}]});
    assert!(!fidelity::problems("Invoices", &wrong_enum).is_empty());
    let nested = json!({"Invoices": [{"LineItems": [{"LineAmount": 1, "Colour": "red"}]}]});
    assert!(!fidelity::problems("Invoices", &nested).is_empty());
    let error = json!({"ErrorNumber": 10, "Type": "ValidationException", "Message": "m",
        "Elements": [{"Name": "anything", "ValidationErrors": [{"Message": "x"}]}]});
    assert!(fidelity::problems("Error", &error).is_empty());
    assert!(!fidelity::problems("Error", &json!({"ErrorNumber": "10"})).is_empty());
}

fn field_list(body: &Value, collection: &str, field: &str) -> Vec<String> {
    body[collection]
        .as_array()
        .unwrap_or_else(|| panic!("no {collection}: {body}"))
        .iter()
        .map(|record| match &record[field] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test]
async fn reference_data_lists_take_where_and_order() {
    let api = Api::start().await;
    let get = |path: String| {
        let api = &api;
        async move {
            let answer = api.get(&path).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
            answer.body
        }
    };
    // TaxRates: filtered on a top-level field, a boolean and a number; ordered.
    let sales = get(format!(
        "TaxRates?where={}&order={}",
        urlencode(r#"CanApplyToRevenue==true"#),
        urlencode("TaxType DESC")
    ))
    .await;
    assert_eq!(
        field_list(&sales, "TaxRates", "TaxType"),
        ["ZERORATEDOUTPUT", "OUTPUT2", "NONE", "EXEMPTOUTPUT"]
    );
    let taxed = get(format!("TaxRates?where={}", urlencode("EffectiveRate==15"))).await;
    assert_eq!(
        field_list(&taxed, "TaxRates", "TaxType"),
        ["OUTPUT2", "INPUT2"]
    );
    let by_rate_then_name = get(format!(
        "TaxRates?order={}",
        urlencode("EffectiveRate DESC, Name ASC")
    ))
    .await;
    assert_eq!(
        field_list(&by_rate_then_name, "TaxRates", "Name"),
        [
            "15% GST on Expenses",
            "15% GST on Income",
            "Exempt Income",
            "No GST",
            "Zero Rated"
        ]
    );

    // Accounts: the spec's example filter, and ordering by name.
    let bank = get(format!(
        "Accounts?where={}",
        urlencode(r#"Status=="ACTIVE" AND Type=="BANK""#)
    ))
    .await;
    assert_eq!(field_list(&bank, "Accounts", "Code"), ["090"]);
    let by_name = get(format!("Accounts?order={}", urlencode("Name ASC"))).await;
    assert_eq!(
        field_list(&by_name, "Accounts", "Name"),
        [
            "Accounts Receivable",
            "Advertising",
            "Business Bank Account",
            "Other Revenue",
            "Sales"
        ]
    );
    let revenue_desc = get(format!(
        "Accounts?where={}&order={}",
        urlencode(r#"Class=="REVENUE""#),
        urlencode("Code DESC")
    ))
    .await;
    assert_eq!(
        field_list(&revenue_desc, "Accounts", "Code"),
        ["260", "200"]
    );

    // Items: a nested field, Contains, and price order.
    let on_sales = get(format!(
        "Items?where={}&order={}",
        urlencode(r#"SalesDetails.AccountCode=="200""#),
        urlencode("SalesDetails.UnitPrice ASC")
    ))
    .await;
    assert_eq!(field_list(&on_sales, "Items", "Code"), ["SUPPORT", "DEV"]);
    let hourly = get(format!(
        "Items?where={}&order={}",
        urlencode(r#"Description.Contains("per hour")"#),
        urlencode("Code")
    ))
    .await;
    assert_eq!(field_list(&hourly, "Items", "Code"), ["DEV", "SUPPORT"]);
    let priciest = get(format!(
        "Items?order={}",
        urlencode("SalesDetails.UnitPrice DESC")
    ))
    .await;
    assert_eq!(
        field_list(&priciest, "Items", "Code"),
        ["LICENCE", "DEV", "SUPPORT"]
    );
    // Accounts and Items have If-Modified-Since: the seed is from 2020.
    let later = api
        .call(
            Method::GET,
            "Items",
            None,
            &[("If-Modified-Since", "2021-01-01T00:00:00")],
        )
        .await;
    assert_eq!(later.body["Items"].as_array().unwrap().len(), 0);
    let earlier = api
        .call(
            Method::GET,
            "Accounts",
            None,
            &[("If-Modified-Since", "2019-01-01T00:00:00")],
        )
        .await;
    assert_eq!(earlier.body["Accounts"].as_array().unwrap().len(), 5);

    // Unreadable clauses are QueryParseExceptions.
    for bad in [
        format!("TaxRates?where={}", urlencode("Name")),
        format!("Accounts?order={}", urlencode("Name SIDEWAYS")),
        format!("Items?order={}", urlencode("Code,")),
    ] {
        let answer = api.get(&bad).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.body["Type"], "QueryParseException", "{bad}");
    }
}

#[tokio::test]
async fn invoice_and_contact_lists_take_order() {
    let api = Api::start().await;
    for name in ["Bravo", "alpha", "Charlie"] {
        api.create_contact(json!({"Name": name})).await;
    }
    let sorted = api
        .get(&format!("Contacts?order={}", urlencode("Name DESC")))
        .await;
    assert_eq!(
        field_list(&sorted.body, "Contacts", "Name"),
        ["Charlie", "Bravo", "alpha"]
    );
    for (number, amount) in [("B-2", "30"), ("A-1", "10"), ("C-3", "20")] {
        api.create_invoice(
            "",
            json!({"Type": "ACCREC", "InvoiceNumber": number, "Contact": {"Name": "Bravo"},
                   "LineItems": [line("x", "1", amount, json!({}))]}),
        )
        .await;
    }
    let by_total = api
        .get(&format!(
            "Invoices?order={}&page=1",
            urlencode("Total DESC")
        ))
        .await;
    assert_eq!(
        field_list(&by_total.body, "Invoices", "InvoiceNumber"),
        ["B-2", "C-3", "A-1"]
    );
}

const NOT_SUBSCRIBED_AUD: &str = "Organisation is not subscribed to currency AUD";

#[tokio::test]
async fn currencies_are_the_base_and_those_added() {
    let api = Api::start().await;
    let listed = api.get("Currencies").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(
        listed.body,
        json!({"Currencies": [{"Code": "NZD", "Description": "New Zealand Dollar"}]})
    );
    let us = [("xero-tenant-id", XERO_TENANT_US_ID)];
    let us_listed = api.call(Method::GET, "Currencies", None, &us).await;
    assert_eq!(field_list(&us_listed.body, "Currencies", "Code"), ["USD"]);

    // An invoice in a currency not added is refused with Xero's message.
    let aud_invoice = json!({"Type": "ACCREC", "Contact": {"Name": "Oz Pty"}, "CurrencyCode": "AUD",
        "LineItems": [line("x", "1", "100", json!({}))]});
    let refused = api
        .put("Invoices", &json!({"Invoices": [aud_invoice]}))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.body["Type"], "ValidationException");
    assert_eq!(refused.messages(), [NOT_SUBSCRIBED_AUD]);
    let not_a_code = api
        .put(
            "Invoices",
            &json!({"Type": "ACCREC", "Contact": {"Name": "Oz Pty"}, "CurrencyCode": "XYZ",
                "LineItems": [line("x", "1", "1", json!({}))]}),
        )
        .await;
    assert_eq!(
        not_a_code.messages(),
        ["The currency code 'XYZ' is not valid."]
    );

    // PUT /Currencies adds it (the spec's single Currency body); adding twice changes nothing.
    let added = api
        .put(
            "Currencies",
            &json!({"Code": "AUD", "Description": "Australian Dollar"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(
        added.body,
        json!({"Currencies": [{"Code": "AUD", "Description": "Australian Dollar"}]})
    );
    api.put("Currencies", &json!({"Currencies": [{"Code": "aud"}]}))
        .await;
    let bad = api.put("Currencies", &json!({"Code": "XYZ"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["Type"], "ValidationException");
    assert_eq!(bad.body["Message"], "The currency code 'XYZ' is not valid.");
    let listed = api.get("Currencies").await;
    assert_eq!(
        field_list(&listed.body, "Currencies", "Code"),
        ["NZD", "AUD"]
    );
    let filtered = api
        .get(&format!(
            "Currencies?where={}&order={}",
            urlencode(r#"Code!="NZD""#),
            urlencode("Code DESC")
        ))
        .await;
    assert_eq!(field_list(&filtered.body, "Currencies", "Code"), ["AUD"]);
    // Only NZ has it.
    let us_listed = api.call(Method::GET, "Currencies", None, &us).await;
    assert_eq!(field_list(&us_listed.body, "Currencies", "Code"), ["USD"]);

    // Now the invoice is taken, keeps its currency and gets the sandbox's rate
    // (AUD per NZD: 1.5 / 1.6 = 0.9375) unless it sends one.
    let saved = api
        .create_invoice(
            "",
            json!({"Type": "ACCREC", "Contact": {"Name": "Oz Pty"}, "CurrencyCode": "aud",
                "LineItems": [line("x", "1", "100", json!({}))]}),
        )
        .await;
    assert_eq!(saved["CurrencyCode"], "AUD");
    assert_eq!(num(&saved["CurrencyRate"]), "0.9375");
    assert_eq!(num(&saved["Total"]), "115");
    let rated = api
        .create_invoice(
            "",
            json!({"Type": "ACCREC", "Contact": {"Name": "Oz Pty"}, "CurrencyCode": "AUD",
                "CurrencyRate": 0.912345, "LineItems": [line("x", "1", "10", json!({}))]}),
        )
        .await;
    assert_eq!(num(&rated["CurrencyRate"]), "0.912345");
    let zero = api
        .put(
            "Invoices",
            &json!({"Type": "ACCREC", "Contact": {"Name": "Oz Pty"}, "CurrencyCode": "AUD",
                "CurrencyRate": 0, "LineItems": [line("x", "1", "10", json!({}))]}),
        )
        .await;
    assert_eq!(zero.messages(), ["CurrencyRate must be greater than zero."]);
    // The base currency is always at 1, whatever is sent.
    let base = api
        .create_invoice(
            "",
            json!({"Type": "ACCREC", "Contact": {"Name": "Kiwi Ltd"}, "CurrencyCode": "NZD",
                "CurrencyRate": 2, "LineItems": [line("x", "1", "10", json!({}))]}),
        )
        .await;
    assert_eq!(num(&base["CurrencyRate"]), "1");

    // The control routes: list, and add without a token.
    let control = format!("/_sandbox/xero/{XERO_TENANT_NZ_ID}/currencies");
    let enabled = api
        .call(Method::POST, &control, Some(&json!({"Code": "USD"})), &[])
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.text);
    assert_eq!(
        field_list(&enabled.body, "Currencies", "Code"),
        ["NZD", "AUD", "USD"]
    );
    let refused = api
        .call(Method::POST, &control, Some(&json!({"Code": "ZZZ"})), &[])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let dumped = api.dump(XERO_TENANT_NZ_ID, "currencies").await;
    assert_eq!(dumped.len(), 3);
    let usd = api
        .create_invoice(
            "",
            json!({"Type": "ACCREC", "Contact": {"Name": "Yank Inc"}, "CurrencyCode": "USD",
                "LineItems": [line("x", "1", "10", json!({}))]}),
        )
        .await;
    assert_eq!(num(&usd["CurrencyRate"]), "0.625");
    // A reset forgets them.
    api.call(
        Method::POST,
        &format!("/_sandbox/xero/{XERO_TENANT_NZ_ID}/reset"),
        None,
        &[],
    )
    .await;
    assert_eq!(api.dump(XERO_TENANT_NZ_ID, "currencies").await.len(), 1);
}

const NEGATIVE_INVOICE: &str =
    "Invoice total cannot be negative. Raise a credit note for a negative amount.";

#[tokio::test]
async fn a_negative_invoice_total_is_refused() {
    let api = Api::start().await;
    let negative = json!({"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"},
        "LineItems": [line("work", "1", "100", json!({})), line("refund", "-2", "60", json!({}))]});
    let refused = api.put("Invoices", &json!({"Invoices": [negative]})).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(refused.messages(), [NEGATIVE_INVOICE]);
    // The echo shows the computed total.
    assert_eq!(num(&refused.body["Elements"][0]["Total"]), "-23");
    // summarizeErrors=false: refused alone, the good one saved.
    let mixed = api
        .post(
            "Invoices?summarizeErrors=false",
            &json!({"Invoices": [
                {"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "LineItems": [line("x", "1", "-0.01", json!({}))]},
                {"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "LineItems": [line("discount", "1", "-5", json!({})), line("x", "1", "5", json!({}))]},
            ]}),
        )
        .await;
    assert_eq!(mixed.status, StatusCode::OK, "{}", mixed.text);
    assert_eq!(mixed.body["Invoices"][0]["HasErrors"], true);
    assert_eq!(
        mixed.body["Invoices"][0]["ValidationErrors"][0]["Message"],
        NEGATIVE_INVOICE
    );
    // A zero total (a discount line cancelling a charge) is allowed.
    assert_eq!(mixed.body["Invoices"][1]["StatusAttributeString"], "OK");
    assert_eq!(num(&mixed.body["Invoices"][1]["Total"]), "0");
    // An update that would make a saved invoice negative is refused too.
    let saved = api
        .create_invoice(
            "",
            json!({"Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "LineItems": [line("x", "1", "5", json!({}))]}),
        )
        .await;
    let update = api
        .post(
            "Invoices",
            &json!({"InvoiceID": saved["InvoiceID"], "LineItems": [line("x", "-1", "5", json!({}))]}),
        )
        .await;
    assert_eq!(update.messages(), [NEGATIVE_INVOICE]);
    assert_eq!(api.invoices().await.len(), 2);
}

fn credit_note(number: Option<&str>, lines: Vec<Value>) -> Value {
    let mut note = json!({"Type": "ACCRECCREDIT", "Contact": {"Name": "Acme Ltd"},
        "Date": "2026-03-05", "Reference": "Job J-1", "LineItems": lines});
    if let Some(number) = number {
        note["CreditNoteNumber"] = json!(number);
    }
    note
}

#[tokio::test]
async fn credit_notes_are_created_numbered_listed_and_dumped() {
    let api = Api::start().await;
    // Same per-line rounding as invoices: 3 × 19.99 less 10 % = 53.97, GST 8.10.
    let created = api
        .put(
            "CreditNotes?unitdp=4",
            &json!({"CreditNotes": [
                credit_note(None, vec![line("refund", "3", "19.99", json!({"DiscountRate": 10}))]),
                credit_note(Some("RMA-7"), vec![line("a", "1", "0.10", json!({})), line("b", "1", "0.10", json!({}))]),
            ]}),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let first = &created.body["CreditNotes"][0];
    assert_eq!(first["Type"], "ACCRECCREDIT");
    assert_eq!(first["CreditNoteNumber"], "CN-0001");
    assert_eq!(first["Status"], "DRAFT");
    assert_eq!(first["Reference"], "Job J-1");
    assert_eq!(num(&first["SubTotal"]), "53.97");
    assert_eq!(num(&first["TotalTax"]), "8.1");
    assert_eq!(num(&first["Total"]), "62.07");
    assert_eq!(num(&first["RemainingCredit"]), "62.07");
    assert_eq!(first["CurrencyCode"], "NZD");
    assert_eq!(num(&first["CurrencyRate"]), "1");
    assert!(is_ms_date(&first["UpdatedDateUTC"]));
    let second = &created.body["CreditNotes"][1];
    assert_eq!(second["CreditNoteNumber"], "RMA-7");
    assert_eq!(num(&second["TotalTax"]), "0.04", "tax rounded per line");
    let id = first["CreditNoteID"].as_str().unwrap().to_owned();

    // Numbers are unique among ACCRECCREDIT credit notes (not shared with invoices).
    let duplicate = api
        .put("CreditNotes", &json!({"CreditNotes": [credit_note(Some("RMA-7"), vec![line("x", "1", "1", json!({}))])]}))
        .await;
    assert_eq!(duplicate.messages(), ["Credit Note # must be unique."]);
    api.create_invoice(
        "",
        json!({"Type": "ACCREC", "InvoiceNumber": "RMA-7", "Contact": {"Name": "Acme Ltd"},
               "LineItems": [line("x", "1", "1", json!({}))]}),
    )
    .await;

    // A negative credit note is refused; so is one in a currency not added.
    let negative = api
        .put(
            "CreditNotes",
            &json!(credit_note(None, vec![line("x", "-1", "1", json!({}))])),
        )
        .await;
    assert_eq!(negative.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        negative.messages(),
        ["Credit note total cannot be negative."]
    );
    let mut aud = credit_note(None, vec![line("x", "1", "1", json!({}))]);
    aud["CurrencyCode"] = json!("AUD");
    let refused = api.put("CreditNotes", &aud).await;
    assert_eq!(refused.messages(), [NOT_SUBSCRIBED_AUD]);
    api.put("Currencies", &json!({"Code": "AUD"})).await;
    let taken = api.put("CreditNotes", &aud).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
    assert_eq!(taken.body["CreditNotes"][0]["CurrencyCode"], "AUD");
    assert_eq!(num(&taken.body["CreditNotes"][0]["CurrencyRate"]), "0.9375");
    assert_eq!(taken.body["CreditNotes"][0]["CreditNoteNumber"], "CN-0002");

    // Read back: by id, by number, listed with where/order/page, and the dump.
    let one = api.get(&format!("CreditNotes/{id}")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["CreditNotes"][0]["CreditNoteNumber"], "CN-0001");
    let by_number = api.get("CreditNotes/RMA-7").await;
    assert_eq!(
        by_number.body["CreditNotes"][0]["CreditNoteNumber"],
        "RMA-7"
    );
    let missing = api.get(&format!("CreditNotes/{}", uuid_like(3))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let ordered = api
        .get(&format!(
            "CreditNotes?where={}&order={}&page=1&pageSize=2",
            urlencode(r#"Type=="ACCRECCREDIT" AND Status=="DRAFT""#),
            urlencode("CreditNoteNumber DESC")
        ))
        .await;
    assert_eq!(
        field_list(&ordered.body, "CreditNotes", "CreditNoteNumber"),
        ["RMA-7", "CN-0002"]
    );
    assert_eq!(ordered.body["pagination"]["itemCount"], 3);
    assert_eq!(ordered.body["pagination"]["pageCount"], 2);
    let dumped = api.credit_notes().await;
    assert_eq!(dumped.len(), 3);
    assert_eq!(num(&dumped[0]["LineItems"][0]["UnitAmount"]), "19.99");
    // Credit notes are not invoices.
    assert_eq!(api.invoices().await.len(), 1);
    let contact = &api.contacts().await[0];
    assert_eq!(contact["Name"], "Acme Ltd");
    assert_eq!(contact["IsCustomer"], true);

    // If-Modified-Since.
    api.sandbox.advance_clock(Duration::from_secs(120));
    let since = chrono::DateTime::<chrono::Utc>::from(api.sandbox.now())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    api.sandbox.advance_clock(Duration::from_secs(120));
    let later = api
        .post(
            &format!("CreditNotes/{id}"),
            &json!({"Reference": "Job J-1 (corrected)"}),
        )
        .await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.text);
    let changed = api
        .call(
            Method::GET,
            "CreditNotes",
            None,
            &[("If-Modified-Since", since.as_str())],
        )
        .await;
    assert_eq!(
        field_list(&changed.body, "CreditNotes", "CreditNoteNumber"),
        ["CN-0001"]
    );
}

#[tokio::test]
async fn credit_note_statuses_updates_batches_and_idempotency() {
    let api = Api::start().await;
    let one_line = || vec![line("x", "1", "10", json!({}))];
    let saved = api
        .put(
            "CreditNotes",
            &json!({"CreditNotes": [credit_note(None, one_line())]}),
        )
        .await;
    let id = saved.body["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = |id: String, status: &'static str| {
        let api = &api;
        async move {
            api.post(
                &format!("CreditNotes/{id}"),
                &json!({"CreditNoteID": id, "Status": status}),
            )
            .await
        }
    };
    // DRAFT → VOIDED is refused; AUTHORISED → DELETED too; AUTHORISED → VOIDED is allowed.
    let voided_draft = status(id.clone(), "VOIDED").await;
    assert_eq!(
        voided_draft.messages(),
        ["A DRAFT or SUBMITTED credit note cannot be voided; delete it (Status DELETED) instead."]
    );
    assert_eq!(status(id.clone(), "SUBMITTED").await.status, StatusCode::OK);
    assert_eq!(
        status(id.clone(), "AUTHORISED").await.status,
        StatusCode::OK
    );
    assert_eq!(
        status(id.clone(), "DELETED").await.messages(),
        ["An AUTHORISED credit note cannot be deleted; void it (Status VOIDED) instead."]
    );
    assert_eq!(
        status(id.clone(), "DRAFT").await.messages(),
        ["Document not of valid status for modification"]
    );
    assert_eq!(
        status(id.clone(), "PAID").await.messages(),
        ["Status PAID is set when a credit note is fully allocated or refunded."]
    );
    // An authorised credit note may still be edited; the totals are recomputed.
    let edited = api
        .post(
            "CreditNotes",
            &json!({"CreditNotes": [{"CreditNoteID": id, "LineItems": [line("x", "2", "10", json!({}))]}]}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(num(&edited.body["CreditNotes"][0]["Total"]), "23");
    assert_eq!(status(id.clone(), "VOIDED").await.status, StatusCode::OK);
    assert_eq!(
        status(id.clone(), "AUTHORISED").await.messages(),
        ["Document not of valid status for modification"]
    );
    // A draft is deleted; PUT creates only; POST by number updates.
    let draft = api
        .put("CreditNotes", &json!(credit_note(Some("CN-X"), one_line())))
        .await;
    let draft_id = draft.body["CreditNotes"][0]["CreditNoteID"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_number = api
        .post(
            "CreditNotes",
            &json!({"CreditNoteNumber": "CN-X", "Reference": "Contract SC-1"}),
        )
        .await;
    assert_eq!(
        by_number.body["CreditNotes"][0]["CreditNoteID"],
        draft_id.as_str()
    );
    assert_eq!(
        by_number.body["CreditNotes"][0]["Reference"],
        "Contract SC-1"
    );
    assert_eq!(
        status(draft_id.clone(), "DELETED").await.status,
        StatusCode::OK
    );
    let unknown = api
        .post(
            "CreditNotes",
            &json!({"CreditNoteID": uuid_like(5), "Status": "DELETED"}),
        )
        .await;
    assert_eq!(
        unknown.messages()[0],
        "An existing Credit Note with the specified CreditNoteID could not be found"
    );
    let unknown_path = api
        .post(
            &format!("CreditNotes/{}", uuid_like(5)),
            &json!({"Status": "DELETED"}),
        )
        .await;
    assert_eq!(unknown_path.status, StatusCode::NOT_FOUND);
    let no_type = api
        .put(
            "CreditNotes",
            &json!({"Contact": {"Name": "A"}, "LineItems": one_line()}),
        )
        .await;
    assert_eq!(
        no_type.messages(),
        ["Credit note Type must be specified (ACCRECCREDIT or ACCPAYCREDIT)."]
    );

    // summarizeErrors=false: one element per credit note, refused ones marked.
    let batch = api
        .put(
            "CreditNotes?summarizeErrors=false",
            &json!({"CreditNotes": [
                credit_note(Some("B-1"), one_line()),
                credit_note(Some("B-1"), one_line()),
            ]}),
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text);
    assert_eq!(batch.body["CreditNotes"][0]["StatusAttributeString"], "OK");
    assert_eq!(
        batch.body["CreditNotes"][1]["StatusAttributeString"],
        "ERROR"
    );
    assert_eq!(batch.body["CreditNotes"][1]["HasErrors"], true);
    assert_eq!(
        batch.body["CreditNotes"][1]["ValidationErrors"][0]["Message"],
        "Credit Note # must be unique."
    );

    // Idempotency-Key: the same request replays, a different one is refused.
    let body = json!({"CreditNotes": [credit_note(Some("K-1"), one_line())]});
    let key = [("Idempotency-Key", "cn-key-1")];
    let first = api
        .call(Method::PUT, "CreditNotes", Some(&body), &key)
        .await;
    let again = api
        .call(Method::PUT, "CreditNotes", Some(&body), &key)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.text, again.text);
    let other = api
        .call(
            Method::PUT,
            "CreditNotes",
            Some(&json!({"CreditNotes": [credit_note(Some("K-2"), one_line())]})),
            &key,
        )
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    let numbers: Vec<String> = api
        .credit_notes()
        .await
        .iter()
        .map(|n| n["CreditNoteNumber"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers, ["CN-0001", "CN-X", "B-1", "K-1"]);
}
