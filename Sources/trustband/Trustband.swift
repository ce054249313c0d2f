import ArgumentParser
import Logging
import TrustbandCLI

@main
enum Trustband {
    static func main() async {
        // The only place logging is bootstrapped: everything below takes injected loggers.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: ProcessInfoLogLevel.fromEnvironment()) ?? .info
            return handler
        }
        await TrustbandCommand.main()
    }
}
