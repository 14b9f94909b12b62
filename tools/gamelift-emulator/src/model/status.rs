//! The statuses and other closed value sets of GameLift's resources, as enums carrying
//! their wire names (botocore's enum shapes of the same names). Used by the model, the
//! operations and the admin state; a leaf module.

/// Declares an enum whose variants have fixed wire names: `as_str`, `from_wire`, `NAMES`
/// (in the declared order), `Display` and `Serialize` as the wire name.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every wire name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            pub fn from_wire(value: &str) -> Option<Self> {
                match value {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// `BuildStatus`.
    BuildStatus {
        Initialized => "INITIALIZED",
        Ready => "READY",
        Failed => "FAILED",
    }
);

wire_enum!(
    /// `FleetStatus`, of a fleet and of each of its locations.
    FleetStatus {
        New => "NEW",
        Downloading => "DOWNLOADING",
        Validating => "VALIDATING",
        Building => "BUILDING",
        Activating => "ACTIVATING",
        Active => "ACTIVE",
        Deleting => "DELETING",
        Error => "ERROR",
        Terminated => "TERMINATED",
    }
);

wire_enum!(
    /// `GameSessionStatus`.
    GameSessionStatus {
        Active => "ACTIVE",
        Activating => "ACTIVATING",
        Terminated => "TERMINATED",
        Terminating => "TERMINATING",
        Error => "ERROR",
    }
);

wire_enum!(
    /// `GameSessionStatusReason`.
    GameSessionStatusReason {
        Interrupted => "INTERRUPTED",
        TriggeredOnProcessTerminate => "TRIGGERED_ON_PROCESS_TERMINATE",
        ForceTerminated => "FORCE_TERMINATED",
    }
);

wire_enum!(
    /// `PlayerSessionStatus`.
    PlayerSessionStatus {
        Reserved => "RESERVED",
        Active => "ACTIVE",
        Completed => "COMPLETED",
        Timedout => "TIMEDOUT",
    }
);

wire_enum!(
    /// `GameSessionPlacementState`.
    PlacementStatus {
        Pending => "PENDING",
        Fulfilled => "FULFILLED",
        Cancelled => "CANCELLED",
        TimedOut => "TIMED_OUT",
        Failed => "FAILED",
    }
);

wire_enum!(
    /// `RoutingStrategyType` of an alias.
    RoutingStrategyType {
        Simple => "SIMPLE",
        Terminal => "TERMINAL",
    }
);

wire_enum!(
    /// `PlayerSessionCreationPolicy` of a game session.
    PlayerSessionCreationPolicy {
        AcceptAll => "ACCEPT_ALL",
        DenyAll => "DENY_ALL",
    }
);

wire_enum!(
    /// `ProtectionPolicy` of a fleet's new game sessions and of a game session.
    ProtectionPolicy {
        NoProtection => "NoProtection",
        FullProtection => "FullProtection",
    }
);

wire_enum!(
    /// `ScalingStatusType` of a scaling policy.
    ScalingStatus {
        Active => "ACTIVE",
        UpdateRequested => "UPDATE_REQUESTED",
        Updating => "UPDATING",
        DeleteRequested => "DELETE_REQUESTED",
        Deleting => "DELETING",
        Deleted => "DELETED",
        Error => "ERROR",
    }
);

impl FleetStatus {
    /// A fleet or location on its way out (DELETING or TERMINATED).
    pub fn is_gone(self) -> bool {
        matches!(self, FleetStatus::Deleting | FleetStatus::Terminated)
    }
}

impl GameSessionStatus {
    /// A game session that holds a server process (and so a game-session slot).
    pub fn occupies_capacity(self) -> bool {
        matches!(
            self,
            GameSessionStatus::Activating
                | GameSessionStatus::Active
                | GameSessionStatus::Terminating
        )
    }
}

impl PlayerSessionStatus {
    /// A player session that counts against its game session's maximum.
    pub fn counts(self) -> bool {
        matches!(
            self,
            PlayerSessionStatus::Reserved | PlayerSessionStatus::Active
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_unknown_names_are_none() {
        for name in PlacementStatus::NAMES {
            let s = PlacementStatus::from_wire(name).unwrap();
            assert_eq!(s.as_str(), *name);
        }
        assert_eq!(PlacementStatus::from_wire("pending"), None);
        assert_eq!(
            serde_json::to_value(ProtectionPolicy::FullProtection).unwrap(),
            "FullProtection"
        );
    }
}
