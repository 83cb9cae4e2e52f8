import Foundation
import Logging
import SozialraumDomain
import SozialraumServices
import SozialraumTestSupport
import Testing

/// Issue 19 over the socket and through the real `sozialraumctl`: certify, order by a second account,
/// export the Kasse's batch, save it byte for byte, import the Kasse's confirmations.
@Suite struct KasseSocketTests {
    @Test(.timeLimit(.minutes(3))) func theKasseCycleWithTheRealClient() async throws {
        let admin = try await AdminWorld.start()
        defer { admin.stop() }
        let county = try await admin.client(loggedInAs: "kaemmerei")
        let orderer = try await admin.client(loggedInAs: "anordnung")
        let alpha = admin.world.alpha.tenant
        // Certified by kaemmerei, ordered by anordnung: 1,500.00 to alpha for nord/case in March.
        let certified = await county.request("instalment \(alpha) nord case 2026-03 1500.00 key=kasse-socket-1")
        #expect(certified?.status.hasPrefix("OK order 1 certified: 1500.00, waits for a second signature") == true)
        #expect(await county.request("orders pending")?.status == "OK 1 orders; ordered 0.00, paid by the Kasse 0.00")
        #expect(await county.request("bookings 2026-03")?.status == "OK 0 bookings")
        #expect(
            await orderer.request("instalment \(alpha) nord case 2026-03 1.00 key=kasse-socket-2")?.status
                == "ERR FORBIDDEN not allowed: paying instalments needs the right certify")
        let ordered = await orderer.request("order-approve 1")
        #expect(ordered?.status.hasPrefix("OK order 1 ordered: 1500.00 kassenzeichen SR2026000001 due ") == true)
        #expect(await county.request("bookings 2026-03")?.status == "OK 1 bookings")

        let exported = await orderer.request("payment-export encoding=windows-1252")
        #expect(
            exported?.status.hasPrefix("OK batch 1: 1 orders, total 1500.00, ") == true,
            "\(String(describing: exported))")
        #expect(await orderer.request("payment-export")?.status.hasPrefix("ERR CONFLICT") == true)

        // Saved twice by the real client: the same bytes, Windows-1252 (no UTF-8 multibyte sequence),
        // ending in the checksum line.
        let directory = NSTemporaryDirectory() + "kasse-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files: [Data] = []
        for name in ["a.csv", "b.csv"] {
            let (status, lines) = try await admin.ctl(
                as: "kaemmerei", ["--save", "\(directory)/\(name)", "payment-batch", "1"])
            // Only the status line (on stderr); the file's bytes went to the file.
            #expect(status == 0 && lines.count == 1 && lines[0].hasPrefix("OK batch 1 base64 "), "\(lines)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")))
        }
        #expect(files[0] == files[1] && !files[0].isEmpty)
        let text = String(decoding: files[0], as: UTF8.self)
        #expect(text.hasPrefix("Stapel;Kassenzeichen;Haushaltsjahr;"))
        #expect(text.contains(";SR2026000001;2026;36300;53310000;SR1-case;70001;1500,00;A;"))
        #expect(text.split(separator: "\r\n").last?.hasPrefix("#Pruefsumme;1;1500,00;") == true)
        // A reply that is not a file is not written.
        let (refused, _) = try await admin.ctl(as: "kaemmerei", ["--save", "\(directory)/c.csv", "payment-batch", "9"])
        #expect(refused == 1 && !FileManager.default.fileExists(atPath: "\(directory)/c.csv"))

        // The Kasse confirms through the real client's upload: paid in full.
        let confirmations = "\(directory)/ist.csv"
        try "Kassenzeichen;Betrag;Valuta\r\nSR2026000001;1500,00;01.12.2026\r\n".write(
            toFile: confirmations, atomically: true, encoding: .utf8)
        let (status, lines) = try await admin.ctl(
            as: "anordnung", ["--upload", confirmations, "payment-confirm", "key=kasse-ist-2026-12"])
        #expect(status == 0, "\(lines)")
        let listed = await county.request("orders approved format=csv")
        #expect(listed?.status == "OK 1 orders; ordered 1500.00, paid by the Kasse 1500.00")
        #expect(listed?.data.dropFirst().first?.hasSuffix(",1500.00,paid") == true, "\(String(describing: listed))")
        #expect(await county.request("payment-batches")?.status == "OK 1 batches")
        #expect(
            await county.request("accounts")?.data.contains { $0.contains("anordnung") && $0.contains("order") } == true
        )
    }
}
