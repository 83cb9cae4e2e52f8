import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumStore
import SozialraumTestSupport
import Testing

/// Issue 35, item 6: a Kasse file that tells edits from damage. The county's Ed25519 key (made by openssl,
/// as operations.md says) signs every batch; the file as exported verifies, one changed byte in an amount
/// does not — with the daemon's `verifyBatch` and with openssl alone, as the Kasse would check.
@Suite struct BatchSignatureTests {
    func openssl(_ arguments: [String]) async throws -> (status: Int32, output: [String]) {
        let process = try Subprocess(["/usr/bin/openssl"] + arguments)
        var lines: [String] = []
        for await line in process.lines { lines.append(line) }
        return (await process.exitStatus(), lines)
    }

    @Test func aSignedBatchVerifiesAndOneChangedByteDoesNot() async throws {
        let world = try await BudgetWorld.make()
        let keyFile = TestScratch.path("kasse-signing", suffix: ".pem")
        #expect(try await openssl(["genpkey", "-algorithm", "ed25519", "-out", keyFile]).status == 0)
        var settings = PaymentSettings()
        settings.signingKey = try BatchSignature.privateKey(pem: try String(contentsOfFile: keyFile, encoding: .utf8))
        let logger = Logger(label: "test.signing")
        let signing = PaymentOrderService(
            store: world.store, logger: logger, today: { BudgetWorld.today }, settings: settings,
            payments: world.payments, grants: world.grants, reconciliation: world.reconciler())
        _ = try await world.payInstalment(
            provider: world.alpha.tenant, socialSpace: world.nord, month: YearMonth(iso: "2026-11")!,
            amount: Money(cents: 100_00), key: "signed-abschlag-1")
        let batch = try await signing.export(world.county)
        let signature = try #require(batch.signature)
        #expect(signature.count == 64)
        #expect(try await signing.verifyBatch(world.county, id: batch.id, file: batch.content))
        // 100,00 → 900,00 in the amount column: one byte.
        let text = String(decoding: batch.content, as: UTF8.self)
        #expect(text.contains(";100,00;"))
        let edited = Array(text.replacingOccurrences(of: ";100,00;", with: ";900,00;").utf8)
        #expect(edited.count == batch.content.count)
        #expect(try await signing.verifyBatch(world.county, id: batch.id, file: edited) == false)

        // The Kasse, with openssl and the public key alone.
        let publicKey = TestScratch.path("kasse-public", suffix: ".pem")
        let file = TestScratch.path("batch", suffix: ".csv")
        let changed = TestScratch.path("batch-edited", suffix: ".csv")
        let detached = TestScratch.path("batch", suffix: ".sig")
        try Data(try #require(try signing.signingKey(world.county)).utf8).write(to: URL(fileURLWithPath: publicKey))
        try Data(batch.content).write(to: URL(fileURLWithPath: file))
        try Data(edited).write(to: URL(fileURLWithPath: changed))
        try Data(signature).write(to: URL(fileURLWithPath: detached))
        let verify = ["pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-sigfile", detached, "-in"]
        let good = try await openssl(verify + [file])
        #expect(good.status == 0 && good.output == ["Signature Verified Successfully"], "\(good)")
        #expect(try await openssl(verify + [changed]).status != 0)
        // Unsigned without a key: the daemon says so.
        await #expect(throws: ServiceError.conflict("batches are not signed: set payments.signingKeyFile")) {
            _ = try await world.orders.verifyBatch(world.county, id: batch.id, file: batch.content)
        }
    }

    @Test func aKeyThatIsNotEd25519PEMIsRefused() {
        #expect(throws: BatchSignature.KeyError.self) { try BatchSignature.privateKey(pem: "not a key") }
    }
}
