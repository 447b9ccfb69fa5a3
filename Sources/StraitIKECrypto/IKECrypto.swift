// IKEv2 crypto. Placeholder: key derivation and SK protection land in this target.
import CIKEBignum
public enum IKECrypto {}
