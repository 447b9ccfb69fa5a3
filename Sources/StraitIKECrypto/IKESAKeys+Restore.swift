extension IKESAKeys {
    /// The keys of an IKE SA another node negotiated, as HA sync carried them: a standby that
    /// takes over continues the SA with them (no new key exchange). Lengths are checked
    /// against the suite, so keys of the wrong algorithm are refused, not used.
    public init(restoring suite: IKESASuite, skD: SecretBytes, skAi: SecretBytes, skAr: SecretBytes, skEi: SecretBytes,
                skEr: SecretBytes, skPi: SecretBytes, skPr: SecretBytes) throws {
        let prf = suite.prf.preferredKeyLength, integ = suite.integrity?.keyLength ?? 0, encr = suite.encryption.keyMaterialLength
        for (key, length) in [(skD, prf), (skAi, integ), (skAr, integ), (skEi, encr), (skEr, encr), (skPi, prf), (skPr, prf)]
        where key.count != length {
            throw IKECryptoError(.invalidKeyLength, "restored IKE SA key of \(key.count) bytes, expected \(length)")
        }
        self.init(suite: suite, skD: skD, skAi: skAi, skAr: skAr, skEi: skEi, skEr: skEr, skPi: skPi, skPr: skPr)
    }
}
