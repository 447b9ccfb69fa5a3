// StraitConfig's TrafficSelector, apart from StraitIKEWire's (both modules name one).
import StraitConfig
typealias ConfigTS = TrafficSelector
