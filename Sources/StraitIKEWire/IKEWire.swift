// IKEv2 wire codec (RFC 7296). Placeholder: the codec lands in this target.
public enum IKEWire {}
