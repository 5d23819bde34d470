//! The violation categories consentry judges: their stable ids (used in
//! scenarios, reports and exit summaries), names and documentation pages.
//! The rules themselves live in `detect` (a later capability); this module
//! only names them, so that scenarios can refer to them today.

use std::fmt;

use serde::{Serialize, Serializer};

/// One category of the 2019 MIIT special rectification (see
/// `docs/categories.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    CollectBeforeConsent,
    CollectBeyondScope,
    ShareWithoutConsent,
    ForcedTargetedPush,
    RefuseServiceOnDenial,
    FrequentPermissionRequests,
    ExcessivePermissionRequests,
    AccountDeletionObstacles,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::CollectBeforeConsent,
        Category::CollectBeyondScope,
        Category::ShareWithoutConsent,
        Category::ForcedTargetedPush,
        Category::RefuseServiceOnDenial,
        Category::FrequentPermissionRequests,
        Category::ExcessivePermissionRequests,
        Category::AccountDeletionObstacles,
    ];

    /// The stable id, e.g. `collect-before-consent`.
    pub fn id(self) -> &'static str {
        match self {
            Category::CollectBeforeConsent => "collect-before-consent",
            Category::CollectBeyondScope => "collect-beyond-scope",
            Category::ShareWithoutConsent => "share-without-consent",
            Category::ForcedTargetedPush => "forced-targeted-push",
            Category::RefuseServiceOnDenial => "refuse-service-on-denial",
            Category::FrequentPermissionRequests => "frequent-permission-requests",
            Category::ExcessivePermissionRequests => "excessive-permission-requests",
            Category::AccountDeletionObstacles => "account-deletion-obstacles",
        }
    }

    /// The category's name as the 2019 action words it.
    pub fn title(self) -> &'static str {
        match self {
            Category::CollectBeforeConsent => "collecting personal information without consent",
            Category::CollectBeyondScope => "collecting beyond what the service needs",
            Category::ShareWithoutConsent => "sharing with third parties without consent",
            Category::ForcedTargetedPush => "forcing targeted push or personalisation",
            Category::RefuseServiceOnDenial => "refusing service when a permission is denied",
            Category::FrequentPermissionRequests => "asking for permissions again and again",
            Category::ExcessivePermissionRequests => "asking for permissions up front or too many",
            Category::AccountDeletionObstacles => "making account deletion hard",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    pub fn ids() -> impl Iterator<Item = &'static str> {
        Self::ALL.into_iter().map(Category::id)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Category::ALL {
            assert_eq!(Category::from_id(c.id()), Some(c));
            assert!(seen.insert(c.id()));
        }
        assert_eq!(Category::from_id("collect-before-consnt"), None);
    }
}
