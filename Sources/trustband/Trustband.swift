import ArgumentParser
import Foundation
import Logging
import TrustbandCLI

@main
enum Trustband {
    static func main() async {
        if NodeProcess.isNode(CommandLine.arguments) {
            do { try NodeProcess.prepare() } catch {
                FileHandle.standardError.write(Data("trustband: error: \(error)\n".utf8))
                exit(1)
            }
        }
        // The only place logging is bootstrapped: everything below takes injected loggers.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: ProcessInfoLogLevel.fromEnvironment()) ?? .info
            return handler
        }
        await TrustbandCommand.main()
    }
}
