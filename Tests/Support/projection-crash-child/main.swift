// Appends random event batches and applies each to the projections before the next, printing
// "applied <sequence>" after each, until killed. The projection crash test SIGKILLs it and checks
// that the database catches up to exactly what a rebuild from the journal gives.
import Journal
import Projections
import RoostTesting
#if canImport(Glibc)
import Glibc
#endif

func emit(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let seed = UInt64(arguments[2]) else {
    emit("usage: projection-crash-child DATA-DIRECTORY SEED\n")
    exit(64)
}
do {
    let journal = try Journal(directory: arguments[1] + "/journal", options: JournalOptions(segmentSize: 1 << 20))
    let store = try ProjectionStore(path: arguments[1] + "/projections.sqlite")
    let projector = try Projector(journal: journal, store: store, batchSize: 7)
    try await projector.catchUp()
    emit("caught-up \(projector.appliedSequence)\n")
    var source = RandomEventSource(seed: seed)
    while true {
        let batch = source.nextBatch()
        let sequences = try await journal.append(events: batch, applyingWith: projector)
        source.appended(sequences: sequences)
        emit("applied \(sequences.last!)\n")
    }
} catch {
    emit("failed \(error)\n")
    exit(1)
}
