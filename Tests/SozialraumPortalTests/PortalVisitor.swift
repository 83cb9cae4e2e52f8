import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SozialraumServices
import Synchronization

/// A browser's part in the portal's tests over real HTTP: the login cookie and form, the session cookie, the
/// form token of the last signed-in page; GETs, URL-encoded POSTs and a multipart upload.
struct PortalVisitor {
    let client: any TestClientProtocol
    var session: String?
    var formToken: String?

    init(_ client: any TestClientProtocol) { self.client = client }

    struct Page {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var text: String
    }

    static func cookie(_ name: String, in headers: HTTPFields) -> String? {
        for header in headers[values: .setCookie] where header.hasPrefix("\(name)=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    static func encoded(_ fields: [(String, String)]) -> ByteBuffer {
        ByteBuffer(
            string: fields.map {
                "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&"))
    }

    /// The value of the hidden field `name` on `page`.
    static func hidden(_ name: String, in page: String) -> String? {
        guard let start = page.range(of: "name=\"\(name)\" value=\"")?.upperBound else { return nil }
        return String(page[start...].prefix { $0 != "\"" })
    }

    /// Logs in through the login form; the login's status (303 on success, then signed in).
    @discardableResult
    mutating func login(_ name: String, _ secret: String, code: String = "") async throws -> HTTPResponse.Status {
        let form = try await client.execute(uri: "/anmelden", method: .get)
        let token = Self.cookie("sozialraum_anmeldung", in: form.headers) ?? ""
        let response = try await client.execute(
            uri: "/anmelden", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "sozialraum_anmeldung=\(token)"],
            body: Self.encoded([("formular", token), ("konto", name), ("schluessel", secret), ("einmalcode", code)]))
        if response.status == .seeOther, let session = Self.cookie("sozialraum_sitzung", in: response.headers) {
            self.session = session
            formToken = Self.hidden("formular", in: try await get("/").text)
        }
        return response.status
    }

    var cookies: HTTPFields { session.map { [.cookie: "sozialraum_sitzung=\($0)"] } ?? [:] }

    func get(_ uri: String) async throws -> Page {
        let response = try await client.execute(uri: uri, method: .get, headers: cookies)
        return Page(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// A signed-in form, with the session's form token unless `token` says otherwise (nil: none at all).
    func post(_ uri: String, _ fields: [(String, String)] = [], token: String?? = .some(nil)) async throws -> Page {
        var headers = cookies
        headers[.contentType] = "application/x-www-form-urlencoded"
        let formular: String? =
            switch token {
            case .none: nil
            case .some(.none): formToken
            case .some(.some(let given)): given
            }
        let body = Self.encoded((formular.map { [("formular", $0)] } ?? []) + fields)
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: body)
        return Page(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// The upload form sent as a browser sends it: multipart/form-data with the file's bytes.
    func upload(_ csv: String, transaction: String) async throws -> Page {
        let boundary = "----portalgrenze7MA4YWxkTrZu0gW"
        var body = ""
        for (name, value) in [("formular", formToken ?? ""), ("vorgang", transaction)] {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        body +=
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"datei\"; filename=\"leistungen.csv\"\r\n"
            + "Content-Type: text/csv\r\n\r\n\(csv)\r\n--\(boundary)--\r\n"
        var headers = cookies
        headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
        let response = try await client.execute(
            uri: "/leistungen", method: .post, headers: headers, body: ByteBuffer(string: body))
        return Page(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }
}

/// The portal's clock for the second factor, moved by the test (no wall clock).
final class TestClock: Sendable {
    private let seconds: Mutex<Int64>
    init(_ start: Int64) { seconds = Mutex(start) }
    var now: Int64 { seconds.withLock { $0 } }
    func advance(_ by: Int64) { seconds.withLock { $0 += by } }
}

/// RFC 4648 Base32 as the setup page shows the secret (what a person types into the app).
func base32Decoded(_ text: String) -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    var bytes: [UInt8] = []
    var buffer: UInt32 = 0
    var bits = 0
    for character in text {
        guard let value = alphabet.firstIndex(of: character) else { continue }
        buffer = buffer << 5 | UInt32(value)
        bits += 5
        if bits >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits - 8)))
            bits -= 8
        }
    }
    return bytes
}

extension PortalVisitor {
    /// Sets the account's second factor up as a person would: reads the secret off the page, enters the
    /// app's current code. Returns the secret.
    func setUpSecondFactor(clock: TestClock) async throws -> [UInt8]? {
        let page = try await get("/zweiter-faktor").text
        guard let start = page.range(of: "<code class=\"schluessel\">")?.upperBound else { return nil }
        let secret = base32Decoded(String(page[start...].prefix { $0 != "<" }))
        let code = OneTimePassword.code(secret: secret, counter: OneTimePassword.step(unixTime: clock.now))
        let done = try await post("/zweiter-faktor", [("einmalcode", code)])
        return done.status == .ok && done.text.contains("ist eingerichtet") ? secret : nil
    }
}
