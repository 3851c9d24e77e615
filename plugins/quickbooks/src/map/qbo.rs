//! QuickBooks Online's JSON, as serde types.
//!
//! Element names are Intuit's, from the entity XSDs (`Finance.xsd`, `IntuitBaseTypes.xsd`,
//! `IntuitNamesTypes.xsd`, `IntuitRestServiceDef.xsd`): the JSON wire format uses the same
//! PascalCase element names, and XML attributes become lower-case keys (`sparse`, `status`,
//! `bId`, `operation`, `code`, `element`, `type`). Only the elements this connector reads or
//! writes are declared; unknown ones are ignored when reading and never written.
//! Money and quantities are [`Amount`]s: exact decimals, never floats.

use serde::{Deserialize, Serialize};

use super::amount::Amount;

/// `ReferenceType`: an id (`value`) with an optional display `name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceType {
    /// The referenced entity's Id.
    pub value: String,
    /// Its name, as QuickBooks reports it (ignored by QuickBooks on writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ReferenceType {
    /// A reference by id alone.
    pub fn id(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            name: None,
        }
    }
}

/// `ModificationMetaData`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetaData {
    /// `xs:dateTime` of creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// `xs:dateTime` of the last change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<String>,
}

/// `PhysicalAddress` (the parts this connector maps).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PhysicalAddress {
    /// First street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    /// Second street line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State / province / region code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_sub_division_code: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country, free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// `EmailAddress`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EmailAddress {
    /// The address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `TelephoneNumber`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TelephoneNumber {
    /// The number as entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_form_number: Option<String>,
}

/// `Customer` (NameBase + Customer elements this connector maps).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Customer {
    /// `Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `SyncToken`, the concurrency token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// The `sparse` attribute: an update that changes only the elements sent.
    #[serde(rename = "sparse", default, skip_serializing_if = "Option::is_none")]
    pub sparse: Option<bool>,
    /// The `status` attribute; `Deleted` on CDC entries for deleted entities.
    #[serde(rename = "status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `MetaData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    /// `DisplayName`: unique across customers, vendors and employees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `CompanyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// `GivenName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// `FamilyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// `PrimaryEmailAddr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_email_addr: Option<EmailAddress>,
    /// `PrimaryPhone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_phone: Option<TelephoneNumber>,
    /// `AcctNum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acct_num: Option<String>,
    /// `PrimaryTaxIdentifier` (QuickBooks masks it in responses, e.g. `XXXXXX1234`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_tax_identifier: Option<String>,
    /// `BillAddr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_addr: Option<PhysicalAddress>,
    /// `ShipAddr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_addr: Option<PhysicalAddress>,
    /// `CurrencyRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<ReferenceType>,
    /// `Active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// `MemoRef`: a memo text (`value`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoRef {
    /// The text.
    pub value: String,
}

/// `SalesItemLineDetail` (with the `ItemLineDetail` elements it extends).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SalesItemLineDetail {
    /// `ItemRef`: the product or service sold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_ref: Option<ReferenceType>,
    /// `UnitPrice`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Amount>,
    /// `Qty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qty: Option<Amount>,
    /// `TaxCodeRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_code_ref: Option<ReferenceType>,
}

/// `Line` of a sales transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Line {
    /// `Id` of the line within its transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `Description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// `DetailType` (`LineDetailTypeEnum`): `SalesItemLineDetail`, `SubTotalLineDetail`, ...
    #[serde(default)]
    pub detail_type: String,
    /// `SalesItemLineDetail`, on lines of that type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_item_line_detail: Option<SalesItemLineDetail>,
}

/// `TxnTaxDetail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TxnTaxDetail {
    /// `TotalTax`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_tax: Option<Amount>,
}

/// `LinkedTxn`: a transaction linked to this one (a payment applied to an invoice).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinkedTxn {
    /// `TxnId`.
    #[serde(default)]
    pub txn_id: String,
    /// `TxnType`, e.g. `Payment`.
    #[serde(default)]
    pub txn_type: String,
}

/// `Invoice` (Transaction + SalesTransaction + Invoice elements this connector maps).
///
/// Also used for `CreditMemo`: both extend `SalesTransaction`, and this connector reads and
/// writes only `SalesTransaction` elements of either.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Invoice {
    /// `Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `SyncToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    /// The `sparse` attribute.
    #[serde(rename = "sparse", default, skip_serializing_if = "Option::is_none")]
    pub sparse: Option<bool>,
    /// The `status` attribute (`Deleted` / `Voided` on CDC entries).
    #[serde(rename = "status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `MetaData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    /// `DocNumber`: the invoice number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// `TxnDate`, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<String>,
    /// `DueDate`, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// `CustomerRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<ReferenceType>,
    /// `CurrencyRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<ReferenceType>,
    /// `GlobalTaxCalculation`: `TaxExcluded`, `TaxInclusive` or `NotApplicable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_tax_calculation: Option<String>,
    /// `Line`s, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<Line>,
    /// `TxnTaxDetail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_tax_detail: Option<TxnTaxDetail>,
    /// `TotalAmt`, computed by QuickBooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amt: Option<Amount>,
    /// `Balance`: what is still owed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Amount>,
    /// `PrivateNote`: not printed; carries this connector's kind marker and the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    /// `CustomerMemo`: printed on the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_memo: Option<MemoRef>,
    /// `LinkedTxn`: payments and other transactions linked to the invoice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked_txn: Vec<LinkedTxn>,
}

