/// The package's version: the one place it is written (`nsbox -V`, `nsbox SUBCOMMAND -V`).
let packageVersion = "0.1"

/// What `-V`/`--version` prints, as util-linux's tools print theirs.
let versionLine = "nsbox from swift-linux-namespaces \(packageVersion)"

/// `--json` was given: a failure is reported as one JSON object on stderr (see `report`).
nonisolated(unsafe) var jsonErrors = false
