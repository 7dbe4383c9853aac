/// What setting `Sandbox.gid` does to the supplementary groups.
public enum SupplementaryGroups: Sendable, Hashable {
    /// Dropped with setgroups(2) where the user namespace allows it; left as they are where it
    /// refuses (its setgroups file says "deny", as in every rootless one).
    case dropWhereAllowed
    /// Dropped, or the launch fails at step `.setgroups`: `unshare -G`'s setgroups(0, NULL)
    /// before setgid(2), whatever the namespace allows.
    case drop
    /// nsenter's rule: joining a user namespace without `preserveCredentials`, dropped before
    /// the joins (needs `CAP_SETGID`) and again inside, the launch failing at `.setgroups` only
    /// when both are refused, so an ordinary user cannot keep its groups by entering a namespace
    /// whose setgroups is "deny". Otherwise as `.dropWhereAllowed`.
    case dropBeforeAndAfterJoining
}
