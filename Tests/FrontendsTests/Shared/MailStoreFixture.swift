import Foundation
import Journal
@testable import Projections

/// What the protocol test servers stand on: a real journal and projection database in a fresh
/// temporary directory, a projector applying to it, and a test certificate on disk; all removed
/// when the fixture goes.
class MailStoreFixture: @unchecked Sendable {
    let directory: String
    let journal: Journal
    let store: ProjectionStore
    let projector: Projector
    let certificates: TemporaryDirectory
    let certificateFile: String

    init(prefix: String, segmentSize: Int, batchSize: Int, certificate: TestCertificates.Pair) throws {
        var template = Array((NSTemporaryDirectory() + prefix + "-XXXXXX").utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        journal = try Journal(directory: directory + "/journal", options: JournalOptions(segmentSize: segmentSize))
        store = try ProjectionStore(path: directory + "/projections.sqlite")
        projector = try Projector(journal: journal, store: store, batchSize: batchSize)
        certificates = TemporaryDirectory()
        certificateFile = try certificates.install(certificate).certificateChain
    }

    deinit {
        try? store.close()
        journal.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
