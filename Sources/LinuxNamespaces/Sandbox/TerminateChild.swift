import Glibc

extension SandboxProcess {
    /// Ends the process and reaps it, ignoring the task's cancellation: SIGKILL at once, or with
    /// `grace` (Perl's `term_child`) SIGTERM first and SIGKILL only if it still runs after
    /// `grace`. With a new pid namespace, SIGTERM goes to the command through the init, and
    /// SIGKILL ends everything in it.
    func end(terminatingAfter grace: Duration?) async {
        guard let grace else {
            _ = try? signal(SIGKILL)
            _ = try? await waitIgnoringCancellation()
            return
        }
        _ = try? signal(SIGTERM)
        // Detached: the caller's task may be cancelled, which would end its sleep at once.
        let killer = Task.detached { [self] in
            guard (try? await Task.sleep(for: grace)) != nil else { return }
            _ = try? signal(SIGKILL)   // through the pidfd: ESRCH once reaped, never another process
        }
        _ = try? await waitIgnoringCancellation()
        killer.cancel()
    }
}
