//! Change data capture: `GET /cdc?entities=...&changedSince=...`.
//!
//! CDC reaches back at most 30 days and returns at most 1000 entities per entity type, with
//! deleted entities as `{"Id": ..., "status": "Deleted"}`. Older `since` values, and answers
//! that hit the 1000 cap, are served by paged queries instead (which do not report deletions).

use time::Duration;

use crate::map::qbo::{Fault, IntuitResponse, QueryResponse};
use crate::map::timestamp;

/// How far back CDC reaches.
pub const LOOKBACK_DAYS: i64 = 30;
/// Most entities CDC returns per entity type.
pub const MAX_ENTITIES: usize = 1000;

/// Whether `since` is recent enough for CDC, measured from `now` (both RFC 3339). An hour is
/// kept in hand so a request in flight at the boundary is not refused.
pub fn usable(since: &str, now: &str) -> Result<bool, String> {
    let since = timestamp::parse(since)?;
    let now = timestamp::parse(now)?;
    Ok(now - since < Duration::days(LOOKBACK_DAYS) - Duration::hours(1))
}

/// The `QueryResponse`s of a CDC answer, or the fault of the first part that failed.
pub fn parts(response: IntuitResponse) -> Result<Vec<QueryResponse>, Fault> {
    let mut out = Vec::new();
    for cdc in response.cdc_response {
        if let Some(f) = cdc.fault {
            return Err(f);
        }
        for part in cdc.query_responses {
            if let Some(f) = part.fault {
                return Err(f);
            }
            out.push(part);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_days_with_an_hour_in_hand() {
        let now = "2026-11-30T12:00:00Z";
        assert_eq!(usable("2026-11-29T12:00:00Z", now), Ok(true));
        assert_eq!(usable("2026-10-31T13:00:01Z", now), Ok(true));
        assert_eq!(usable("2026-10-31T12:00:00Z", now), Ok(false));
        assert_eq!(usable("2025-01-01T00:00:00Z", now), Ok(false));
        assert!(usable("last week", now).is_err());
    }

    #[test]
    fn a_cdc_answer_with_changed_and_deleted_entities() {
        let json = r#"{"CDCResponse":[{"QueryResponse":[{"Customer":[
                {"Id":"58","SyncToken":"3","DisplayName":"Acme","Active":true,"MetaData":{"LastUpdatedTime":"2026-11-20T09:00:00-08:00"}},
                {"domain":"QBO","status":"Deleted","Id":"61","MetaData":{"LastUpdatedTime":"2026-11-21T09:00:00-08:00"}}
            ],"startPosition":1,"maxResults":2}]}],"time":"2026-11-22T09:00:00.000-08:00"}"#;
        let resp: IntuitResponse = serde_json::from_str(json).expect("parses");
        let parts = parts(resp).expect("no fault");
        assert_eq!(parts.len(), 1);
        let customers: Vec<_> = parts[0]
            .customers
            .iter()
            .cloned()
            .map(|c| crate::map::customer::from_qbo(c).expect("maps"))
            .collect();
        assert_eq!(customers.len(), 2);
        assert_eq!(
            (customers[0].remote_id.as_deref(), customers[0].active),
            (Some("58"), true)
        );
        assert_eq!(
            (customers[1].remote_id.as_deref(), customers[1].active),
            (Some("61"), false)
        );
    }

    #[test]
    fn a_fault_inside_cdc_is_reported() {
        let json = r#"{"CDCResponse":[{"QueryResponse":[{"Fault":{"Error":[{"Message":"bad","code":"4000"}],"type":"ValidationFault"}}]}]}"#;
        let resp: IntuitResponse = serde_json::from_str(json).expect("parses");
        assert_eq!(
            parts(resp).expect_err("fault").errors[0].code.as_deref(),
            Some("4000")
        );
    }
}
