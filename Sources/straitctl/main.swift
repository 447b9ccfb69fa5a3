import ArgumentParser
import Foundation
import StraitAPI

// straitctl: the operator CLI. Exit status: 0 ok, 1 the daemon answered with an error
// (or answered badly, or too late), 2 usage error or cannot connect.

do {
    var command = try Straitctl.parseAsRoot()
    try command.run()
} catch let exit as ExitCode {
    Foundation.exit(exit.rawValue)
} catch {
    let message = Straitctl.fullMessage(for: error)
    if Straitctl.exitCode(for: error) == .success {
        print(message)
        Foundation.exit(0)
    }
    if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    Foundation.exit(2)
}
