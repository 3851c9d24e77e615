//! One company of a vendor: a Xero tenant (organisation) or a QuickBooks
//! realm. Fault switches and counters are kept per company, so faults meant
//! for one company never reach another, and a company's reset clears its own.

use std::fmt;

use crate::profile::Profile;
use crate::quickbooks::accounting::COMPANIES;
use crate::xero::tenants::DEMO_ORGANISATIONS;

/// A sandbox company: a Xero tenant or a QuickBooks realm, by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Company {
    profile: Profile,
    id: &'static str,
}

/// Asked for a company the sandbox does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownCompany {
    profile: Profile,
    id: String,
}

impl UnknownCompany {
    /// The vendor asked about.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The id asked for.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Display for UnknownCompany {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.profile {
            Profile::Xero => "Xero tenant",
            Profile::QuickBooks => "QuickBooks realm",
        };
        let known: Vec<&str> = Company::ids(self.profile).collect();
        write!(
            f,
            "the sandbox has no {kind} {:?}; its {kind}s are {}",
            self.id,
            known.join(", ")
        )
    }
}

impl Company {
    /// The company of `profile` whose id is `id`: a Xero tenant id
    /// ([`crate::XERO_TENANT_NZ_ID`], [`crate::XERO_TENANT_US_ID`]) or a
    /// QuickBooks realm id ([`crate::QBO_REALM_ID`] and the AU company's).
    pub fn find(profile: Profile, id: &str) -> Result<Company, UnknownCompany> {
        let id = id.trim();
        Company::ids(profile)
            .find(|known| *known == id)
            .map(|known| Company { profile, id: known })
            .ok_or_else(|| UnknownCompany {
                profile,
                id: id.to_owned(),
            })
    }

    /// A company whose id the caller took from the sandbox's own list (a
    /// tenant a grant covers, a realm of the books).
    pub(crate) const fn known(profile: Profile, id: &'static str) -> Company {
        Company { profile, id }
    }

    /// The vendor the company belongs to.
    pub fn profile(self) -> Profile {
        self.profile
    }

    /// The tenant id (Xero) or realm id (QuickBooks).
    pub fn id(self) -> &'static str {
        self.id
    }

    fn ids(profile: Profile) -> impl Iterator<Item = &'static str> {
        let (xero, quickbooks) = match profile {
            Profile::Xero => (&DEMO_ORGANISATIONS[..], &[][..]),
            Profile::QuickBooks => (&[][..], COMPANIES),
        };
        xero.iter()
            .map(|organisation| organisation.id)
            .chain(quickbooks.iter().map(|company| company.realm_id))
    }
}

impl fmt::Display for Company {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.profile, self.id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{QBO_REALM_ID, XERO_TENANT_US_ID};

    #[test]
    fn companies_are_found_by_their_vendor_only() {
        let us = Company::find(Profile::Xero, XERO_TENANT_US_ID).unwrap();
        assert_eq!((us.profile(), us.id()), (Profile::Xero, XERO_TENANT_US_ID));
        let realm = Company::find(Profile::QuickBooks, &format!(" {QBO_REALM_ID} ")).unwrap();
        assert_eq!(realm.id(), QBO_REALM_ID);
        let error = Company::find(Profile::Xero, QBO_REALM_ID).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the sandbox has no Xero tenant \"{QBO_REALM_ID}\"; its Xero tenants are \
                 3f6c2a4e-1b7d-4c8a-9e2f-5a6b7c8d9e01, {XERO_TENANT_US_ID}"
            )
        );
    }
}
