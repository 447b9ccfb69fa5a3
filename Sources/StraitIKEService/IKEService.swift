// The IKE I/O shell (SwiftNIO UDP sockets, bounded queue, timers). Placeholder.
import StraitIKE
public enum IKEServicePlaceholder {}
