extension OCIConfig {
    /// This configuration's sandbox (`sandbox()`) with `options` on top, field by field, as
    /// `nsbox run --config FILE OPTIONS` combines them:
    ///
    /// - the namespaces, joins, id maps, hostname and clock offsets are the configuration's
    ///   (`options` must leave them unset);
    /// - `uid` and `gid`: the options' where set, else `process.user`'s;
    /// - the configuration's root (`root.path`, `root.readonly`) where it has one (`options`
    ///   must then have no `newRoot`), else the options'; the configuration's mounts first and
    ///   the options' on top of them; no `/proc` where the configuration mounts none; its mount
    ///   propagation where it sets one;
    /// - the capabilities both leave the command (the intersection), and `noNewPrivileges`
    ///   where either asks for it;
    /// - everything else (lifetime, session, pid 1, mount locking, seccomp...) from `options`.
    ///
    /// - Throws: `OCIConfigError` for what `sandbox()` finds; with `field` `options.namespaces`
    ///   when `options` creates or joins namespaces, maps ids, or sets the hostname or clock
    ///   offsets, and `options.newRoot` when both set a root.
    public func sandbox(mergedWith options: Sandbox) throws(OCIConfigError) -> Sandbox {
        let fromConfig = try sandbox()
        if !options.create.isEmpty || !options.joins.isEmpty || options.userMapping != nil || options.hostname != nil
            || options.timeOffsets != nil
        {
            throw OCIConfigError(field: "options.namespaces",
                "the configuration sets the namespaces, id maps, hostname and clock offsets; the options must leave them unset")
        }
        var sandbox = options
        sandbox.create = fromConfig.create
        sandbox.joins = fromConfig.joins
        sandbox.userMapping = fromConfig.userMapping
        sandbox.hostname = fromConfig.hostname
        sandbox.timeOffsets = fromConfig.timeOffsets
        sandbox.uid = options.uid ?? fromConfig.uid
        sandbox.gid = options.gid ?? fromConfig.gid
        if fromConfig.newRoot != nil {
            if options.newRoot != nil {
                throw OCIConfigError(field: "options.newRoot", "the configuration sets the root (root.path); the options must leave it unset")
            }
            sandbox.newRoot = fromConfig.newRoot
            sandbox.readOnlyRoot = fromConfig.readOnlyRoot
        }
        sandbox.mounts = fromConfig.mounts + options.mounts
        if fromConfig.procMount == .none { sandbox.procMount = .none }
        if fromConfig.mountPropagation != Sandbox().mountPropagation { sandbox.mountPropagation = fromConfig.mountPropagation }
        sandbox.capabilities = CapabilitySet(rawValue: fromConfig.capabilities.rawValue & options.capabilities.rawValue)
        sandbox.noNewPrivileges = fromConfig.noNewPrivileges || options.noNewPrivileges
        return sandbox
    }
}
