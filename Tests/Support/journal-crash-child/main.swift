// Appends to a journal in a loop from several concurrent tasks and prints
// "ack <sequence> <payload length> <payload crc32c>" for every acknowledged (durable) record, until
// killed. The journal crash tests SIGKILL it at random moments and check every ack survived.
import Journal
#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered, so nothing acknowledged sits in a stdio buffer when the kill comes.
func emit(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}
let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    emit("usage: journal-crash-child DIRECTORY [SEGMENT-SIZE]\n")
    exit(64)
}
let segmentSize = arguments.count >= 3 ? Int(arguments[2]) ?? (1 << 20) : 1 << 20
let journal: Journal
do {
    journal = try Journal(directory: arguments[1], options: JournalOptions(segmentSize: segmentSize))
} catch {
    emit("open-failed \(error)\n")
    exit(1)
}
emit("opened \(journal.lastSequence)\n")

await withTaskGroup(of: Void.self) { group in
    for worker in 0..<8 {
        group.addTask {
            var generator = SystemRandomNumberGenerator()
            var round = 0
            while true {
                round += 1
                let batch = Int.random(in: 1...3, using: &generator)
                let records = (0..<batch).map { _ in
                    let length = Int.random(in: 0...6000, using: &generator)
                    let text = "worker \(worker) round \(round) "
                    let payload = (0..<length).map { i in i % 7 == 0 ? UInt8.random(in: 0...255, using: &generator) : Array(text.utf8)[i % text.utf8.count] }
                    return RecordInput(type: 9999, payload: payload)
                }
                do {
                    let sequences = try await journal.append(records)
                    var lines = ""
                    for (seq, record) in zip(sequences, records) {
                        lines += "ack \(seq) \(record.payload.count) \(CRC32C.checksum(record.payload))\n"
                    }
                    emit(lines)
                } catch {
                    emit("append-failed \(error)\n")
                    exit(1)
                }
            }
        }
    }
}