/// One `Error` of a `Fault`. Intuit's 401 answers spell the keys in lower case, so both
/// spellings are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultError {
    /// `Message`.
    #[serde(rename = "Message", alias = "message", default)]
    pub message: Option<String>,
    /// `Detail`.
    #[serde(rename = "Detail", alias = "detail", default)]
    pub detail: Option<String>,
    /// The `code` attribute, e.g. "6240".
    #[serde(default)]
    pub code: Option<String>,
    /// The `element` attribute: the element at fault, when QuickBooks names it.
    #[serde(default)]
    pub element: Option<String>,
}

/// `Fault`: errors and the fault `type` (`ValidationFault`, `SystemFault`,
/// `AuthenticationFault`, `AuthorizationFault`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The errors.
    #[serde(rename = "Error", alias = "error", default)]
    pub errors: Vec<FaultError>,
    /// The `type` attribute.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// `QueryResponse`: one page of entities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryResponse {
    /// Customers, when the query was for customers.
    #[serde(rename = "Customer", default, skip_serializing_if = "Vec::is_empty")]
    pub customers: Vec<Customer>,
    /// Invoices, when the query was for invoices.
    #[serde(rename = "Invoice", default, skip_serializing_if = "Vec::is_empty")]
    pub invoices: Vec<Invoice>,
    /// Credit memos, when the query was for credit memos.
    #[serde(rename = "CreditMemo", default, skip_serializing_if = "Vec::is_empty")]
    pub credit_memos: Vec<Invoice>,
    /// `startPosition`.
    #[serde(
        rename = "startPosition",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub start_position: Option<u64>,
    /// `maxResults`: how many entities this page holds.
    #[serde(
        rename = "maxResults",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_results: Option<u64>,
    /// `totalCount`, on `select count(*)` queries.
    #[serde(
        rename = "totalCount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// A fault for this part of a CDC or batch answer.
    #[serde(rename = "Fault", default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

/// `CDCResponse`: one `QueryResponse` per entity named in `entities`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdcResponse {
    /// The entities' responses.
    #[serde(rename = "QueryResponse", default)]
    pub query_responses: Vec<QueryResponse>,
    /// A fault for the whole CDC request.
    #[serde(rename = "Fault", default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

/// `BatchItemRequest`: one operation of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItemRequest {
    /// The `bId` attribute: this item's id within the batch.
    #[serde(rename = "bId")]
    pub bid: String,
    /// The `operation` attribute: `create`, `update`, `delete`, `void`.
    pub operation: String,
    /// The customer to write.
    #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// The invoice to write.
    #[serde(rename = "Invoice", default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// The credit memo to write.
    #[serde(
        rename = "CreditMemo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_memo: Option<Invoice>,
}

/// `IntuitBatchRequest`, the body of `POST /batch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRequest {
    /// The items, at most 30.
    #[serde(rename = "BatchItemRequest")]
    pub items: Vec<BatchItemRequest>,
}

/// `BatchItemResponse`: the outcome of one batch item, matched by `bId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItemResponse {
    /// The `bId` of the request item.
    #[serde(rename = "bId", default)]
    pub bid: String,
    /// The customer written.
    #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// The invoice written.
    #[serde(rename = "Invoice", default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// The credit memo written.
    #[serde(
        rename = "CreditMemo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_memo: Option<Invoice>,
    /// Why this item failed.
    #[serde(rename = "Fault", default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Fault>,
}

/// `CurrencyPrefs` of `Preferences`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CurrencyPrefs {
    /// `MultiCurrencyEnabled`: whether the company may use currencies other than its home one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_currency_enabled: Option<bool>,
    /// `HomeCurrency`: the company's home currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_currency: Option<ReferenceType>,
}

/// `Preferences` (the currency preferences only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Preferences {
    /// `CurrencyPrefs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency_prefs: Option<CurrencyPrefs>,
}

/// `CompanyInfo` (the name only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompanyInfo {
    /// `CompanyName`.
    #[serde(default)]
    pub company_name: Option<String>,
}

/// `IntuitResponse`: every answer of the Accounting API, whichever element it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntuitResponse {
    /// A customer (read, create, update).
    #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    /// An invoice (read, create, update, void, delete).
    #[serde(rename = "Invoice", default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// A credit memo (read, create, update, delete).
    #[serde(
        rename = "CreditMemo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub credit_memo: Option<Invoice>,
    /// The company's preferences.
    #[serde(
        rename = "Preferences",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub preferences: Option<Preferences>,
    /// Company info.
    #[serde(
        rename = "CompanyInfo",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub company_info: Option<CompanyInfo>,
    /// A query's page.
    #[serde(
        rename = "QueryResponse",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub query_response: Option<QueryResponse>,
    /// A CDC answer.
    #[serde(rename = "CDCResponse", default, skip_serializing_if = "Vec::is_empty")]
    pub cdc_response: Vec<CdcResponse>,
    /// A batch answer, one item per request item.
    #[serde(
        rename = "BatchItemResponse",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub batch_item_response: Vec<BatchItemResponse>,
    /// A fault for the whole request (`Fault`, or `fault` on Intuit's 401 answers).
    #[serde(
        rename = "Fault",
        alias = "fault",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fault: Option<Fault>,
}
