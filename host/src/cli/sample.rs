//! The sample Tracker Pro book the quickstart transfers: three customers, two job invoices
//! and a contract (service) invoice, with the awkward cases a real book has (a comma and
//! quotes in a name, a fractional quantity, a discount, an inclusive-tax invoice).

use ledgerlink::runtime::bindings::{
    Address, Customer, CustomerRef, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, TaxMode,
};

const CUSTOMERS: [(&str, &str, &str, &str); 3] = [
    (
        "TP-CUST-1001",
        "Harbour Plumbing Ltd",
        "accounts@harbourplumbing.example",
        "12 Wharf Street",
    ),
    (
        "TP-CUST-1002",
        "Kea Electrical, \"North\" branch",
        "office@keaelectrical.example",
        "5 Kauri Road",
    ),
    (
        "TP-CUST-1003",
        "Southern Cross Property Management",
        "ap@southerncross.example",
        "200 Queen Street",
    ),
];

/// The sample customers, keyed by Tracker Pro customer number.
pub fn customers() -> Vec<Customer> {
    CUSTOMERS
        .iter()
        .map(|(key, name, email, street)| Customer {
            key: (*key).to_owned(),
            remote_id: None,
            version: None,
            idempotency_key: None,
            name: (*name).to_owned(),
            account_number: Some(key.trim_start_matches("TP-CUST-").to_owned()),
            contact_name: None,
            email: Some((*email).to_owned()),
            phone: Some("+64 9 555 0100".to_owned()),
            tax_number: Some("123-456-789".to_owned()),
            billing_address: Some(Address {
                line1: Some((*street).to_owned()),
                line2: None,
                city: Some("Auckland".to_owned()),
                region: None,
                postal_code: Some("1010".to_owned()),
                country: Some("NZ".to_owned()),
            }),
            shipping_address: None,
            currency: Some("NZD".to_owned()),
            active: true,
            updated_at: None,
        })
        .collect()
}

/// The Tracker Pro key of the customer called `name`.
pub fn customer_key_for(name: &str) -> Option<&'static str> {
    CUSTOMERS.iter().find(|c| c.1 == name).map(|c| c.0)
}

#[allow(clippy::too_many_arguments)]
fn line(
    description: &str,
    quantity: &str,
    unit_price: &str,
    discount: Option<&str>,
    amount: &str,
    tax: &str,
) -> InvoiceLine {
    InvoiceLine {
        description: description.to_owned(),
        quantity: quantity.to_owned(),
        unit_price: unit_price.to_owned(),
        discount_percent: discount.map(str::to_owned),
        amount: amount.to_owned(),
        item_code: None,
        account_code: Some("200".to_owned()),
        tax_code: Some("OUTPUT2".to_owned()),
        tax_amount: Some(tax.to_owned()),
    }
}

/// The sample invoices: two closed jobs flagged ready for invoice, one contract invoice.
pub fn invoices() -> Vec<Invoice> {
    let invoice = |key: &str,
                   kind,
                   number: &str,
                   customer: &str,
                   tax_mode,
                   lines: Vec<InvoiceLine>,
                   totals: [&str; 3],
                   reference: &str| Invoice {
        key: key.to_owned(),
        remote_id: None,
        version: None,
        idempotency_key: None,
        kind,
        number: number.to_owned(),
        customer: CustomerRef {
            remote_id: None,
            name: customer.to_owned(),
        },
        issue_date: "2026-11-02".to_owned(),
        due_date: Some("2026-11-20".to_owned()),
        currency: "NZD".to_owned(),
        tax_mode,
        lines,
        subtotal: totals[0].to_owned(),
        tax_total: totals[1].to_owned(),
        total: totals[2].to_owned(),
        reference: Some(reference.to_owned()),
        memo: None,
        status: InvoiceStatus::Authorised,
        updated_at: None,
    };
    vec![
        invoice(
            "TP-JOB-5001",
            InvoiceKind::Job,
            "J5001",
            "Harbour Plumbing Ltd",
            TaxMode::Exclusive,
            vec![
                line(
                    "Replace hot water cylinder valve",
                    "1",
                    "185.00",
                    None,
                    "185.00",
                    "27.75",
                ),
                line(
                    "Labour, call-out rate",
                    "2.5",
                    "96.50",
                    None,
                    "241.25",
                    "36.19",
                ),
            ],
            ["426.25", "63.94", "490.19"],
            "JOB 5001",
        ),
        invoice(
            "TP-JOB-5002",
            InvoiceKind::Job,
            "J5002",
            "Kea Electrical, \"North\" branch",
            TaxMode::Exclusive,
            vec![line(
                "Switchboard inspection",
                "0.125",
                "1200.00",
                Some("10"),
                "135.00",
                "20.25",
            )],
            ["135.00", "20.25", "155.25"],
            "JOB 5002",
        ),
        invoice(
            "TP-SVC-9001",
            InvoiceKind::Contract,
            "S9001",
            "Southern Cross Property Management",
            TaxMode::Inclusive,
            vec![line(
                "Quarterly HVAC service, Nov 2026",
                "1",
                "1150.00",
                None,
                "1150.00",
                "150.00",
            )],
            ["1000.00", "150.00", "1150.00"],
            "CONTRACT SC-77",
        ),
    ]
}
