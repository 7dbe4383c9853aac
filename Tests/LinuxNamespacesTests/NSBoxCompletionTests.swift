import Testing

/// The completion scripts the README tells people to install.
@Suite struct NSBoxCompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsCoverTheSubcommands(shell: String) throws {
        let result = try NSBox.run("--generate-completion-script", shell)
        #expect(result.status == 0, "\(result.stderr)")
        for word in ["run", "enter", "ls", "map-root-user", "mount-proc"] {
            #expect(result.stdout.contains(word), "\(shell): \(word)")
        }
    }
}
