// libFuzzer target for the admin protocol's request parser and reply encoder.
// Built and run by scripts/fuzz-parser.sh; not part of the package build.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let line = String(validating: bytes, as: UTF8.self) else { return 0 }
    do {
        let request = try Request.parse(line[...])
        // What parses must print back to a line that parses to the same request.
        let again = try Request.parse(request.line[...])
        precondition(again == request, "round trip changed the request")
    } catch {
        // Every refusal must carry a message for the client.
        precondition(!error.description.isEmpty)
    }
    // No message can break a reply into more lines than it has.
    let reply = Reply.error(.badRequest, line, data: [line])
    precondition(reply.encoded.split(separator: "\n", omittingEmptySubsequences: false).count == 3)
    return 0
}
