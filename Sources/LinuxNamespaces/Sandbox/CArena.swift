import Glibc

/// C memory for one spawn: strings and arrays allocated before the clone, read by the child
/// (its own copy of them), and freed by the parent afterwards.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    /// A NUL-terminated copy of `string`.
    func string(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(string)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    /// A NULL-terminated array of C strings (argv, envp).
    func stringArray(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let array = allocate(UnsafeMutablePointer<CChar>?.self, strings.count + 1)
        for (index, value) in strings.enumerated() { array[index] = string(value) }
        array[strings.count] = nil
        return array
    }

    /// A copy of the NULL-terminated C string array `source` (the caller's `environ`), the
    /// strings in one block: no Swift string and no allocation per entry (start-up).
    func cStringArray(_ source: UnsafePointer<UnsafeMutablePointer<CChar>?>) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        var count = 0, bytes = 0
        while let entry = source[count] {
            bytes += strlen(entry) + 1
            count += 1
        }
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count + 1)
        var text = allocate(CChar.self, max(bytes, 1))
        for index in 0..<count {
            let length = strlen(source[index]!) + 1
            text.update(from: source[index]!, count: length)
            array[index] = text
            text += length
        }
        array[count] = nil
        return array
    }

    /// C memory for `count` Int32 values, the i-th one `value(i)`: no intermediate array.
    func int32Array(count: Int, _ value: (Int) -> Int32) -> UnsafeMutablePointer<Int32> {
        let array = allocate(Int32.self, max(count, 1))
        for index in 0..<count { array[index] = value(index) }
        return array
    }

    /// Zeroed room for `count` values of `type`.
    func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let array = allocate(type, max(count, 1))
        memset(array, 0, MemoryLayout<T>.stride * max(count, 1))
        return array
    }

    /// Room for `count` values of `type`, from malloc so that deinit can free it.
    /// A copy of `value` that lives as long as the arena.
    func copy<T>(_ value: T) -> UnsafeMutablePointer<T> {
        let pointer = allocate(T.self, 1)
        pointer.initialize(to: value)
        return pointer
    }

    private func allocate<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        let raw = malloc(MemoryLayout<T>.stride * count)!
        allocations.append(raw)
        return raw.bindMemory(to: T.self, capacity: count)
    }

    deinit {
        for pointer in allocations { free(pointer) }
    }
}
