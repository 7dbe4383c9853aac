import LinuxNamespaces
import Testing

@Suite struct NamespaceKindTests {
    @Test func namesUsersTypeParseToKinds() {
        #expect(NamespaceKind(name: "net") == .network)
        #expect(NamespaceKind(name: "NETWORK") == .network)
        #expect(NamespaceKind(name: "mnt") == .mount)
        #expect(NamespaceKind(name: "CLONE_NEWNS") == .mount)
        #expect(NamespaceKind(name: "time") == .time)
        #expect(NamespaceKind(name: "nett") == nil)
    }

    @Test func procNamesAreTheFileNamesUnderProcNs() {
        #expect(NamespaceKind.allCases.map(\.procName).sorted()
            == ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"])
        for kind in NamespaceKind.allCases {
            #expect(NamespaceKind(name: kind.procName) == kind)
            #expect(NamespaceKind(cloneFlag: kind.cloneFlag) == kind)
        }
    }

    @Test func cloneFlagsAreTheKernelValues() {
        #expect(NamespaceKind.user.cloneFlag == 0x1000_0000)
        #expect(NamespaceKind.time.cloneFlag == 0x80)
        #expect(NamespaceKind.cgroup.cloneFlag == 0x0200_0000)
        #expect(NamespaceSet.all.kinds.count == 8)
    }

    @Test func setParsingListsKindsInApplicationOrder() throws {
        let set = try NamespaceSet(parsing: "mnt,net,user")
        #expect(set.kinds == [.user, .network, .mount])
        #expect(set.description == "user,net,mnt")
    }

    @Test func unknownKindInAListIsNamed() {
        #expect {
            try NamespaceSet(parsing: "user,nett")
        } throws: { error in
            "\(error)".contains("unknown namespace kind 'nett'") && "\(error)".contains("net (network)")
        }
    }
}
