import Foundation
import Glibc

/// Runs `command` in a mount namespace of its own (`unshare -m`, private propagation) after
/// `setUp`, a shell script run there as root: the way a test changes what it needs of the
/// machine (a shared `/`, its own `/etc/subuid`) without touching the host. `$SCRATCH` in the
/// script names a directory of the test's own.
func runInPrivateMounts(_ setUp: String, _ command: [String], scratch: ScratchDirectory = ScratchDirectory()) throws -> CommandResult {
    let script = "set -e; SCRATCH=$1; shift; " + setUp + "\nexec \"$@\""
    return try runCommand(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", scratch.path] + command)
}

/// Runs `command` where `/etc/subuid` and `/etc/subgid` read `subuid` and `subgid` (bound over
/// them, or laid over `/etc` where the file does not exist), in a mount namespace of its own:
/// what `newuidmap` and `newgidmap` then read. The host's files are never written.
func runWithSubordinateIDs(subuid: String, subgid: String, _ command: [String]) throws -> CommandResult {
    let scratch = ScratchDirectory()
    for (name, text) in [("subuid", subuid), ("subgid", subgid)] {
        FileManager.default.createFile(atPath: scratch.path + "/" + name, contents: Data(text.utf8))
        chmod(scratch.path + "/" + name, 0o644)
    }
    let setUp = """
        if [ ! -e /etc/subuid ] || [ ! -e /etc/subgid ]; then
            mkdir "$SCRATCH/upper" "$SCRATCH/work"
            mount -t overlay overlay -o "lowerdir=/etc,upperdir=$SCRATCH/upper,workdir=$SCRATCH/work" /etc
        fi
        for file in subuid subgid; do
            # A bind needs a target; touching an existing one would change the host's mtime.
            [ -e /etc/$file ] || touch /etc/$file
            mount --bind "$SCRATCH/$file" /etc/$file
        done
        """
    return try runInPrivateMounts(setUp, command, scratch: scratch)
}
