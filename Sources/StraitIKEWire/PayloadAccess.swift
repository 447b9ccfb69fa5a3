// Lookups the protocol layer does on every message, for outer and inner (decrypted) payload lists alike.

extension Array where Element == IKEPayload {
    /// Every Notify payload, in order.
    public var notifies: [NotifyPayload] {
        compactMap { if case .notify(let n) = $0 { return n } else { return nil } }
    }

    /// The first Notify payload of a type.
    public func notify(_ type: NotifyType) -> NotifyPayload? { notifies.first { $0.type == type } }

    /// The first error notification (type below 16384), if any.
    public var firstErrorNotify: NotifyPayload? { notifies.first { $0.type.isError } }

    public var securityAssociation: SecurityAssociationPayload? {
        for case .securityAssociation(let p) in self { return p }
        return nil
    }

    public var keyExchange: KeyExchangePayload? {
        for case .keyExchange(let p) in self { return p }
        return nil
    }

    public var nonce: NoncePayload? {
        for case .nonce(let p) in self { return p }
        return nil
    }

    public var encrypted: EncryptedPayload? {
        for case .encrypted(let p) in self { return p }
        return nil
    }

    public var encryptedFragment: EncryptedFragmentPayload? {
        for case .encryptedFragment(let p) in self { return p }
        return nil
    }

    /// Types of every payload, in order (for checking what an exchange must and may contain).
    public var types: [PayloadType] { map(\.type) }
}
